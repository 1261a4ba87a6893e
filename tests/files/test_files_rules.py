"""The pure rules of files and media, and the disk blob store, without a server."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steppe.domain import media
from steppe.domain.errors import RpcError
from steppe.store.blobs import BlobMissing, DiskBlobStore


@given(st.integers(1, 10_000), st.text(alphabet="0123456789-=bytes, ", max_size=20))
def test_ranges_stay_inside_the_file(size: int, header: str) -> None:
    try:
        span = media.parse_range(header, size)
    except media.RangeNotSatisfiable:
        return
    if span is not None:
        start, end = span
        assert 0 <= start < end <= size


def test_range_forms() -> None:
    assert media.parse_range("bytes=0-0", 10) == (0, 1)
    assert media.parse_range("bytes=-3", 10) == (7, 10)
    assert media.parse_range("bytes=4-", 10) == (4, 10)
    assert media.parse_range("bytes=3-2", 10) is None
    assert media.parse_range(None, 10) is None
    with pytest.raises(media.RangeNotSatisfiable):
        media.parse_range("bytes=10-", 10)


def test_file_names() -> None:
    assert media.file_name("  Отчёт.pdf ") == "Отчёт.pdf"
    assert media.file_name("") == ""
    for bad in ("a/b", "a\\b", "\x00", "a\tb", "a\x85b", "..", ".", "x\u202ey", "é" * 128):
        with pytest.raises(RpcError):
            media.file_name(bad)


def test_sniffing_and_effective_type() -> None:
    assert media.sniff(b"\xff\xd8\xff\xe0....") == "image/jpeg"
    assert media.sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert media.sniff(b"\x00\x00\x00\x20ftypM4A \x00") == "audio/mp4"
    assert media.sniff(b"hello") is None
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert media.effective_mime(docx, "application/zip") == docx
    assert media.effective_mime("text/html", "image/png") == "image/png"
    assert media.effective_mime("text/csv", None) == "text/csv"
    assert media.served_type("image/svg+xml") == ("application/octet-stream", False)
    assert media.served_type("image/png") == ("image/png", True)
    assert media.served_type("application/zip") == ("application/zip", False)


def test_size_plans() -> None:
    assert media.size_plan(4000, 3000, media.PHOTO_BOXES)[-1] == ("y", 1280, 960)
    assert media.size_plan(80, 60, media.PHOTO_BOXES) == [("s", 80, 60)]
    assert [k for k, _, _ in media.size_plan(800, 10, media.PHOTO_BOXES)] == ["s", "m", "x"]


def test_upload_arithmetic() -> None:
    assert media.check_upload(2 << 30, 512 * 1024, 2 << 30) == 4096
    assert media.part_length(1000, 512, 1) == 488
    with pytest.raises(RpcError):
        media.check_upload(2 << 30, 1024, 2 << 30)  # two million parts: use bigger ones


async def test_disk_blob_store(tmp_path: Path) -> None:
    store = DiskBlobStore(tmp_path / "blobs")
    data = os.urandom(600_000)
    digest = hashlib.sha256(data).hexdigest()
    src = tmp_path / "upload"
    src.write_bytes(data)
    assert not await store.exists(digest)
    await store.put_file(src, digest)
    assert await store.exists(digest) and not src.exists()
    src.write_bytes(data)
    await store.put_file(src, digest)  # the same contents again: stored once
    assert not src.exists()
    assert b"".join([c async for c in store.open_range(digest, 0, len(data))]) == data
    assert b"".join([c async for c in store.open_range(digest, 5, 300_000)]) == data[5:300_000]
    small = await store.put_bytes(b"thumb")
    assert small == hashlib.sha256(b"thumb").hexdigest()
    await store.delete(digest)
    await store.delete(digest)
    assert not await store.exists(digest)
    with pytest.raises(BlobMissing):
        _ = [c async for c in store.open_range(digest, 0, 10)]
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")
