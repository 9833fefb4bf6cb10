"""Daemon worker threads for CPU-bound request work (parsing, validating and planning a cold document).

Work run here leaves the event loop free: CPython hands the interpreter lock to another thread every
``sys.getswitchinterval()`` (5 ms), so ``/health`` and cached requests keep being answered while a large
document is prepared. The threads are daemons, unlike ``concurrent.futures``' (which the interpreter joins at
exit), so a stop signal ends the process even while one of them is busy.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["WorkerPool"]

T = TypeVar("T")

_Job = tuple[Future[Any], Callable[[], Any]]


class WorkerPool:
    """A fixed number of daemon threads started on first use; ``run`` awaits one call on one of them."""

    def __init__(self, threads: int = 2, name: str = "gateway-worker") -> None:
        self.threads = threads
        self.name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._started: list[threading.Thread] = []
        self._lock = threading.Lock()

    def _start(self) -> None:
        with self._lock:
            while len(self._started) < self.threads:
                thread = threading.Thread(
                    target=self._work, name=f"{self.name}-{len(self._started)}", daemon=True
                )
                thread.start()
                self._started.append(thread)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, call = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call())
            except BaseException as error:  # handed to the awaiting request, which decides
                future.set_exception(error)

    def submit(self, call: Callable[[], T]) -> Future[T]:
        if len(self._started) < self.threads:
            self._start()
        future: Future[T] = Future()
        self._jobs.put((future, call))
        return future

    async def run(self, call: Callable[[], T]) -> T:
        """Run ``call`` on a worker thread; a cancelled caller stops waiting (the call itself runs on)."""
        return await asyncio.wrap_future(self.submit(call))

    def shutdown(self) -> None:
        """Let idle threads end (busy ones end with the process: they are daemons)."""
        for _ in self._started:
            self._jobs.put(None)
        self._started = []
