"""Shared helpers for the kimi-kernel test suites."""
