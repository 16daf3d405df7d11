"""The public front page and the health check."""
