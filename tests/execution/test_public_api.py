"""The execution package's public surface: what the server and tests import from ``gateway.execution``."""

from __future__ import annotations

import gateway.execution as execution


def test_public_names_are_exported_and_importable() -> None:
    assert sorted(execution.__all__) == [
        "AiohttpSubgraphClient",
        "ErrorMasking",
        "Executor",
        "HeaderPolicy",
        "HttpxSubgraphClient",
        "NatsEventSource",
        "SUBGRAPH_REQUEST_FAILED",
        "SubgraphClient",
        "SubgraphFetchError",
        "SubgraphRequest",
        "SubgraphResponse",
        "SubscriptionSources",
        "WebSocketSubgraphSubscriber",
    ]
    for name in execution.__all__:
        assert getattr(execution, name) is not None


def test_both_clients_satisfy_the_protocol_signature() -> None:
    import inspect

    expected = list(inspect.signature(execution.SubgraphClient.fetch).parameters)
    for cls in (execution.AiohttpSubgraphClient, execution.HttpxSubgraphClient):
        assert list(inspect.signature(cls.fetch).parameters) == expected
        assert inspect.iscoroutinefunction(cls.fetch) and inspect.iscoroutinefunction(cls.aclose)
