"""GraphQL federation gateway: composition, query planning, execution and serving."""
