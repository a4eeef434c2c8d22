"""Reliability: faults, crash safety, concurrency, fuzzing, safe errors."""
