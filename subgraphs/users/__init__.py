"""The users service: who our customers are (``User`` entity), over its own database."""
