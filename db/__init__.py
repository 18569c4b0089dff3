"""Database access: embedded server, pool, SQL."""
