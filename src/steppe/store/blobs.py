"""Where file contents live: a content-addressed blob store, named by SHA-256.

`BlobStore` is the boundary the services speak to; `DiskBlobStore` keeps blobs under
`<data>/blobs/ab/cd/<sha256>`. Every call does its I/O off the event loop (the SQLite store runs
on it). docs/files.md tells how an S3-compatible store plugs in behind the same five calls.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

CHUNK = 256 * 1024
_HEX = re.compile(r"[0-9a-f]{64}")


class BlobMissing(Exception):
    """A blob the database names is not in the store (or shorter than it should be)."""


class BlobStore(Protocol):
    async def put_file(self, path: Path, sha256: str) -> None:
        """Store the file at `path` (its SHA-256 already known) and take it over: the store moves
        or uploads it, and `path` is gone afterwards. Storing a blob that exists is a no-op."""

    async def put_bytes(self, data: bytes) -> str:
        """Store small contents (thumbnails); returns their SHA-256."""

    def open_range(self, sha256: str, start: int, end: int) -> AsyncIterator[bytes]:
        """The bytes `[start, end)` of a blob, in chunks; raises `BlobMissing`."""

    async def delete(self, sha256: str) -> None:
        """Remove a blob; removing one that is not there is a no-op."""

    async def exists(self, sha256: str) -> bool: ...


def sha256_file(path: Path) -> tuple[str, int, bytes]:
    """The SHA-256 (hex), size and first 64 bytes of a file, read in 1 MiB chunks (blocking)."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    with open(path, "rb", buffering=0) as f:
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        while n := f.readinto(buf):
            if not head:
                head = bytes(view[:min(n, 64)])
            digest.update(view[:n])
            size += n
    return digest.hexdigest(), size, head


class DiskBlobStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.tmp = self.root / "tmp"

    def path(self, sha256: str) -> Path:
        if not _HEX.fullmatch(sha256):
            raise ValueError("not a SHA-256")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def put_file(self, path: Path, sha256: str) -> None:
        await asyncio.to_thread(self._put_file, Path(path), self.path(sha256))

    @staticmethod
    def _put_file(src: Path, dst: Path) -> None:
        if dst.exists():
            src.unlink(missing_ok=True)
            return
        dst.parent.mkdir(parents=True, exist_ok=True)
        with open(src, "rb") as f:
            os.fsync(f.fileno())
        try:
            os.replace(src, dst)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            part = dst.with_name(dst.name + "." + secrets.token_hex(4))
            shutil.copyfile(src, part)
            with open(part, "rb") as f:
                os.fsync(f.fileno())
            os.replace(part, dst)
            src.unlink()

    async def put_bytes(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self._put_bytes, data, self.path(sha256))
        return sha256

    def _put_bytes(self, data: bytes, dst: Path) -> None:
        if dst.exists():
            return
        self.tmp.mkdir(parents=True, exist_ok=True)
        part = self.tmp / secrets.token_hex(8)
        with open(part, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, dst)

    async def open_range(self, sha256: str, start: int, end: int) -> AsyncIterator[bytes]:
        path = self.path(sha256)
        try:
            fd = await asyncio.to_thread(os.open, path, os.O_RDONLY)
        except FileNotFoundError as exc:
            raise BlobMissing(sha256) from exc
        try:
            pos = start
            while pos < end:
                chunk = await asyncio.to_thread(os.pread, fd, min(CHUNK, end - pos), pos)
                if not chunk:
                    raise BlobMissing(f"{sha256} ends at {pos}")
                pos += len(chunk)
                yield chunk
        finally:
            os.close(fd)

    async def delete(self, sha256: str) -> None:
        await asyncio.to_thread(self.path(sha256).unlink, missing_ok=True)

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path(sha256).exists)
