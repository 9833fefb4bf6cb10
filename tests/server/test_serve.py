"""``fedgw serve`` as a real process: start-up from a supergraph file, /health, /ready, GraphiQL, SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
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

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SLOW_SECONDS = 1.5
SLOW_REQUEST_ARRIVED = threading.Event()


def slow_subgraph() -> Starlette:
    """Answers ``{ __typename }`` at once and anything else with ``hello`` after ``SLOW_SECONDS``."""

    async def graphql(request: Request) -> JSONResponse:
        body = orjson.loads(await request.body())
        if "hello" not in body["query"]:
            return JSONResponse({"data": {"__typename": "Query"}})
        SLOW_REQUEST_ARRIVED.set()
        await asyncio.sleep(SLOW_SECONDS)
        return JSONResponse({"data": {"hello": "world"}})

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


def launcher() -> list[str]:
    if (ROOT / "gateway" / "cli.py").exists() and (ROOT / "gateway" / "__main__.py").exists():
        return [sys.executable, "-m", "gateway", "serve"]
    code = (
        "import argparse, sys; from gateway.commands import serve; p = argparse.ArgumentParser();"
        " s = p.add_subparsers(); serve.add_parser(s); sys.exit(serve.run(p.parse_args()))"
    )
    return [sys.executable, "-c", code, "serve"]


@pytest.fixture(scope="module")
def products_url() -> Iterator[str]:
    with serve_in_thread(slow_subgraph()) as base:
        yield f"{base}/graphql"


@pytest.fixture
def gateway_process(tmp_path: Path, products_url: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    sdl = SUPERGRAPH_SDL.replace("http://products.test/graphql", products_url)
    dead = f"http://127.0.0.1:{free_port()}/graphql"
    sdl = sdl.replace("http://reviews.test/graphql", dead)
    path = tmp_path / "supergraph.graphql"
    path.write_text(sdl)
    (tmp_path / "with-extra.graphql").write_text(
        sdl.replace(
            "  hello: String @join__field(graph: PRODUCTS)",
            "  hello: String @join__field(graph: PRODUCTS)\n  extra: String @join__field(graph: PRODUCTS)",
        )
    )
    port = free_port()
    env = dict(os.environ, GATEWAY_PORT=str(port), GATEWAY_READY_TIMEOUT="0.5", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [*launcher(), "--supergraph", str(path), "--expose-query-plan", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            pytest.fail(f"gateway exited: {process.stdout.read() if process.stdout else ''}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("gateway did not become healthy")
        time.sleep(0.1)
    try:
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)


def test_port_and_host_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_HOST", "0.0.0.0")
    monkeypatch.setenv("GATEWAY_PORT", "4123")
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    args = parser.parse_args(["serve", "--supergraph", "x.graphql"])
    assert (args.host, args.port, args.supergraph) == ("0.0.0.0", 4123, "x.graphql")
    args = parser.parse_args(["serve", "--port", "5000"])
    assert args.port == 5000 and args.supergraph is None


def test_missing_supergraph_file_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [*launcher(), "--supergraph", str(tmp_path / "nope.graphql")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "SUPERGRAPH_NOT_READABLE" in done.stderr and "Traceback" not in done.stderr


def test_health_ready_and_graphiql(gateway_process: tuple[subprocess.Popen[str], str]) -> None:
    _, base = gateway_process
    assert httpx.get(f"{base}/health").json() == {"status": "ok"}
    ready = httpx.get(f"{base}/ready", timeout=5)
    assert ready.status_code == 503
    assert ready.json()["subgraphs"]["products"] == "ok"
    assert ready.json()["subgraphs"]["reviews"].startswith("request failed")
    page = httpx.get(f"{base}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql.min.js" in page.text


def test_sigterm_finishes_in_flight_requests(gateway_process: tuple[subprocess.Popen[str], str]) -> None:
    process, base = gateway_process
    outcome: dict[str, object] = {}

    def slow_request() -> None:
        try:
            response = httpx.post(f"{base}/graphql", json={"query": "{ hello }"}, timeout=30)
            outcome["status"] = response.status_code
            outcome["body"] = response.json()
        except Exception as error:
            outcome["error"] = repr(error)

    SLOW_REQUEST_ARRIVED.clear()
    thread = threading.Thread(target=slow_request)
    thread.start()
    assert SLOW_REQUEST_ARRIVED.wait(20), "the request never reached the subgraph"
    process.send_signal(signal.SIGTERM)  # while the gateway waits on the slow subgraph
    thread.join(30)
    assert outcome.get("status") == 200, outcome
    assert outcome["body"] == {"data": {"hello": "world"}}
    assert process.wait(20) == 0
    # New connections are refused once the server has stopped.
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{base}/health", timeout=1)


def test_sighup_reloads_the_supergraph(
    gateway_process: tuple[subprocess.Popen[str], str], tmp_path: Path
) -> None:
    process, base = gateway_process
    ask = {"query": "{ extra }"}
    headers = {"accept": "application/graphql-response+json"}
    before = httpx.post(f"{base}/graphql", json=ask, headers=headers)
    assert before.status_code == 400  # no such field yet
    (tmp_path / "with-extra.graphql").replace(tmp_path / "supergraph.graphql")
    process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while httpx.post(f"{base}/graphql", json=ask, headers=headers).status_code == 400:
        assert time.monotonic() < deadline, "the supergraph was not reloaded"
        time.sleep(0.1)
    assert process.poll() is None


@pytest.mark.parametrize(
    ("argv", "environ", "expose"),
    [
        (["--host", "127.0.0.1"], {}, True),
        (["--host", "::1"], {}, True),
        (["--host", "localhost"], {}, True),
        (["--host", "0.0.0.0"], {}, False),
        (["--host", "0.0.0.0"], {"GATEWAY_EXPOSE_QUERY_PLAN": "true"}, True),
        (["--host", "127.0.0.1"], {"GATEWAY_EXPOSE_QUERY_PLAN": "0"}, False),
        (["--host", "0.0.0.0", "--expose-query-plan"], {}, True),
        (["--host", "127.0.0.1", "--no-expose-query-plan"], {"GATEWAY_EXPOSE_QUERY_PLAN": "1"}, False),
    ],
)
def test_query_plan_exposure_precedence(argv: list[str], environ: dict[str, str], expose: bool) -> None:
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    args = parser.parse_args(["serve", *argv])
    settings = serve.settings_for(args, None, environ)
    assert settings.expose_query_plan is expose
    assert settings.graphiql


def test_no_graphiql_flag() -> None:
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    assert not serve.settings_for(parser.parse_args(["serve", "--no-graphiql"]), None, {}).graphiql


async def test_reload_retires_previous_subgraph_clients() -> None:
    class Client:
        def __init__(self) -> None:
            self.closed = False

        async def aclose(self) -> None:
            self.closed = True

    clients = serve._Clients()
    first, second, third = Client(), Client(), Client()
    clients.open.extend([first, second])
    retiring = asyncio.create_task(clients.retire_old(0.05))
    await asyncio.sleep(0)
    assert not first.closed and clients.open == [second]  # in-flight requests may still use it
    await retiring
    assert first.closed and not second.closed
    # A shutdown during the grace period closes the retiring clients too.
    clients.open.append(third)
    retiring = asyncio.create_task(clients.retire_old(10))
    await asyncio.sleep(0)
    await clients.aclose()
    assert second.closed and third.closed
    retiring.cancel()


def test_supergraph_file_urls_follow_subgraph_url_variables(tmp_path):
    from pathlib import Path

    from gateway.server.loading import load_supergraph_file

    root = Path(__file__).resolve().parents[2]
    supergraph = load_supergraph_file(
        root / "schema" / "supergraph.graphql", environ={"SUBGRAPH_ORDERS_URL": "http://orders:4003/graphql"}
    )
    assert supergraph.subgraphs["orders"].url == "http://orders:4003/graphql"
    assert supergraph.subgraphs["users"].url == "http://127.0.0.1:4001/graphql"
