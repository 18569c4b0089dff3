"""Configuration: values read once from the environment, below every other package.

Nothing here imports api, schema, db or seeds; they all may import it.
"""
