"""Release helpers: version check, verify-release, workflow generation and linting."""
