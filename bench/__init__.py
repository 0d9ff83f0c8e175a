"""Benchmarks: the suite behind `crm bench` (bench/suite) and the load test (bench/load)."""
