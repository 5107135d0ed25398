"""`nox -s e2e`: prove every wheel in dist/ works on its platform, as platform-matrix.toml says."""
