"""CPU cost per request of the subgraph clients against a fast local GraphQL server.

The server runs in a child process (a minimal asyncio HTTP/1.1 keep-alive server answering a fixed GraphQL
response), so the time measured with ``time.process_time`` is the client's own work: building the request,
the HTTP exchange, and decoding and checking the response. Run::

    .venv/bin/python bench/client_bench.py [--requests 3000] [--concurrency 1] [--uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import statistics
import time
from typing import Any

from gateway.execution import AiohttpSubgraphClient, HttpxSubgraphClient, SubgraphRequest

BODY = b'{"data":{"_entities":[{"__typename":"Product","upc":"1","inStock":true},{"__typename":"Product","upc":"2","inStock":false}]}}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)
REQUEST = SubgraphRequest(
    "query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { inStock } } }",
    {"representations": [{"__typename": "Product", "upc": "1"}, {"__typename": "Product", "upc": "2"}]},
)


class _Server(asyncio.Protocol):
    """Answers every complete request (headers + content-length body) with RESPONSE, keeping the connection."""

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            length = 0
            for line in self.buffer[:head_end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            self.buffer = self.buffer[end:]
            self.transport.write(RESPONSE)


def _serve(sock: socket.socket) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Server, sock=sock)
        await server.serve_forever()

    asyncio.run(main())


async def _measure(client: Any, requests: int, concurrency: int) -> tuple[float, float]:
    for _ in range(200):  # warm up: connections, imports, caches
        await client.fetch("bench", REQUEST)
    per_worker = requests // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            await client.fetch("bench", REQUEST)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    done = per_worker * concurrency
    return (time.process_time() - cpu) / done * 1000, (time.perf_counter() - wall) / done * 1000


async def _run(url: str, requests: int, concurrency: int, rounds: int) -> None:
    clients = {
        "aiohttp (AiohttpSubgraphClient)": lambda: AiohttpSubgraphClient({"bench": url}, timeouts=10),
        "httpx (HttpxSubgraphClient)": lambda: HttpxSubgraphClient({"bench": url}, timeouts=10),
    }
    print(f"{requests} keep-alive POSTs per round, concurrency {concurrency}, {rounds} rounds")
    for name, make in clients.items():
        cpus, walls = [], []
        for _ in range(rounds):
            client = make()
            try:
                cpu, wall = await _measure(client, requests, concurrency)
            finally:
                await client.aclose()
            cpus.append(cpu)
            walls.append(wall)
        print(
            f"{name:34s} CPU/request {statistics.median(cpus):6.3f} ms "
            f"(min {min(cpus):.3f}, max {max(cpus):.3f})   wall/request {statistics.median(walls):6.3f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--uvloop", action="store_true", help="run the clients on uvloop, as the gateway does"
    )
    args = parser.parse_args()

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/graphql"
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(sock,), daemon=True)
    server.start()
    try:
        coro = _run(url, args.requests, args.concurrency, args.rounds)
        if args.uvloop:
            import uvloop

            uvloop.run(coro)
        else:
            asyncio.run(coro)
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
