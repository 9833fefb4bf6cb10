"""Deterministic static data of the benchmark subgraphs: 6 users, 9 products, 9 inventory rows, 11 reviews.

The same seed always gives the same JSON, so every gateway and every run sees byte-identical subgraph answers.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_SEED", "generate", "write"]

DEFAULT_SEED = 2026

USERS = 6
PRODUCTS = 9
REVIEWS = 11
BODY_CHARS = (150, 800)
REVIEWED_PRODUCTS = 5

_FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tony"]
_LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Perlman",
    "Hoare",
]
_ADJECTIVES = [
    "Table",
    "Couch",
    "Chair",
    "Lamp",
    "Shelf",
    "Desk",
    "Stool",
    "Bench",
    "Cabinet",
    "Mirror",
    "Rug",
]
_WORDS = (
    "the a of gateway query plan fetch entity key field subgraph review product user price weight ship stock "
    "fast slow good great poor solid sturdy light heavy bright dark wooden metal glass comfortable modern "
    "classic would buy again recommend arrived broken late early quickly assembled easily instructions clear "
    "and but with without very quite rather too not really"
).split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(5, 14))]
    return " ".join(words).capitalize() + "."


def _body(rng: random.Random) -> str:
    """Sentences up to a length drawn from ``BODY_CHARS``, cut at that length."""
    target = rng.randint(*BODY_CHARS)
    text = ""
    while len(text) < target:
        text = f"{text} {_sentence(rng)}" if text else _sentence(rng)
    return text[:target]


def generate(seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Every subgraph's rows, keyed by subgraph name."""
    rng = random.Random(seed)
    users = []
    for n in range(1, USERS + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        users.append(
            {
                "id": str(n),
                "name": f"{first} {last}",
                "username": f"@{first.lower()}{n}",
                "birthday": rng.randint(0, 2**31 - 1),
            }
        )
    products = [
        {
            "upc": str(n),
            "name": f"{rng.choice(_ADJECTIVES)} {n}",
            "price": rng.randint(10, 1999),
            "weight": rng.randint(1, 1000),
        }
        for n in range(1, PRODUCTS + 1)
    ]
    inventory = [{"upc": p["upc"], "inStock": rng.random() < 0.7} for p in products]
    reviews = [
        {
            "id": str(n),
            # every user writes at least one review; reviews are of the five products topProducts returns by
            # default, which makes the answer's review -> product -> reviews fan-out about 90 KB
            "authorID": users[(n - 1) % USERS]["id"],
            "productUpc": rng.choice(products[:REVIEWED_PRODUCTS])["upc"],
            "body": _body(rng),
        }
        for n in range(1, REVIEWS + 1)
    ]
    return {
        "accounts": {"users": users},
        "products": {"products": products},
        "inventory": {"inventory": inventory},
        # the reviews subgraph keeps its own copy of usernames: it @provides User.username on Review.author
        "reviews": {"reviews": reviews, "usernames": {u["id"]: u["username"] for u in users}},
    }


def write(path: Path, seed: int = DEFAULT_SEED) -> Path:
    """Write ``generate(seed)`` as JSON to ``path``."""
    path.write_text(json.dumps(generate(seed), indent=1, sort_keys=True))
    return path


if __name__ == "__main__":
    print(json.dumps(generate(), indent=1, sort_keys=True))
