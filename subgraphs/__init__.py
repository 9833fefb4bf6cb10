"""Domain services, each a Strawberry federation subgraph over its own database."""
