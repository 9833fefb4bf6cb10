"""Several gateway processes serving one port (``fedgw serve --workers N``), so one host uses all its cores.

The parent process serves no request. It loads the supergraph once, forks ``N`` workers (each a whole
gateway: ``/graphql``, ``/health``, ``/ready``, ``/metrics``), restarts a worker that dies (capped exponential
backoff, logged), and passes signals on: SIGTERM or SIGINT stops every worker gracefully (each finishes its
in-flight requests, up to ``--graceful-timeout``; whatever still runs a few seconds later is killed) and the
parent exits 0; a second one makes the workers stop at once. SIGHUP loads the supergraph again in the parent
and has every worker reload it.

Sockets: every worker gets a listening socket of its own with ``SO_REUSEPORT``, bound by the parent just before
it forks that worker, and the kernel hands each new connection to one of them by a hash of its addresses. The
other common choice, one socket bound in the parent and shared by all, wakes every worker's event loop for each
new connection (libuv, under uvloop, watches it without exclusive wake-ups: libuv#1111) and lets whichever gets
there first accept it, so the spread depends on scheduling; with ``SO_REUSEPORT`` one worker is woken. Measured
here with two idle uvloop workers and 50 connections opened one after the other, the two spread alike (shared:
30/20, 41/9, 25/25, 18/32, 29/21, 28/22; ``SO_REUSEPORT``: 24/26, 23/27, 28/22, 18/32, 22/28, 30/20), so the
choice rests on the wake-ups, not on a measured balance. What it costs: a worker that dies takes its queue of
not-yet-accepted connections with it (they are reset; a shared queue would keep them), and a restarted worker
binds afresh. A connection stays with the worker that accepted it. Before binding the group the parent binds
the address once without ``SO_REUSEPORT``, so a port another server (or a second gateway) holds is an error
here rather than a port silently shared with it.

Supergraph: workers are forked after the parent has loaded the supergraph, so they start without composing or
parsing anything. The parent keeps the supergraph SDL in a file of its own (a supergraph file is copied; a
config is composed); on SIGHUP it loads it again, checks it, replaces the file, and the workers reload from
that file: one composition per reload, whatever ``N``. A worker started later forks from the parent's current
supergraph. With a registry (``--registry``) every worker follows the registry itself, which decides what is
served; SIGHUP is then not passed on.

Metrics: each worker has its own Prometheus registry, so a scrape of the shared port reads the counters of the
one worker that accepted it (see README.md, "Serving on several cores").
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.composition.supergraph import Supergraph

__all__ = [
    "RESTART_DELAY",
    "RESTART_DELAY_CAP",
    "STABLE_AFTER",
    "SupergraphFile",
    "Worker",
    "WorkerSupervisor",
    "listen_socket",
    "worker_count",
]

RESTART_DELAY = 0.5  # seconds before the first restart of a worker
RESTART_DELAY_CAP = 30.0  # a worker that keeps dying is tried this often, forever
STABLE_AFTER = 30.0  # a worker that ran this long before dying starts its backoff afresh
STOP_MARGIN = 5.0  # after the graceful timeout: then whatever still runs is killed
BACKLOG = 2048  # uvicorn's default

logger = logging.getLogger("gateway.workers")


def worker_count(value: int | str) -> int:
    """The number of workers ``value`` (a count, or ``auto``: one per core this process may run on) asks for."""
    if value == "auto":
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a number of worker processes (1 or more) or 'auto', got {value!r}")
    return value


def listen_socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    """A TCP socket bound to ``host:port`` (``SO_REUSEADDR``, and ``SO_REUSEPORT`` when asked), listening."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


@dataclass
class SupergraphFile:
    """The supergraph the workers serve, kept as SDL in a file of the parent's: ``refresh`` loads it again."""

    load_sdl: Callable[[], str]
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="fedgw-workers-")))
    current: Supergraph | None = None

    @property
    def path(self) -> Path:
        return self.directory / "supergraph.graphql"

    def refresh(self) -> Supergraph:
        """Load the SDL, read it (a bad one raises and changes nothing), then make it the workers' file."""
        from gateway.server.loading import load_supergraph_file

        candidate = self.directory / "next.graphql"
        candidate.write_text(self.load_sdl(), encoding="utf-8")
        supergraph = load_supergraph_file(candidate)
        os.replace(candidate, self.path)  # a worker reloading now reads the old file or the new one, whole
        self.current = supergraph
        return supergraph

    def load(self) -> Supergraph:
        """What a worker reloads on SIGHUP: the file the parent wrote last."""
        from gateway.server.loading import load_supergraph_file

        return load_supergraph_file(self.path)

    def remove(self) -> None:
        for path in (self.path, self.directory / "next.graphql"):
            path.unlink(missing_ok=True)
        try:
            self.directory.rmdir()
        except OSError:
            pass


@dataclass
class Worker:
    """One worker slot: its process (when running) and its restart state."""

    number: int
    pid: int | None = None
    started_at: float = 0.0
    restarts: int = 0
    crashes: int = 0  # consecutive short-lived runs: the exponent of the backoff
    restart_at: float | None = None


def _exit_description(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"killed by {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def _die_with_parent(parent: int) -> None:
    """Have the kernel send this worker SIGTERM when the parent dies, however it dies (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        try:
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the call above
        os._exit(0)


@dataclass
class WorkerSupervisor:
    """Forks ``count`` workers that each run ``serve(socket, number)``, keeps them running, passes signals on.

    ``reload`` (None: SIGHUP is not passed on) runs in the parent on SIGHUP and returns whether the workers
    should reload; ``cleanup`` runs when the parent is done."""

    count: int
    host: str
    port: int
    serve: Callable[[socket.socket, int], int]
    reload: Callable[[], bool] | None = None
    graceful_timeout: float = 30.0
    cleanup: Callable[[], None] = lambda: None
    initial_delay: float = RESTART_DELAY
    delay_cap: float = RESTART_DELAY_CAP
    stable_after: float = STABLE_AFTER
    workers: list[Worker] = field(default_factory=list)
    _signals: list[int] = field(default_factory=list)

    def check_address(self) -> None:
        """Bind the address once alone: an ``OSError`` if another process holds it (port 0: pick one)."""
        probe = listen_socket(self.host, self.port, reuse_port=False)
        self.port = probe.getsockname()[1]
        probe.close()

    def delay_for(self, crashes: int) -> float:
        """The wait before restart number ``crashes + 1`` of a run of crashes: doubling, capped."""
        return min(self.delay_cap, self.initial_delay * 2.0 ** min(crashes, 62))

    def start(self, worker: Worker) -> None:
        sock = listen_socket(self.host, self.port, reuse_port=True)
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            self._run_worker(sock, worker.number, parent)
        sock.close()  # the worker's now: when it dies, its not-yet-accepted connections go with it
        worker.pid = pid
        worker.started_at = time.monotonic()
        worker.restart_at = None

    def _run_worker(self, sock: socket.socket, number: int, parent: int) -> None:
        """In the forked child: serve until stopped, then leave without running any of the parent's code."""
        code = 1
        try:
            for stop in (signal.SIGTERM, signal.SIGINT):
                signal.signal(stop, signal.SIG_DFL)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until the server's own handler is installed
            _die_with_parent(parent)
            code = self.serve(sock, number)
        except Exception:  # its last word; a KeyboardInterrupt or SystemExit just ends it (finally)
            logger.exception("gateway worker %d failed", number)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self._signals.append(signum)

    def run(self) -> int:
        """Start the workers and supervise them until a stop signal; 0 once every worker has stopped."""
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        try:
            self.workers = [Worker(number) for number in range(1, self.count + 1)]
            for worker in self.workers:
                self.start(worker)
            pids = ", ".join(str(w.pid) for w in self.workers)
            print(f"gateway: {self.count} workers (pids {pids})", flush=True)
            return self._supervise()
        finally:
            self.cleanup()

    def _supervise(self) -> int:
        stop_signal: int | None = None
        deadline = 0.0
        while True:
            now = time.monotonic()
            while self._signals:
                signum = self._signals.pop(0)
                if signum == signal.SIGHUP:
                    if stop_signal is None:
                        self._reload()
                elif stop_signal is None:
                    stop_signal = signum
                    deadline = now + self.graceful_timeout + STOP_MARGIN
                    logger.info("stopping %d workers (%s)", self.count, signal.Signals(signum).name)
                    self._send(signal.SIGTERM)  # SIGTERM, not SIGINT: a Ctrl-C also reaches the workers
                else:
                    self._send(signal.SIGINT)  # a second stop: uvicorn's force exit, no more waiting
            # After the signals: a worker that a Ctrl-C stopped along with the parent is not restarted.
            self._reap(now, stopping=stop_signal is not None)
            if stop_signal is not None:
                if all(w.pid is None for w in self.workers):
                    print(f"gateway: stopped ({signal.Signals(stop_signal).name})", flush=True)
                    return 0
                if now >= deadline:
                    logger.warning(
                        "workers still running %g s after the stop signal: killing them",
                        self.graceful_timeout + STOP_MARGIN,
                    )
                    self._send(signal.SIGKILL)
                    deadline = now + self.graceful_timeout
            else:
                self._restart_due(now)
            time.sleep(0.05)

    def _reap(self, now: float, *, stopping: bool) -> None:
        """Collect every worker that ended; unless stopping, schedule its restart."""
        for worker in self.workers:
            if worker.pid is None:
                continue
            try:
                pid, status = os.waitpid(worker.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = worker.pid, 0
            if pid == 0:
                continue
            worker.pid = None
            if stopping:
                continue
            if now - worker.started_at >= self.stable_after:
                worker.crashes = 0
            delay = self.delay_for(worker.crashes)
            worker.crashes += 1
            worker.restart_at = now + delay
            logger.warning(
                "gateway worker %d (pid %d) ended (%s); restarting in %g s",
                worker.number,
                pid,
                _exit_description(status),
                delay,
            )

    def _restart_due(self, now: float) -> None:
        for worker in self.workers:
            if worker.pid is None and worker.restart_at is not None and now >= worker.restart_at:
                try:
                    self.start(worker)
                except OSError as error:  # the port went to someone else while no worker held it
                    worker.restart_at = now + self.delay_for(worker.crashes)
                    worker.crashes += 1
                    logger.error("gateway worker %d could not listen: %s", worker.number, error)
                    continue
                worker.restarts += 1
                logger.warning("gateway worker %d restarted (pid %d)", worker.number, worker.pid)

    def _reload(self) -> None:
        if self.reload is None:
            logger.warning("SIGHUP ignored: the workers follow the registry, which decides what is served")
            return
        if self.reload():
            self._send(signal.SIGHUP)

    def _send(self, signum: int) -> None:
        for worker in self.workers:
            if worker.pid is not None:
                try:
                    os.kill(worker.pid, signum)
                except ProcessLookupError:
                    pass
