"""kagent's cargo-fuzz campaign: `nox -s fuzz -- --seconds N` (see __main__.py)."""
