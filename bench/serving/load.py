"""A small HTTP/1.1 keep-alive load generator for 127.0.0.1 only, bounded in requests and time.

Runs in its own process so that it does not share the GIL with anything it measures.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:].strip())
    if length:
        await reader.readexactly(length)
    return status


async def _connection(
    port: int, request: bytes, stop_at: float, budget: list[int], latencies: list[float]
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    errors = 0
    try:
        while time.perf_counter() < stop_at and budget[0] > 0:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            latencies.append(time.perf_counter() - started)
            errors += status >= 400
    finally:
        writer.close()
    return errors


async def _run(
    port: int, path: str, cookie: str, connections: int, seconds: float, cap: int
) -> LoadResult:
    headers = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: keep-alive\r\n"
    if cookie:
        headers += f"Cookie: {cookie}\r\n"
    request = (headers + "\r\n").encode()
    latencies: list[float] = []
    budget = [cap]
    started = time.perf_counter()
    stop_at = started + seconds
    errors = await asyncio.gather(
        *(_connection(port, request, stop_at, budget, latencies) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return LoadResult(len(latencies), sum(errors), elapsed, pick(0.50), pick(0.99))


def measure(
    port: int,
    path: str,
    *,
    cookie: str = "",
    connections: int = 32,
    seconds: float = 5.0,
    cap: int = 200_000,
) -> LoadResult:
    """GET ``path`` on 127.0.0.1:``port`` from ``connections`` keep-alive connections."""
    return asyncio.run(_run(port, path, cookie, connections, seconds, cap))
