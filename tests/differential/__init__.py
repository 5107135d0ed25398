"""Differential tests: kagent against the kimi-cli 1.51.0 oracle."""
