"""Progressive ``@override``: which override labels are enabled for one request.

Federation spec, ``@override(label:)``: a ``percent(N)`` label sends N% of requests to the overriding
subgraph; any other label is enabled by the gateway's own policy. Ours: each ``percent(N)`` label is enabled
per request with probability N/100, and custom labels are enabled by the request header named in
``ServerSettings.override_labels_header`` (``X-Override-Labels: new-reviews, beta``), of which only labels
the supergraph uses are kept. A header cannot force a ``percent(N)`` label: that share stays random.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.composition.supergraph import Supergraph

__all__ = ["OverrideLabels", "OverridePolicy", "override_labels_of"]

_PERCENT = re.compile(r"^percent\((\d{1,3}(?:\.\d{1,8})?)\)$")


@dataclass(frozen=True)
class OverrideLabels:
    """The override labels a supergraph uses: ``percent(N)`` labels with N, and custom labels."""

    percentages: tuple[tuple[str, float], ...] = ()
    custom: frozenset[str] = frozenset()


def override_labels_of(supergraph: Supergraph) -> OverrideLabels:
    """Collect every ``overrideLabel`` of ``@join__field`` (join v0.4+) in the supergraph."""
    percentages: dict[str, float] = {}
    custom: set[str] = set()
    for type_ in supergraph.types.values():
        for field in type_.fields.values():
            for in_graph in field.subgraphs.values():
                label = in_graph.override_label
                if label is None:
                    continue
                match = _PERCENT.match(label)
                if match:
                    percentages[label] = min(100.0, float(match.group(1)))
                else:
                    custom.add(label)
    return OverrideLabels(tuple(sorted(percentages.items())), frozenset(custom))


class OverridePolicy:
    """Decides the enabled labels of each request (see the module docstring)."""

    def __init__(
        self,
        labels: OverrideLabels,
        *,
        header: str | None = "x-override-labels",
        rng: random.Random | None = None,
    ) -> None:
        self.labels = labels
        self.header = header.lower() if header else None
        self._random = (rng or random.Random()).random

    def enabled(self, headers: Mapping[str, str] | None) -> frozenset[str]:
        """The labels enabled for a request with these (lower-case or case-insensitive) headers."""
        labels = self.labels
        if not labels.percentages and not labels.custom:
            return frozenset()
        chosen = {label for label, percent in labels.percentages if self._random() * 100.0 < percent}
        if self.header and labels.custom and headers:
            raw = headers.get(self.header)
            if raw:
                chosen.update(p.strip() for p in raw.split(",") if p.strip() in labels.custom)
        return frozenset(chosen)
