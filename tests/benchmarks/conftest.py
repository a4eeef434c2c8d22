# the benchmark modules are programs (python -m tests.benchmarks.ingest), not tests
collect_ignore = ["ingest.py", "baseline.py"]
