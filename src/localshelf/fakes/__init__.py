"""Local fake servers that speak third-party wire formats, for tests and demos."""
