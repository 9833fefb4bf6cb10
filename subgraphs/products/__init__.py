"""The products service: the catalogue (``Product`` entity, prices, stock, categories), over its own database."""
