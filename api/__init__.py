"""HTTP layer of the therapy-data GraphQL service."""
