"""The rolling-deploy rule: which SDL the gateway composes for a service whose replicas disagree, and which
replicas take its traffic.

During a rolling deploy, replicas of one service briefly serve different SDLs. A query planned against an SDL
must reach a replica that serves it, so:

1. **Compose from the SDL every live replica agrees on.** While they disagree, keep the SDL the served
   supergraph was composed from, as long as one live replica still serves it: the gateway switches only once
   every replica serves the new SDL (the old replicas deregistered or expired).
2. If no live replica serves the served SDL any more (or the service is new to this gateway, as when it
   starts in the middle of a deploy), take the SDL served by the most replicas; a tie goes to the SDL of the
   replica that registered first (the older deploy, which the others are replacing).
3. **Route only to replicas that serve the SDL of the supergraph being served.** Replicas with another SDL are
   registered but out of rotation until the supergraph changes to theirs. When none serves it (a change that
   was refused, or the short moment between the last old replica leaving and the swap), every live replica
   takes traffic: an additive change serves the old supergraph's queries; a breaking one is what the
   breaking-change policy (``gateway.commands.check``) refuses by default and ``fedgw check --registry``
   catches before a deploy.

Pure functions of the registry's entries; ``gateway.registry.watcher`` applies them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gateway.execution.replicas import Replica

from .entries import ServiceEntry

__all__ = ["ServiceChoice", "choices", "choose_sdl", "routed_replicas"]


@dataclass(frozen=True)
class ServiceChoice:
    """The SDL to compose for one service, and whether every live replica serves it."""

    service: str
    sdl: str
    url: str  # the supergraph's join__graph URL: the first registered replica serving ``sdl``
    agreed: bool
    pending: int  # live replicas serving another SDL


def choose_sdl(entries: Sequence[ServiceEntry], served_sdl: str | None) -> ServiceChoice:
    """Rules 1 and 2 for one service's live ``entries`` (not empty) given the SDL served for it now."""
    if not entries:
        raise ValueError("a service without live replicas has no SDL to choose")
    ordered = sorted(entries, key=lambda e: (e.started_at, e.replica))
    counts = Counter(e.sdl for e in ordered)
    if len(counts) == 1:
        sdl = ordered[0].sdl
    elif served_sdl is not None and served_sdl in counts:
        sdl = served_sdl
    else:
        first_of: dict[str, int] = {}
        for index, entry in enumerate(ordered):
            first_of.setdefault(entry.sdl, index)
        sdl = max(counts, key=lambda s: (counts[s], -first_of[s]))
    url = next(e.url for e in ordered if e.sdl == sdl)
    return ServiceChoice(ordered[0].service, sdl, url, len(counts) == 1, len(ordered) - counts[sdl])


def routed_replicas(entries: Sequence[ServiceEntry], served_sdl: str | None) -> list[Replica]:
    """Rule 3: every live replica, marked routed when it serves ``served_sdl`` (all, when none does)."""
    ordered = sorted(entries, key=lambda e: (e.started_at, e.replica))
    matching = any(e.sdl == served_sdl for e in ordered)
    return [Replica(e.replica, e.url, routed=not matching or e.sdl == served_sdl) for e in ordered]


def choices(
    services: Mapping[str, Sequence[ServiceEntry]], served: Mapping[str, str]
) -> dict[str, ServiceChoice]:
    """``choose_sdl`` for every service with live replicas."""
    return {name: choose_sdl(entries, served.get(name)) for name, entries in services.items() if entries}
