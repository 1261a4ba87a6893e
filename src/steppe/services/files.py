"""Uploads, stored files, who may download them, signed links, and collection.

An upload is declared (`start_upload`), its parts arrive in any order (each at most 512 KiB,
written at its offset into a sparse temp file under `<data>/uploads`), and `finish_upload` hashes
the whole file (SHA-256) and hands it to the blob store, where identical contents are one blob.
Nothing of an upload is a file until it finished; nothing of a file is visible to anyone but its
owner until a message or profile references it. Blob I/O runs off the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from steppe.domain import limits, media
from steppe.domain.errors import RpcError, bad_request
from steppe.services.core import Core
from steppe.store.blobs import BlobStore, DiskBlobStore, sha256_file
from steppe.store.files import FileStore, StoredFile, Upload, file_not_found

log = logging.getLogger(__name__)
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{22}")
_FILE_ID = re.compile(r"[A-Za-z0-9_-]{43}")
_HEX = re.compile(r"[0-9a-f]{64}")
COLLECT_BATCH = 500


def new_file_id() -> str:
    """32 random bytes, base64url: opaque and unguessable."""
    return secrets.token_urlsafe(32)


class FileInfo(msgspec.Struct):
    file_id: str
    size: int
    mime_type: str
    name: str


class FileLink(msgspec.Struct):
    """A download path that needs no token until `expires` (unix time)."""

    file_id: str
    path: str
    expires: int
    size: int
    mime_type: str
    name: str


class UploadStatus(msgspec.Struct, omit_defaults=True):
    upload_id: str
    size: int
    part_size: int
    parts: int
    received: int
    missing: list[int]
    file_id: str | None = None


@dataclass
class _Active:
    """What this process is doing to one upload right now."""

    parts: set[int] = field(default_factory=set)
    finishing: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _info(f: StoredFile) -> FileInfo:
    return FileInfo(file_id=f.id, size=f.size, mime_type=f.mime_type, name=f.name)


class FileService:
    def __init__(self, core: Core, store: FileStore, blobs: BlobStore):
        self.core = core
        self.store = store
        self.blobs = blobs
        self.upload_dir = Path(core.settings.data_dir) / "uploads"
        self._active: dict[str, _Active] = {}
        self._blob_locks: dict[str, asyncio.Lock] = {}
        self._key: bytes | None = None

    # ---- uploads -------------------------------------------------------------------------------

    async def start_upload(self, actor: int, size: int, name: str, mime_type: str,
                           part_size: int = limits.UPLOAD_PART_MAX) -> dict[str, Any]:
        parts = media.check_upload(size, part_size, self.core.settings.max_file_size)
        name, mime = media.file_name(name), media.mime_type(mime_type)
        now = self.core.clock.now()
        upload = Upload(id=secrets.token_urlsafe(16), owner_id=actor, size=size,
                        part_size=part_size, parts=parts, name=name, mime_type=mime, created=now)
        await asyncio.to_thread(self._create_temp, upload.id, size)
        try:
            await self.store.create_upload(upload, limits.UPLOADS_OPEN_MAX, now - limits.UPLOAD_TTL)
        except BaseException:
            await asyncio.to_thread(self._path(upload.id).unlink, missing_ok=True)
            raise
        return {"upload_id": upload.id, "part_size": part_size, "parts": parts}

    def _path(self, upload_id: str) -> Path:
        return self.upload_dir / upload_id

    def _create_temp(self, upload_id: str, size: int) -> None:
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        if shutil.disk_usage(self.upload_dir).free < size:
            raise RpcError(507, "STORAGE_FULL", "the server has no room for this file")
        fd = os.open(self._path(upload_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.ftruncate(fd, size)  # sparse: parts fill it in any order
        finally:
            os.close(fd)

    async def _owned(self, actor: int, upload_id: str) -> Upload:
        """The caller's upload; someone else's, an expired and a missing one look the same."""
        upload = await self.store.get_upload(upload_id) if _UPLOAD_ID.fullmatch(upload_id) else None
        if (upload is None or upload.owner_id != actor
                or upload.created < self.core.clock.now() - limits.UPLOAD_TTL):
            raise bad_request("UPLOAD_ID_INVALID")
        return upload

    async def upload_status(self, actor: int, upload_id: str) -> UploadStatus:
        """Which parts the server has: what a client resumes from."""
        upload = await self._owned(actor, upload_id)
        have = set() if upload.file_id else set(await self.store.received_parts(upload_id))
        missing = [] if upload.file_id else [p for p in range(upload.parts) if p not in have]
        return UploadStatus(upload_id=upload.id, size=upload.size, part_size=upload.part_size,
                            parts=upload.parts, received=upload.parts - len(missing),
                            missing=missing, file_id=upload.file_id)

    async def save_part(self, actor: int, upload_id: str, part: int, declared: int | None,
                        body: AsyncIterator[bytes]) -> None:
        """Receive one part (`declared`: its Content-Length, when sent) and write it at its
        offset. A part sent again replaces the earlier copy."""
        upload = await self._owned(actor, upload_id)
        if upload.file_id:
            raise bad_request("UPLOAD_FINISHED", "this upload is already a file")
        if not 0 <= part < upload.parts:
            raise bad_request("FILE_PART_INVALID", f"parts are numbered 0..{upload.parts - 1}")
        expected = media.part_length(upload.size, upload.part_size, part)
        if declared is not None:
            _check_part_size(declared, expected, upload.part_size)
        active = self._active.setdefault(upload_id, _Active())
        if active.finishing:
            raise RpcError(409, "UPLOAD_BUSY", "the upload is being finished")
        if part in active.parts:
            raise RpcError(409, "FILE_PART_BUSY", "this part is being uploaded already")
        active.parts.add(part)
        try:
            chunks, size = [], 0
            async for chunk in body:
                size += len(chunk)
                if size > expected:
                    _check_part_size(size, expected, upload.part_size)
                chunks.append(chunk)
            _check_part_size(size, expected, upload.part_size)
            await asyncio.to_thread(self._write_part, upload_id, part * upload.part_size, chunks)
            del chunks
            if not await self.store.mark_part(upload_id, part):
                raise bad_request("UPLOAD_ID_INVALID")
        finally:
            active.parts.discard(part)
            self._release(upload_id)

    def _write_part(self, upload_id: str, offset: int, chunks: list[bytes]) -> None:
        try:
            fd = os.open(self._path(upload_id), os.O_WRONLY)
        except FileNotFoundError as exc:
            raise bad_request("UPLOAD_ID_INVALID") from exc
        try:
            data = chunks if len(chunks) <= 512 else [b"".join(chunks)]
            while data:
                written = os.pwritev(fd, data, offset)
                offset += written
                data = _advance(data, written)
        finally:
            os.close(fd)

    def _release(self, upload_id: str) -> None:
        active = self._active.get(upload_id)
        if active and not active.parts and not active.finishing and not active.lock.locked():
            del self._active[upload_id]

    async def finish_upload(self, actor: int, upload_id: str, sha256: str | None = None
                            ) -> FileInfo:
        """Make the complete upload a file. Finishing again (even at the same time) returns the
        same file."""
        await self._owned(actor, upload_id)
        if sha256 is not None and not _HEX.fullmatch(sha256.lower()):
            raise bad_request("FILE_HASH_INVALID", "sha256: 64 hex digits")
        active = self._active.setdefault(upload_id, _Active())
        try:
            async with active.lock:
                upload = await self._owned(actor, upload_id)
                if upload.file_id:
                    done = await self.store.get_file(upload.file_id)
                    if done is None:
                        raise bad_request("UPLOAD_ID_INVALID")
                    return _info(done)
                if active.parts:
                    raise RpcError(409, "UPLOAD_BUSY", "parts are still being uploaded")
                active.finishing = True
                return _info(await self._finish(upload, sha256))
        finally:
            active.finishing = False
            self._release(upload_id)

    async def _finish(self, upload: Upload, sha256: str | None) -> StoredFile:
        have = set(await self.store.received_parts(upload.id))
        for part in range(upload.parts):
            if part not in have:
                raise bad_request(f"FILE_PART_{part}_MISSING", f"{upload.parts - len(have)} parts"
                                  " are missing: ask upload.status")
        path = self._path(upload.id)
        try:
            digest, size, head = await asyncio.to_thread(sha256_file, path)
        except FileNotFoundError as exc:
            raise bad_request("UPLOAD_ID_INVALID") from exc
        if size != upload.size:
            raise bad_request("FILE_SIZE_INVALID", "the parts do not add up to the size declared")
        if sha256 is not None and sha256.lower() != digest:
            raise bad_request("FILE_HASH_INVALID", "the parts received do not have this SHA-256")
        now = self.core.clock.now()
        file = StoredFile(id=new_file_id(), blob=digest, size=size, owner_id=upload.owner_id,
                          mime_type=media.effective_mime(upload.mime_type, media.sniff(head)),
                          name=upload.name, created=now)
        async with self._blob_lock(digest):
            await self.store.touch_blob(digest, size, now)
            await self.blobs.put_file(path, digest)
            return await self.store.finish_upload(upload.id, file)

    @contextlib.asynccontextmanager
    async def _blob_lock(self, sha256: str) -> AsyncIterator[None]:
        """Storing a blob and collecting it never interleave (in this process)."""
        lock = self._blob_locks.setdefault(sha256, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._blob_locks.get(sha256) is lock:
                del self._blob_locks[sha256]

    async def store_bytes(self, data: bytes) -> str:
        """Store small contents made by the server (photo sizes); returns their SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        async with self._blob_lock(digest):
            await self.store.touch_blob(digest, len(data), self.core.clock.now())
            await self.blobs.put_bytes(data)
        return digest

    # ---- access and downloads ------------------------------------------------------------------

    async def accessible(self, viewer: int, file_id: str) -> StoredFile:
        """The file, if `viewer` owns it or may see a message or profile that shows it;
        otherwise FILE_NOT_FOUND, exactly as for a file that does not exist."""
        file = await self.store.get_file(file_id) if _FILE_ID.fullmatch(file_id) else None
        if file is None:
            raise file_not_found()
        if file.owner_id != viewer and not await self.store.may_see(file_id, viewer):
            raise file_not_found()
        return file

    async def read_bytes(self, file: StoredFile) -> bytes:
        """A small file's whole contents (photos being decoded)."""
        return b"".join([chunk async for chunk in self.blobs.open_range(file.blob, 0, file.size)])

    def open_range(self, file: StoredFile, start: int, end: int) -> AsyncIterator[bytes]:
        return self.blobs.open_range(file.blob, start, end)

    async def _signing_key(self) -> bytes:
        if self._key is None:
            self._key = bytes.fromhex(await self.store.signing_key(secrets.token_hex(32)))
        return self._key

    async def _signature(self, file_id: str, viewer: int, expires: int) -> str:
        mac = hmac.new(await self._signing_key(), f"{file_id}.{viewer}.{expires}".encode(),
                       hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:24]).decode()

    async def file_link(self, viewer: int, file_id: str, ttl: int = limits.FILE_URL_TTL
                        ) -> FileLink:
        """A path (`/api/file/<id>?u=..&e=..&s=..`) that downloads the file without a token for
        `ttl` seconds, for `viewer` as long as they may still see it. What an <img> tag and the
        Bot API's getFile use."""
        file = await self.accessible(viewer, file_id)
        expires = self.core.clock.now() + ttl
        sig = await self._signature(file_id, viewer, expires)
        return FileLink(file_id=file_id, path=f"/api/file/{file_id}?u={viewer}&e={expires}&s={sig}",
                        expires=expires, size=file.size, mime_type=file.mime_type, name=file.name)

    async def file_links(self, viewer: int, file_ids: list[str]) -> dict[str, FileLink]:
        """Links for many files at once; the ones the viewer may not see are left out."""
        if len(file_ids) > 100:
            raise bad_request("LIMIT_INVALID", "at most 100 files at once")
        out = {}
        for file_id in dict.fromkeys(file_ids):
            with contextlib.suppress(RpcError):
                out[file_id] = await self.file_link(viewer, file_id)
        return out

    async def signed_viewer(self, file_id: str, query: dict[str, str]) -> int:
        """The viewer a signed path was made for; FILE_NOT_FOUND for a forged one,
        FILE_URL_EXPIRED for one past its time."""
        try:
            viewer, expires, sig = int(query["u"]), int(query["e"]), query["s"]
        except (KeyError, ValueError) as exc:
            raise file_not_found() from exc
        if not hmac.compare_digest(sig, await self._signature(file_id, viewer, expires)):
            raise file_not_found()
        if self.core.clock.now() > expires:
            raise RpcError(403, "FILE_URL_EXPIRED", "ask for a new link")
        return viewer

    # ---- collection ----------------------------------------------------------------------------

    async def collect(self) -> dict[str, int]:
        """Delete uploads older than a day, files nothing references that are older than a day,
        and blobs no file uses. Driven by `run_collector`, or directly (tests move the clock)."""
        cutoff = self.core.clock.now() - limits.UPLOAD_TTL
        done = {"uploads": 0, "files": 0, "blobs": 0}
        while ids := await self.store.expired_uploads(cutoff, COLLECT_BATCH):
            ids = [i for i in ids if i not in self._active]
            if ids:
                await self.store.delete_uploads(ids)
                for upload_id in ids:
                    await asyncio.to_thread(self._path(upload_id).unlink, missing_ok=True)
                done["uploads"] += len(ids)
            if len(ids) < COLLECT_BATCH:
                break
        while n := await self.store.collect_files(cutoff, COLLECT_BATCH):
            done["files"] += n
            if n < COLLECT_BATCH:
                break
        while hashes := await self.store.unreferenced_blobs(cutoff, COLLECT_BATCH):
            for digest in hashes:
                async with self._blob_lock(digest):
                    if await self.store.drop_blob(digest, cutoff):
                        await self.blobs.delete(digest)
                        done["blobs"] += 1
            if len(hashes) < COLLECT_BATCH:
                break
        return done

    async def run_collector(self) -> None:
        while True:
            await asyncio.sleep(self.core.settings.file_gc_interval)
            try:
                done = await self.collect()
                if any(done.values()):
                    log.info("collected %s", done)
            except Exception:
                log.exception("file collection failed")


def _check_part_size(size: int, expected: int, part_size: int) -> None:
    if size > limits.UPLOAD_PART_MAX or size > part_size:
        raise RpcError(413, "FILE_PART_TOO_BIG", f"a part holds at most {part_size} bytes")
    if size != expected:
        raise bad_request("FILE_PART_SIZE_INVALID", f"this part must hold {expected} bytes")


def _advance(buffers: list[bytes], written: int) -> list[bytes]:
    """What is left of `buffers` after the first `written` bytes went out."""
    out = []
    for buf in buffers:
        if written >= len(buf):
            written -= len(buf)
            continue
        out.append(buf[written:] if written else buf)
        written = 0
    return out


def build_file_service(core: Core) -> FileService:
    blobs = DiskBlobStore(Path(core.settings.data_dir) / "blobs")
    return FileService(core, FileStore(core.store.database), blobs)
