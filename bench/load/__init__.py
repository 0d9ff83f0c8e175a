"""The load test (issue 6): a locust user mix against `crm serve`, and the runner that seeds, serves,
drives it and then checks that every write the clients saw succeed is in the database exactly once.

Run it with `.venv/bin/python -m bench.load.run` (see bench/README.md, "Load test").
"""
