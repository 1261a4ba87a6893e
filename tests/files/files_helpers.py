"""Helpers for the file tests: raw part uploads, whole uploads, downloads, and test images."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import httpx
from PIL import Image

PART = 512 * 1024


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def put_part(url: str, token: str, upload_id: str, part: int, data: bytes,
                   **kw: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(f"{url}/api/upload/{upload_id}/{part}", content=data,
                                 headers={**auth(token), **kw.pop("headers", {})}, **kw)


async def upload(server: Any, token: str, data: bytes, name: str = "file.bin", mime: str = "",
                 part_size: int = PART) -> str:
    """Upload `data` in parts (last part first, to show order does not matter); the file id."""
    http = server.http(token)
    try:
        started = await http.call("upload.start", size=len(data), name=name, mime_type=mime,
                                  part_size=part_size)
        parts = list(range(started["parts"]))[::-1]
        async with httpx.AsyncClient(timeout=30) as client:
            for part in parts:
                resp = await client.post(
                    f"{server.url}/api/upload/{started['upload_id']}/{part}",
                    content=data[part * part_size:(part + 1) * part_size], headers=auth(token))
                assert resp.status_code == 200, resp.text
        done = await http.call("upload.finish", upload_id=started["upload_id"])
        return str(done["file_id"])
    finally:
        await http.close()


async def download(url: str, file_id: str, token: str | None = None,
                   headers: dict[str, str] | None = None, path: str | None = None,
                   method: str = "GET") -> httpx.Response:
    hdrs = {**(auth(token) if token else {}), **(headers or {})}
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.request(method, url + (path or f"/api/file/{file_id}"), headers=hdrs)


def jpeg(w: int, h: int, *, gps: bool = False, color: tuple[int, int, int] = (200, 40, 40)
         ) -> bytes:
    img = Image.new("RGB", (w, h), color)
    for x in range(0, w, max(1, w // 16)):  # some detail, so sizes differ
        img.putpixel((x, h // 2), (0, 0, 0))
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    if gps:
        exif[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0), 3: "E", 4: (76.0, 57.0, 0.0)}
    img.save(buf, "JPEG", exif=exif.tobytes(), quality=90)
    return buf.getvalue()


def png(w: int, h: int, mode: str = "RGBA") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (w, h), (10, 200, 10, 128) if mode == "RGBA" else 128).save(buf, "PNG")
    return buf.getvalue()


def png_header_only(w: int, h: int) -> bytes:
    """A PNG that claims `w`×`h` pixels in a few dozen bytes: a decompression bomb's header."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
