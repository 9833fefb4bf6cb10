"""The answer every gateway must give to the benchmark operation, computed from the data without any gateway.

The subgraphs behave as the public benchmark's do (see bench/federation/data.py): every review's author is
user 1, every user's reviews are the first two reviews, ``shippingEstimate`` is null. Fields come in the order of
the operation's selection sets (GraphQL spec 7.2.2, Serialized Map Ordering).
"""

from __future__ import annotations

from typing import Any

__all__ = ["expected_answer"]

DEFAULT_FIRST = 5


def expected_answer(data: dict[str, Any], first: int | None = None) -> dict[str, Any]:
    """``{"data": ...}`` for the operation of bench/federation/workload.py, ``topProducts(first:)`` as given."""
    users = {u["id"]: u for u in data["accounts"]["users"]}
    products = data["products"]["products"]
    in_stock = {row["upc"]: row["inStock"] for row in data["inventory"]["inventory"]}
    reviews = data["reviews"]["reviews"]
    by_id = {r["id"]: r for r in reviews}
    author = data["reviews"]["author"]
    user_reviews = [by_id[rid] for rid in data["reviews"]["userReviews"]]

    def review(r: dict[str, Any]) -> dict[str, Any]:
        return {"id": r["id"], "body": r["body"]}

    def product(upc: str) -> dict[str, Any]:
        p = next(p for p in products if p["upc"] == upc)
        # inventory drops the @requires fields of the representation: no shipping estimate
        return {
            "inStock": in_stock[upc],
            "name": p["name"],
            "price": p["price"],
            "shippingEstimate": None,
            "upc": upc,
            "weight": p["weight"],
        }

    def reviews_with_products() -> list[dict[str, Any]]:
        # reviews { ...Review product { ...Product } } of any user
        return [{**review(r), "product": product(r["productUpc"])} for r in user_reviews]

    def review_author() -> dict[str, Any]:
        # author { ...User reviews { ... } }: username from reviews (@provides), name from accounts
        uid = author["id"]
        return {
            "id": uid,
            "username": author["username"],
            "name": users[uid]["name"],
            "reviews": reviews_with_products(),
        }

    def product_reviews(upc: str) -> list[dict[str, Any]]:
        # reviews { ...Review author { ... } }
        return [{**review(r), "author": review_author()} for r in reviews if r["productUpc"] == upc]

    count = DEFAULT_FIRST if first is None else max(0, first)
    return {
        "data": {
            "users": [
                {
                    "id": u["id"],
                    "username": u["username"],
                    "name": u["name"],
                    "reviews": [
                        {
                            **review(r),
                            "product": {
                                **product(r["productUpc"]),
                                "reviews": product_reviews(r["productUpc"]),
                            },
                        }
                        for r in user_reviews
                    ],
                }
                for u in data["accounts"]["users"]
            ],
            "topProducts": [
                {**product(p["upc"]), "reviews": product_reviews(p["upc"])} for p in products[:count]
            ],
        }
    }
