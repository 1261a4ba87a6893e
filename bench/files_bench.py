"""Upload and download one generated 2 GiB file through a `steppe serve` subprocess.

    .venv/bin/python -m bench.files_bench [--size-mb 2048] [--parallel 4]

The file is generated part by part (nothing is written on the client's side); the server keeps
it in a temporary data folder that is deleted afterwards. Prints the throughput each way and the
server's peak RSS growth (VmHWM, reset before each phase) against the 50 MB budget.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sys
import time
from typing import Any

from bench.server import ServerProcess
from steppe.client import Http, sign_in

PART = 512 * 1024
RSS_BUDGET_MB = 50


def part_bytes(base: bytes, index: int, size: int) -> bytes:
    """Part `index` of the generated file: a random block made unique by its index."""
    start = index * PART
    length = min(PART, size - start)
    return index.to_bytes(8, "little") + base[8:length] if length >= 8 else base[:length]


def expected_sha256(base: bytes, size: int) -> str:
    digest = hashlib.sha256()
    for index in range(-(-size // PART)):
        digest.update(part_bytes(base, index, size))
    return digest.hexdigest()


async def wait_code(server: ServerProcess, phone: str) -> str:
    for _ in range(500):
        code = server.code(phone)
        if code:
            return code
        await asyncio.sleep(0.01)
    raise RuntimeError("no login code in the server's log")


class Conn:
    """One keep-alive HTTP/1.1 connection, lean enough that the server is what is measured."""

    def __init__(self, host: str, port: int, token: str):
        self.host, self.port, self.token = host, port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Conn:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.writer is not None:
            self.writer.close()

    async def _head(self) -> tuple[int, int]:
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
        return int(lines[0].split()[1]), int(fields.get("content-length", "0"))

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer "
                          f"{self.token}\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        self.writer.write(body)
        await self.writer.drain()
        status, length = await self._head()
        return status, await self.reader.readexactly(length)

    async def get(self, path: str, on_chunk: Any) -> int:
        assert self.reader is not None and self.writer is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer "
                          f"{self.token}\r\n\r\n".encode())
        await self.writer.drain()
        status, left = await self._head()
        while left:
            chunk = await self.reader.read(min(left, 1 << 20))
            if not chunk:
                raise RuntimeError("the server closed the download early")
            on_chunk(chunk)
            left -= len(chunk)
        return status


async def upload(server: ServerProcess, token: str, base: bytes, size: int, parallel: int,
                 sha256: str) -> str:
    api = Http(server.url, token)
    started = await api.call("upload.start", size=size, name="big.bin",
                             mime_type="application/octet-stream")
    upload_id, parts = started["upload_id"], started["parts"]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(parts):
        queue.put_nowait(index)

    async def worker() -> None:
        async with Conn(server.host, server.port, token) as conn:
            while not queue.empty():
                index = queue.get_nowait()
                status, body = await conn.post(f"/api/upload/{upload_id}/{index}",
                                               part_bytes(base, index, size))
                if status != 200:
                    raise RuntimeError(f"part {index}: {status} {body[:200]!r}")

    await asyncio.gather(*(worker() for _ in range(parallel)))
    done = await api.call("upload.finish", upload_id=upload_id, sha256=sha256)
    await api.close()
    return str(done["file_id"])


async def download(server: ServerProcess, token: str, file_id: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    received = [0]

    def take(chunk: bytes) -> None:
        digest.update(chunk)
        received[0] += len(chunk)

    async with Conn(server.host, server.port, token) as conn:
        status = await conn.get(f"/api/file/{file_id}", take)
    if status != 200:
        raise RuntimeError(f"download: {status}")
    return received[0], digest.hexdigest()


def mb(kb: int) -> float:
    return kb / 1024


async def run(args: argparse.Namespace) -> int:
    size = args.size_mb * 1024 * 1024
    base = os.urandom(PART)
    sha256 = expected_sha256(base, size)
    with ServerProcess("steppe") as server:
        assert server.stats is not None
        stats = server.stats
        me: dict[str, Any] = await sign_in(server.url, "+77019990001",
                                           lambda p: wait_code(server, p), "Bench")
        token = me["token"]
        figures: dict[str, float] = {}
        for phase in ("upload", "download"):
            stats.reset_peak()
            rss0 = stats.rss_kb()
            t0 = time.perf_counter()
            if phase == "upload":
                file_id = await upload(server, token, base, size, args.parallel, sha256)
            else:
                received, digest = await download(server, token, file_id)
                if received != size or digest != sha256:
                    raise RuntimeError("the file came back different")
            seconds = time.perf_counter() - t0
            growth = mb(stats.hwm_kb() - rss0)
            figures[phase] = growth
            print(f"{phase:9s} {size / 2**20:8.0f} MiB in {seconds:6.2f} s = "
                  f"{size / 2**20 / seconds:7.1f} MiB/s; server RSS {mb(rss0):.1f} MiB, "
                  f"peak growth {growth:.1f} MiB", flush=True)
        worst = max(figures.values())
        verdict = "within" if worst < RSS_BUDGET_MB else "OVER"
        print(f"peak RSS growth {worst:.1f} MiB: {verdict} the {RSS_BUDGET_MB} MB budget")
        return 0 if worst < RSS_BUDGET_MB else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=2048, help="file size in MiB")
    parser.add_argument("--parallel", type=int, default=4, help="parts in flight at once")
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
