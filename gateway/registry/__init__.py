"""The services' registry: services register themselves in NATS JetStream KV, the gateway follows it.

``entries`` (what a service writes), ``store`` (the bucket), ``live`` (live replicas, expiry by heartbeat),
``rollout`` (the rolling-deploy rule), ``watcher`` (recompose, check, swap or refuse).
"""

from __future__ import annotations

from .entries import ServiceEntry
from .store import RegistrySettings

__all__ = ["RegistrySettings", "ServiceEntry"]
