"""The answer every gateway must give to the benchmark operation, computed from the data without any gateway.

Fields come in the order of the operation's selection sets (GraphQL spec 7.2.2, Serialized Map Ordering).
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
    usernames = data["reviews"]["usernames"]

    def user(uid: str) -> dict[str, Any]:
        # fragment User { id username name }; on Review.author, username comes from reviews (@provides)
        return {"id": uid, "username": usernames[uid], "name": users[uid]["name"]}

    def review(r: dict[str, Any]) -> dict[str, Any]:
        return {"id": r["id"], "body": r["body"]}

    def product(upc: str) -> dict[str, Any]:
        p = next(p for p in products if p["upc"] == upc)
        shipping = 0 if p["price"] > 1000 else p["weight"] // 2
        return {
            "inStock": in_stock[upc],
            "name": p["name"],
            "price": p["price"],
            "shippingEstimate": shipping,
            "upc": upc,
            "weight": p["weight"],
        }

    def reviews_of_user(uid: str) -> list[dict[str, Any]]:
        return [r for r in reviews if r["authorID"] == uid]

    def reviews_of_product(upc: str) -> list[dict[str, Any]]:
        return [r for r in reviews if r["productUpc"] == upc]

    def author_with_reviews(r: dict[str, Any]) -> dict[str, Any]:
        # author { ...User reviews { ...Review product { ...Product } } }
        return {
            **user(r["authorID"]),
            "reviews": [
                {**review(x), "product": product(x["productUpc"])} for x in reviews_of_user(r["authorID"])
            ],
        }

    def product_reviews(upc: str) -> list[dict[str, Any]]:
        # reviews { ...Review author { ... } }
        return [{**review(r), "author": author_with_reviews(r)} for r in reviews_of_product(upc)]

    count = DEFAULT_FIRST if first is None else max(0, first)
    return {
        "data": {
            "users": [
                {
                    **{"id": u["id"], "username": u["username"], "name": u["name"]},
                    "reviews": [
                        {
                            **review(r),
                            "product": {
                                **product(r["productUpc"]),
                                "reviews": product_reviews(r["productUpc"]),
                            },
                        }
                        for r in reviews_of_user(u["id"])
                    ],
                }
                for u in data["accounts"]["users"]
            ],
            "topProducts": [
                {**product(p["upc"]), "reviews": product_reviews(p["upc"])} for p in products[:count]
            ],
        }
    }
