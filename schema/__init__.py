"""The typed GraphQL schema: one module per domain."""
