"""The benchmark operation, in its two variants: identical requests, and requests whose variables all differ.

The identical variant is the public federation gateway benchmark's operation: users and topProducts, each walking
reviews, products and authors back and forth across all four subgraphs.
"""

from __future__ import annotations

import json

__all__ = ["FRAGMENTS", "IDENTICAL_QUERY", "VARIANTS", "VARYING_QUERY", "request_body", "varying_first"]

FRAGMENTS = """
fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
"""

_SELECTION = """
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
      }
    }
  }
  topProducts%s {
    ...Product
    reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
  }
"""

# the public benchmark's document: its fragments, then its query
IDENTICAL_QUERY = FRAGMENTS + "\nquery TestQuery {" + _SELECTION % "" + "}\n"
# ``first`` is unique per request and always at least the number of products, so every answer is the same
# while no two requests in flight are: neither a gateway nor its subgraph client can de-duplicate them.
VARYING_QUERY = FRAGMENTS + "\nquery TestQuery($first: Int) {" + _SELECTION % "(first: $first)" + "}\n"

VARIANTS = ("identical", "varying")

VARYING_BASE = 1000


def varying_first(n: int) -> int:
    """The ``first`` argument of the ``n``-th varying request (the wrk script computes the same numbers)."""
    return VARYING_BASE + n


def request_body(variant: str, n: int = 0) -> bytes:
    """The JSON body of the ``n``-th request of ``variant``."""
    if variant == "identical":
        return json.dumps({"query": IDENTICAL_QUERY, "operationName": "TestQuery"}).encode()
    if variant == "varying":
        payload = {
            "query": VARYING_QUERY,
            "operationName": "TestQuery",
            "variables": {"first": varying_first(n)},
        }
        return json.dumps(payload).encode()
    raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
