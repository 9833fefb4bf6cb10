"""The short chaos run: twenty orders through the gateway with one kill -9, every saga invariant checked."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.nats]

ROOT = Path(__file__).resolve().parents[2]


def _free_base_port() -> int:
    """A port with the next four free too (gateway and four services)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base > 60000:
            continue
        try:
            for port in range(base, base + 5):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no five free ports in a row")


def test_twenty_orders_with_one_kill_keep_every_invariant():
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "saga_chaos.py"),
            "--orders",
            "20",
            "--kills",
            "1",
            "--seconds",
            "30",
            "--quiesce",
            "60",
            "--cancel-rate",
            "0.5",
            "--port",
            str(_free_base_port()),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "stuck (PENDING): 0" in result.stdout
    assert "duplicates after client retries with the same key: 0" in result.stdout
    # Cancels are asked as staff would (reading an order and cancelling it need orders:manage): some were
    # asked, and none went unanswered.
    asked = re.search(r"cancels asked (\d+) of (\d+) chosen, unanswered (\d+)", result.stdout)
    assert asked is not None, result.stdout
    assert int(asked.group(1)) > 0 and asked.group(3) == "0", result.stdout
