"""The server package's public surface: what other packages and users import."""

from __future__ import annotations

import gateway.server


def test_public_api_is_stable() -> None:
    assert sorted(gateway.server.__all__) == [
        "CorsPolicy",
        "ErrorKind",
        "Gateway",
        "GatewayResponse",
        "GraphQLRequest",
        "HttpSubgraphProbe",
        "Limits",
        "OperationExecutor",
        "Planner",
        "PreparedOperation",
        "Readiness",
        "RequestFailure",
        "RequestParamsError",
        "ServerSettings",
        "SubgraphProbe",
        "SubscriptionSettings",
        "SubscriptionStream",
        "check_readiness",
        "create_app",
    ]
    for name in gateway.server.__all__:
        assert getattr(gateway.server, name) is not None
