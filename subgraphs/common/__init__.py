"""What every domain service shares: database setup, the FastAPI app factory, IDs, pagination, errors, money."""
