"""Query-count regression check of the requests the benchmark suite times."""
