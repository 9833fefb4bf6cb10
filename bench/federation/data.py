"""The public federation gateway benchmark's data set: 6 users, 9 products, 9 inventory rows, 11 reviews.

These are the rows of The Guild's gateway benchmark subgraphs (graphql-hive/graphql-gateways-benchmark,
``federation/subgraphs/*``), with the behaviour of those subgraphs spelled out as data so that
bench/node/subgraphs.mjs and bench/federation/expected.py follow it alike:

- reviews answers every ``Review.author`` with user 1 and its own copy of that username (``@provides``), and
  ``User.reviews`` with the first two reviews, whoever the user;
- inventory resolves a ``Product`` from its own row only, without the ``price`` and ``weight`` the
  representation carries for ``@requires``, so ``shippingEstimate`` is always null (the public benchmark's
  reference answer says so too). The gateway still has to fetch those fields and send them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["generate", "write"]

_USERS = [
    ("1", "Uri Goldshtein", "urigo"),
    ("2", "Dotan Simha", "dotansimha"),
    ("3", "Kamil Kisiela", "kamilkisiela"),
    ("4", "Arda Tanrikulu", "ardatan"),
    ("5", "Gil Gardosh", "gilgardosh"),
    ("6", "Laurin Quast", "laurin"),
]

_PRODUCTS = [
    ("1", "Table", 899, 100, True),
    ("2", "Couch", 1299, 1000, False),
    ("3", "Glass", 15, 20, False),
    ("4", "Chair", 499, 100, False),
    ("5", "TV", 1299, 1000, True),
    ("6", "Lamp", 6999, 300, True),
    ("7", "Grill", 3999, 2000, True),
    ("8", "Fridge", 100000, 6000, False),
    ("9", "Sofa", 9999, 800, True),
]

_LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore "
    "magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo "
    "consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla "
    "pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est "
    "laborum."
)
_SED = (
    "Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam rem "
    "aperiam, eaque ipsa quae ab illo inventore veritatis et quasi architecto beatae vitae dicta sunt explicabo. "
    "Nemo enim ipsam voluptatem quia voluptas sit aspernatur aut odit aut fugi"
)
_QUIA = (
    "sed quia consequuntur magni dolores eos qui ratione voluptatem sequi nesciunt. Neque porro quisquam est, qui "
    "dolorem ipsum quia dolor sit amet, consectetur, adipisci velit, sed quia non numquam eius modi tempora incidunt "
    "ut labore et dolore magnam aliquam quaerat voluptatem."
)
_MINIMA = (
    "Ut enim ad minima veniam, quis nostrum exercitationem ullam corporis suscipit laboriosam, nisi ut aliquid ex ea "
    "commodi consequatur? Quis autem"
)
_VERO = (
    "At vero eos et accusamus et iusto odio dignissimos ducimus qui blanditiis praesentium voluptatum deleniti atque "
    "corrupti quos dolores et quas molestias excepturi sint occaecati cupiditate non provident, similique sunt in "
    "culpa qui officia deserunt mollitia animi, id est laborum et dolorum fuga. Et harum quidem rerum facilis est et "
    "expedita distinctio. Nam libero tempore, cum soluta nobis est eligendi optio cumque nihil impedit quo minus id "
    "quod maxime placeat facere possimus, omnis voluptas assumenda est, omnis dolor repellendus. Temporibus autem "
    "quibusdam et aut officiis debitis aut rerum necessitatibus saepe eveniet ut et voluptates repudiandae sint et "
    "molestiae non recusandae. Itaque earum rerum hic tenetur a sapiente delectus, ut aut reiciendis voluptatibus "
    "maiores alias consequatur aut perferendis doloribus asperiores repellat."
)

# (review id, body, product upc)
_REVIEWS = [
    ("1", _LOREM, "1"),
    ("2", _SED, "1"),
    ("3", _QUIA, "1"),
    ("4", _MINIMA, "1"),
    ("5", _LOREM, "2"),
    ("6", _SED, "2"),
    ("7", _QUIA, "2"),
    ("8", _MINIMA, "2"),
    ("9", _MINIMA, "3"),
    ("10", _MINIMA, "4"),
    ("11", _VERO, "4"),
]


def generate() -> dict[str, Any]:
    """Every subgraph's rows, keyed by subgraph name."""
    return {
        "accounts": {
            "users": [
                {"id": uid, "name": name, "username": username, "birthday": 1234567890}
                for uid, name, username in _USERS
            ]
        },
        "products": {
            "products": [
                {"upc": upc, "name": name, "price": price, "weight": weight}
                for upc, name, price, weight, _ in _PRODUCTS
            ]
        },
        "inventory": {"inventory": [{"upc": upc, "inStock": stock} for upc, _, _, _, stock in _PRODUCTS]},
        "reviews": {
            "reviews": [{"id": rid, "body": body, "productUpc": upc} for rid, body, upc in _REVIEWS],
            # every Review.author is this user, with the username the reviews subgraph provides
            "author": {"id": "1", "username": "urigo"},
            # every User.reviews is these reviews, whoever the user
            "userReviews": ["1", "2"],
        },
    }


def write(path: Path) -> Path:
    """Write ``generate()`` as JSON to ``path``."""
    path.write_text(json.dumps(generate(), indent=1, sort_keys=True))
    return path


if __name__ == "__main__":
    print(json.dumps(generate(), indent=1, sort_keys=True))
