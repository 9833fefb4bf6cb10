"""`up` keeps the system running: a child that dies is restarted with backoff, the others are left alone."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from urllib.parse import urlsplit

import httpx
import pytest

from gateway.commands.up import Child, Supervisor
from tests.local_system import local_system

pytestmark = pytest.mark.e2e

USERS_QUERY = "{ users(first: 2) { edges { node { id name } } } }"


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _users_answer(url: str) -> bool:
    try:
        body = httpx.post(url, json={"query": USERS_QUERY}, timeout=10).json()
    except (httpx.HTTPError, ValueError):
        return False
    return not body.get("errors") and len((body.get("data") or {}).get("users", {}).get("edges", [])) == 2


def test_a_killed_service_comes_back_and_the_others_never_restart(tmp_path):
    with local_system(tmp_path) as system:
        before = system.pids()
        assert set(before) == {"users", "products", "orders", "gateway"}, system.log.read_text()
        assert _users_answer(system.url)

        os.kill(before["users"], signal.SIGKILL)
        _wait_for(
            lambda: (
                "users exited with code -9 (killed by SIGKILL); restarting in 0.5s" in system.log.read_text()
            ),
            30,
            "the supervisor to notice",
        )
        after = _wait_for(
            lambda: (p := system.pids())["users"] != before["users"] and p, 30, "users to be restarted"
        )
        _wait_for(lambda: "users is healthy again" in system.log.read_text(), 60, "users to be healthy")
        _wait_for(lambda: _users_answer(system.url), 60, "a query through the gateway to work again")

        log = system.log.read_text()
        assert system.process.poll() is None
        for name in ("products", "orders", "gateway"):
            assert after[name] == before[name] and _alive(before[name]), name
            assert f"{name} exited" not in log and f"{name} restarted" not in log
        assert log.count("users restarted") == 1

        system.process.send_signal(signal.SIGINT)
        assert system.process.wait(timeout=30) == 0, system.log.read_text()[-3000:]
        ports = [urlsplit(u).port for u in system.subgraph_urls.values()] + [system.port]
        pids = set(before.values()) | set(after.values())
    for port in ports:
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
    assert not any(_alive(pid) for pid in pids)


def test_sigterm_stops_everything_too(tmp_path):
    with local_system(tmp_path) as system:
        pids = system.pids()
        system.process.send_signal(signal.SIGTERM)
        assert system.process.wait(timeout=30) == 0
    assert not any(_alive(pid) for pid in pids.values())


def _crashing() -> list[str]:
    return [sys.executable, "-c", "raise SystemExit(3)"]


def test_a_child_that_keeps_crashing_is_retried_at_the_cap_and_the_others_run_on():
    lines: list[str] = []
    supervisor = Supervisor(
        dict(os.environ), say=lines.append, initial_delay=0.05, delay_cap=0.2, stable_after=60
    )
    crashing = supervisor.start(Child("flaky", _crashing()))
    steady = supervisor.start(Child("steady", [sys.executable, "-c", "import time; time.sleep(60)"]))
    steady_pid = steady.process.pid
    try:
        deadline = time.monotonic() + 8
        while crashing.restarts < 8 and time.monotonic() < deadline:
            supervisor.tick()
            time.sleep(0.01)
    finally:
        supervisor.stop()
    delays = [
        float(m.group(1))
        for m in map(re.compile(r"flaky exited with code 3; restarting in (\S+)s").match, lines)
        if m
    ]
    assert delays[:4] == [0.05, 0.1, 0.2, 0.2]
    assert set(delays[3:]) == {0.2} and len(delays) >= 8, lines
    assert crashing.restarts >= 8
    assert steady.restarts == 0 and steady.process.pid == steady_pid
    assert not any(line.startswith("steady") for line in lines)
    assert steady.process.poll() is not None  # stop() ended it


def test_a_crash_after_a_stable_run_starts_the_backoff_afresh():
    lines: list[str] = []
    supervisor = Supervisor(
        dict(os.environ), say=lines.append, initial_delay=1, delay_cap=30, stable_after=10
    )
    child = supervisor.start(Child("flaky", _crashing()))
    child.process.wait()
    child.crashes = 5  # it had crashed often before ...
    supervisor.tick(now=child.started_at + 11)  # ... but this run lasted longer than stable_after
    supervisor.stop()
    assert lines == ["flaky exited with code 3; restarting in 1s"]
    assert [supervisor.delay_for(n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert supervisor.delay_for(10_000) == 30
