"""Curated seed files and the loader that validates and writes them."""
