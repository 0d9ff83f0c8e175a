"""The benchmark suite behind `crm bench`: seed demo data, serve it, time every workload against its target.

Run `crm bench` (or `.venv/bin/python -m bench.suite`) from a repository checkout; bench/README.md
describes the workloads, their targets and how to reproduce a run.
"""
