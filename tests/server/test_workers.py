"""``fedgw serve --workers N`` as real processes: both workers accept connections, SIGHUP reloads every worker,
a killed worker is restarted while the others answer, SIGTERM drains and stops them all; and the flag's
checks. Which process holds a connection is read from /proc (the socket inodes of each worker's file
descriptors against the kernel's TCP table), not from anything the gateway says about itself."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.commands import serve

from .live import free_port, serve_in_thread
from .support import SUPERGRAPH_SDL

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads processes and sockets from /proc"),
]

ROOT = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, "-m", "gateway", "serve"]
SLOW_SECONDS = 1.5
SLOW_REQUEST_ARRIVED = threading.Event()
CONNECTIONS = 24  # spread by SO_REUSEPORT's hash: all on one of two workers has odds 2 ** -23


def subgraph() -> Starlette:
    """``hello`` after ``SLOW_SECONDS``; anything else (``{ __typename }``, ``extra``) at once."""

    async def graphql(request: Request) -> JSONResponse:
        body = orjson.loads(await request.body())
        if "hello" in body["query"]:
            SLOW_REQUEST_ARRIVED.set()
            await asyncio.sleep(SLOW_SECONDS)
            return JSONResponse({"data": {"hello": "world"}})
        if "extra" in body["query"]:
            return JSONResponse({"data": {"extra": "more"}})
        return JSONResponse({"data": {"__typename": "Query"}})

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


@pytest.fixture(scope="module")
def products_url() -> Iterator[str]:
    with serve_in_thread(subgraph()) as base:
        yield f"{base}/graphql"


def children(parent: int) -> set[int]:
    """The live (not zombie) processes whose parent is ``parent``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def established(pid: int, port: int) -> int:
    """How many accepted TCP connections to ``port`` process ``pid`` holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            local_port = int(parts[1].rsplit(":", 1)[1], 16)
            if local_port == port and parts[3] == "01" and parts[9] in inodes:
                count += 1
    return count


def connections_by_worker(base: str, port: int, workers: set[int]) -> dict[int, int]:
    """Open ``CONNECTIONS`` connections (one request each, kept open) and count each worker's."""
    clients = [httpx.Client(base_url=base, timeout=10) for _ in range(CONNECTIONS)]
    try:
        for client in clients:
            assert client.get("/health").status_code == 200
        return {pid: established(pid, port) for pid in workers}
    finally:
        for client in clients:
            client.close()


def wait_for(what: str, check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def start_gateway(path: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", GATEWAY_READY_TIMEOUT="0.5")
    return subprocess.Popen(
        [*SERVE, "--supergraph", str(path), "--port", str(port), "--log-level", "warning", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_workers_share_the_port_reload_restart_and_stop(tmp_path: Path, products_url: str) -> None:
    sdl = SUPERGRAPH_SDL.replace("http://products.test/graphql", products_url)
    path = tmp_path / "supergraph.graphql"
    path.write_text(sdl)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    parent = start_gateway(path, port, "--workers", "2")
    try:
        wait_for("the gateway did not become healthy", lambda: parent.poll() is None and healthy(base), 30)
        wait_for("two workers did not start", lambda: len(children(parent.pid)) == 2)
        workers = children(parent.pid)

        # Every worker accepts connections; the parent serves none.
        counts = connections_by_worker(base, port, workers | {parent.pid})
        assert counts[parent.pid] == 0
        assert all(counts[pid] > 0 for pid in workers), counts
        assert sum(counts.values()) == CONNECTIONS

        # SIGHUP: the parent reads the file again and every worker serves the new supergraph.
        ask = {"query": "{ extra }"}
        headers = {"accept": "application/graphql-response+json"}
        assert httpx.post(f"{base}/graphql", json=ask, headers=headers).status_code == 400
        path.write_text(
            sdl.replace(
                "  hello: String @join__field(graph: PRODUCTS)",
                "  hello: String @join__field(graph: PRODUCTS)\n  extra: String @join__field(graph: PRODUCTS)",
            )
        )
        parent.send_signal(signal.SIGHUP)
        wait_for(
            "the workers did not reload",
            lambda: all(
                httpx.post(f"{base}/graphql", json=ask, headers=headers).status_code == 200 for _ in range(12)
            ),
        )
        assert children(parent.pid) == workers  # reloaded in place, not restarted

        # A worker killed outright: the other answers every request meanwhile, and it is replaced.
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        wait_for("the killed worker is still running", lambda: victim not in children(parent.pid))
        answered = 0
        while len(children(parent.pid)) < 2:
            assert httpx.post(f"{base}/graphql", json=ask, headers=headers).json() == {
                "data": {"extra": "more"}
            }
            answered += 1
            assert answered < 2000, "the killed worker was not restarted"
        replacement = children(parent.pid) - workers
        assert len(replacement) == 1 and victim not in replacement
        workers = children(parent.pid)
        wait_for(
            "the restarted worker accepts no connections",
            lambda: all(n > 0 for n in connections_by_worker(base, port, workers).values()),
        )
        # It forked from the parent's current supergraph: the reloaded one.
        for _ in range(12):
            assert httpx.post(f"{base}/graphql", json=ask, headers=headers).status_code == 200

        # SIGTERM to the parent: in-flight requests finish, every worker stops, the parent exits 0.
        outcome: dict[str, object] = {}

        def slow_request() -> None:
            try:
                response = httpx.post(f"{base}/graphql", json={"query": "{ hello }"}, timeout=30)
                outcome["body"] = response.json()
            except Exception as error:
                outcome["error"] = repr(error)

        SLOW_REQUEST_ARRIVED.clear()
        thread = threading.Thread(target=slow_request)
        thread.start()
        assert SLOW_REQUEST_ARRIVED.wait(10), "the request never reached the subgraph"
        parent.send_signal(signal.SIGTERM)
        thread.join(30)
        assert outcome.get("body") == {"data": {"hello": "world"}}, outcome
        assert parent.wait(20) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
        assert not healthy(base)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(5)
        for pid in children(parent.pid):
            os.kill(pid, signal.SIGKILL)
    output = parent.stdout.read() if parent.stdout else ""
    assert "(2 workers)" in output and f"pid {victim}" in output and "killed by SIGKILL" in output, output
    assert "stopped (SIGTERM)" in output and "Traceback" not in output, output


def test_sigterm_stops_a_worker_that_does_not_stop(tmp_path: Path) -> None:
    """A worker that cannot act on SIGTERM (stopped here; wedged in production) is killed after the grace."""
    path = tmp_path / "supergraph.graphql"
    path.write_text(SUPERGRAPH_SDL)
    port = free_port()
    parent = start_gateway(path, port, "--workers", "2", "--graceful-timeout", "0.5")
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for("the gateway did not become healthy", lambda: parent.poll() is None and healthy(base), 30)
        wait_for("two workers did not start", lambda: len(children(parent.pid)) == 2)
        workers = children(parent.pid)
        os.kill(min(workers), signal.SIGSTOP)
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(30) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(5)
        for pid in children(parent.pid):
            os.kill(pid, signal.SIGKILL)
    output = parent.stdout.read() if parent.stdout else ""
    assert "still running" in output and "stopped (SIGTERM)" in output, output


def test_a_port_held_elsewhere_is_an_error_not_shared(tmp_path: Path) -> None:
    """Another process listening with SO_REUSEPORT would take half the connections if the workers joined it."""
    path = tmp_path / "supergraph.graphql"
    path.write_text(SUPERGRAPH_SDL)
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        done = start_gateway(path, port, "--workers", "2")
        output, _ = done.communicate(timeout=60)
    assert done.returncode == 1, output
    assert f"cannot listen on 127.0.0.1:{port}" in output and "Traceback" not in output, output


@pytest.mark.parametrize("value", ["0", "-2", "many", "1.5"])
def test_bad_worker_flags_exit_2(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["serve", "--workers", value])
    assert stopped.value.code == 2
    assert (
        f"argument --workers: expected a number of worker processes (1 or more) or 'auto', got {value!r}"
        in (capsys.readouterr().err)
    )


def test_bad_worker_variable_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(SUPERGRAPH_SDL)
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    monkeypatch.setenv("GATEWAY_WORKERS", "0")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:  # run() sets up the process's logging first: the other tests keep theirs
        assert (
            serve.run(parser.parse_args(["serve", "--supergraph", str(path), "--log-level", "warning"])) == 2
        )
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
    assert "GATEWAY_WORKERS: expected a number of worker processes (1 or more) or 'auto', got '0'" in (
        capsys.readouterr().err
    )


def test_worker_count_precedence() -> None:
    from gateway.config import parse_config

    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    config = parse_config("workers: 3\nsubgraphs:\n  - {name: a, url: 'http://a.test/graphql'}\n")
    default = parser.parse_args(["serve"])
    assert serve.workers_for(default, None, {}) == 1
    assert serve.workers_for(default, config, {}) == 3
    assert serve.workers_for(default, config, {"GATEWAY_WORKERS": "2"}) == 2
    assert (
        serve.workers_for(parser.parse_args(["serve", "--workers", "4"]), config, {"GATEWAY_WORKERS": "2"})
        == 4
    )
    cores = len(os.sched_getaffinity(0))
    assert serve.workers_for(parser.parse_args(["serve", "--workers", "auto"]), None, {}) == cores
    assert serve.workers_for(default, None, {"GATEWAY_WORKERS": "auto"}) == cores


def test_bad_worker_count_in_the_config_names_the_key() -> None:
    from gateway.config import ConfigError, parse_config

    with pytest.raises(ConfigError) as refused:
        parse_config(
            "workers: 0\nsubgraphs:\n  - {name: a, url: 'http://a.test/graphql'}\n", source="gateway.yaml"
        )
    assert "gateway.yaml: workers: expected a number of worker processes (1 or more) or 'auto', got 0" in str(
        refused.value
    )
