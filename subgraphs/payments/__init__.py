"""The payments service: what was charged for each order (``Payment`` entity), over its own database."""
