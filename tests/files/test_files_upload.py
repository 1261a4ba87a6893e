"""Uploads: parts in any order, resuming after a dropped connection, and every bad input."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
from pathlib import Path

import pytest
from files_helpers import PART, auth, download, put_part, upload

from steppe.client import ApiError
from steppe.services.core import Settings


async def raises(coro, type_: str, code: int = 400) -> ApiError:  # type: ignore[no-untyped-def]
    with pytest.raises(ApiError) as info:
        await coro
    assert (info.value.type, info.value.code) == (type_, code), info.value
    return info.value


async def test_parts_in_any_order_make_one_file(server) -> None:  # type: ignore[no-untyped-def]
    me = await server.user("Up")
    data = os.urandom(3 * PART + 1234)
    file_id = await upload(server, me["token"], data, name="report.bin")
    assert len(file_id) == 43
    resp = await download(server.url, file_id, me["token"])
    assert resp.status_code == 200
    assert resp.content == data
    assert resp.headers["content-length"] == str(len(data))
    assert resp.headers["content-type"] == "application/octet-stream"
    assert resp.headers["content-disposition"].startswith('attachment; filename="report.bin"')


async def test_small_part_size_and_declared_hash(server) -> None:  # type: ignore[no-untyped-def]
    me = await server.user("Hash")
    http = server.http(me["token"])
    data = os.urandom(5000)
    up = await http.call("upload.start", size=len(data), name="a.txt", part_size=1024)
    assert up["parts"] == 5
    for i in (4, 0, 2, 1, 3):
        assert (await put_part(server.url, me["token"], up["upload_id"], i,
                               data[i * 1024:(i + 1) * 1024])).status_code == 200
    await raises(http.call("upload.finish", upload_id=up["upload_id"], sha256="0" * 64),
                 "FILE_HASH_INVALID")
    done = await http.call("upload.finish", upload_id=up["upload_id"],
                           sha256=hashlib.sha256(data).hexdigest())
    assert done["size"] == 5000 and done["name"] == "a.txt"
    await http.close()


async def test_resume_after_dropped_connection(server) -> None:  # type: ignore[no-untyped-def]
    me = await server.user("Resume")
    http = server.http(me["token"])
    data = os.urandom(4 * PART)
    up = await http.call("upload.start", size=len(data), name="movie.mp4", mime_type="video/mp4")
    uid = up["upload_id"]
    assert (await put_part(server.url, me["token"], uid, 0, data[:PART])).status_code == 200
    # Part 1: the connection drops half-way through the body.
    host, port = server.url[7:].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write((f"POST /api/upload/{uid}/1 HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {me['token']}\r\nContent-Length: {PART}\r\n\r\n").encode()
                 + data[PART:PART + PART // 2])
    await writer.drain()
    await asyncio.sleep(0.1)
    writer.transport.abort()
    await asyncio.sleep(0.1)
    status = await http.call("upload.status", upload_id=uid)
    assert status["missing"] == [1, 2, 3] and status["received"] == 1
    await raises(http.call("upload.finish", upload_id=uid), "FILE_PART_1_MISSING")
    for part in status["missing"]:
        chunk = data[part * PART:(part + 1) * PART]
        assert (await put_part(server.url, me["token"], uid, part, chunk)).status_code == 200
    assert (await http.call("upload.status", upload_id=uid))["missing"] == []
    done = await http.call("upload.finish", upload_id=uid)
    again = await http.call("upload.finish", upload_id=uid)  # finishing twice: the same file
    assert again == done
    status = await http.call("upload.status", upload_id=uid)
    assert status["file_id"] == done["file_id"]
    resp = await download(server.url, done["file_id"], me["token"])
    assert resp.content == data
    bad = await put_part(server.url, me["token"], uid, 0, data[:PART])
    assert bad.json()["error"]["type"] == "UPLOAD_FINISHED"
    await http.close()


async def test_bad_parts(server) -> None:  # type: ignore[no-untyped-def]
    me = await server.user("Bad")
    other = await server.user("Other")
    http = server.http(me["token"])
    up = await http.call("upload.start", size=PART + 10, name="x")
    uid = up["upload_id"]

    async def err(part: int, body: bytes, token: str = me["token"], upload_id: str = uid
                  ) -> tuple[int, str]:
        resp = await put_part(server.url, token, upload_id, part, body)
        return resp.status_code, resp.json()["error"]["type"]

    assert await err(2, b"x" * 10) == (400, "FILE_PART_INVALID")  # out of range
    assert await err(1, b"x" * 11) == (400, "FILE_PART_SIZE_INVALID")  # last part: 10 bytes
    assert await err(0, b"x" * 100) == (400, "FILE_PART_SIZE_INVALID")
    assert await err(0, b"x" * (PART + 1)) == (413, "FILE_PART_TOO_BIG")  # over 512 KiB
    assert await err(0, b"x" * PART, token=other["token"]) == (400, "UPLOAD_ID_INVALID")
    assert await err(0, b"x" * PART, upload_id="A" * 22) == (400, "UPLOAD_ID_INVALID")
    assert await err(0, b"x" * PART, upload_id="..%2F..%2Fetc") == (400, "UPLOAD_ID_INVALID")
    no_token = await put_part(server.url, "", uid, 0, b"x" * PART, headers={"authorization": ""})
    assert no_token.status_code == 401
    assert (await http.call("upload.status", upload_id=uid))["received"] == 0
    # Chunked bodies (no Content-Length) are checked as they arrive.

    async def gen():  # type: ignore[no-untyped-def]
        for _ in range(3):
            yield b"y" * (PART // 2)

    resp = await put_part(server.url, me["token"], uid, 0, gen())  # type: ignore[arg-type]
    assert resp.json()["error"]["type"] == "FILE_PART_TOO_BIG"
    await http.close()


async def test_bad_declarations(server) -> None:  # type: ignore[no-untyped-def]
    me = await server.user("Decl")
    http = server.http(me["token"])
    await raises(http.call("upload.start", size=0, name="empty.txt"), "FILE_EMPTY")
    await raises(http.call("upload.start", size=(2 << 30) + 1, name="big"), "FILE_TOO_BIG")
    for name in ("../etc/passwd", "a/b", "a\\b", "bell\x07", "nul\x00", "new\nline", "..",
                 "rtl\u202egnp.exe", "x" * 256):
        await raises(http.call("upload.start", size=10, name=name), "FILE_NAME_INVALID")
    await raises(http.call("upload.start", size=10, name="a", mime_type="text html"),
                 "MIME_TYPE_INVALID")
    await raises(http.call("upload.start", size=10, name="a", part_size=1000),
                 "FILE_PART_SIZE_INVALID")
    await raises(http.call("upload.start", size=10, name="a", part_size=1 << 20),
                 "FILE_PART_SIZE_INVALID")
    await raises(http.call("upload.finish", upload_id="nope"), "UPLOAD_ID_INVALID")
    ok = await http.call("upload.start", size=10, name="  Отчёт 2024 (final).pdf  ")
    assert ok["parts"] == 1
    await http.close()


async def test_size_limit_is_a_setting(tmp_path: Path, server_harness) -> None:  # type: ignore[no-untyped-def]
    start_server, stop_server = server_harness

    srv = start_server(tmp_path, settings=Settings(data_dir=str(tmp_path), rate_per_second=0,
                                                   max_file_size=3000))
    try:
        me = await srv.user("Lim")
        http = srv.http(me["token"])
        err = await raises(http.call("upload.start", size=3001, name="a"), "FILE_TOO_BIG")
        assert "3000" in err.message
        await http.call("upload.start", size=3000, name="a")
        await http.close()
    finally:
        stop_server(srv)


async def test_same_part_twice_at_once(server) -> None:  # type: ignore[no-untyped-def]
    me = await server.user("Twice")
    http = server.http(me["token"])
    data = os.urandom(2 * PART)
    up = await http.call("upload.start", size=len(data), name="t.bin")
    uid = up["upload_id"]
    host, port = server.url[7:].split(":")
    # A slow sender holds part 0 open ...
    sock = socket.create_connection((host, int(port)))
    sock.sendall((f"POST /api/upload/{uid}/0 HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {me['token']}\r\nContent-Length: {PART}\r\n\r\n").encode()
                 + data[:1000])
    await asyncio.sleep(0.2)
    # ... so the same part at once is refused, and so is finishing; other parts go on.
    busy = await put_part(server.url, me["token"], uid, 0, data[:PART])
    assert (busy.status_code, busy.json()["error"]["type"]) == (409, "FILE_PART_BUSY")
    assert (await put_part(server.url, me["token"], uid, 1, data[PART:])).status_code == 200
    await raises(http.call("upload.finish", upload_id=uid), "UPLOAD_BUSY", 409)
    sock.sendall(data[1000:PART])
    answer = await asyncio.to_thread(sock.recv, 4096)
    assert b" 200 " in answer.split(b"\r\n")[0]
    sock.close()
    # Two finishes at once: both get the one file.
    a, b = await asyncio.gather(http.call("upload.finish", upload_id=uid),
                                http.call("upload.finish", upload_id=uid))
    assert a == b
    assert (await download(server.url, a["file_id"], me["token"])).content == data
    await http.close()


async def test_identical_files_share_one_blob(server) -> None:  # type: ignore[no-untyped-def]
    me = await server.user("Dedup")
    data = os.urandom(PART + 7)
    one = await upload(server, me["token"], data, name="one.bin")
    two = await upload(server, me["token"], data, name="two.bin")
    assert one != two
    blobs = [p for p in Path(server.app.core.settings.data_dir, "blobs").rglob("*")
             if p.is_file() and p.parent.name != "tmp"]
    assert [p.name for p in blobs] == [hashlib.sha256(data).hexdigest()]
    assert not any(Path(server.app.core.settings.data_dir, "uploads").iterdir())
    resp = await download(server.url, two, me["token"])
    assert 'filename="two.bin"' in resp.headers["content-disposition"]


async def test_unfinished_uploads_per_user_are_bounded(server) -> None:  # type: ignore[no-untyped-def]
    from steppe.domain import limits

    me = await server.user("Many")
    http = server.http(me["token"])
    for _ in range(limits.UPLOADS_OPEN_MAX):
        await http.call("upload.start", size=10, name="a")
    await raises(http.call("upload.start", size=10, name="a"), "UPLOADS_TOO_MANY")
    await http.close()
    assert auth("t")
