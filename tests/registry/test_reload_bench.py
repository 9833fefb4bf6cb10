"""A short ``bench/reload.py``: supergraph changes under steady load, no request fails, every change served."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.local_system import ROOT

from .conftest import NATS_URL

pytestmark = [pytest.mark.nats, pytest.mark.e2e]


def test_supergraph_changes_under_load_fail_no_request(bucket: str) -> None:
    # `bucket` only checks NATS is here: the benchmark makes (and deletes) a bucket of its own.
    done = subprocess.run(
        [sys.executable, "bench/reload.py", "--changes", "3", "--interval", "0.5", "--concurrency", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={"NATS_URL": NATS_URL, "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "failures:  0" in done.stdout
    assert re.search(r"3 written, 3 swaps served", done.stdout), done.stdout
    requests = int(re.search(r"requests:  (\d+)", done.stdout).group(1))  # type: ignore[union-attr]
    assert requests > 50
    assert re.search(r"requests that crossed a swap: n=[1-9]", done.stdout), done.stdout
