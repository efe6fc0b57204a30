"""Real servers for tests and benchmarks (never imported by the running product)."""
