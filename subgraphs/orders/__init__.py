"""The orders service: orders and their lines, and what orders add to users and products."""
