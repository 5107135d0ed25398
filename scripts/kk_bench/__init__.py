"""kagent vs the Python kernel: `nox -s bench` (see __main__.py)."""
