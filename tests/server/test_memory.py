"""Giving freed memory back to the operating system (gateway.server.memory)."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from gateway.server import memory
from gateway.server.runtime import PermanentGeneration


def _rss_mib() -> float:
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(memory._libc() is None, reason="glibc's allocator only")
def test_trim_returns_memory_freed_between_live_blocks() -> None:
    blocks = [bytes(100_000) for _ in range(300)]  # 30 MB from malloc's heap (each below the mmap threshold)
    pinned = bytes(100_000)  # after them: what they free is not at the heap's top, so free() keeps it
    before = _rss_mib()
    del blocks
    kept = _rss_mib()
    memory.trim()
    after = _rss_mib()
    assert before - kept < 10, (before, kept)  # freed, but still the process's
    assert kept - after > 20, (kept, after)  # given back
    del pinned


def test_freezing_cached_plans_trims(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[None] = []
    monkeypatch.setattr("gateway.server.runtime.trim", lambda: calls.append(None))
    try:
        assert PermanentGeneration(enabled=True).after_caching()
    finally:
        gc.unfreeze()
    assert calls == [None]
