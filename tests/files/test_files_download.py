"""Downloads: ranges, types and names, signed links, and who may see a file."""

from __future__ import annotations

import os

from files_helpers import download, upload

DATA = os.urandom(300_000)


async def _sent_document(server, data: bytes = DATA, name: str = "data.bin",  # type: ignore[no-untyped-def]
                         mime: str = ""):
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    file_id = await upload(server, alice["token"], data, name=name, mime=mime)
    http = server.http(alice["token"])
    msg = await http.call("messages.sendMedia", peer={"user_id": bob["user"]["id"]},
                          media={"type": "document", "file_id": file_id})
    await http.close()
    return alice, bob, file_id, msg


async def test_range_requests(server) -> None:  # type: ignore[no-untyped-def]
    _, bob, fid, _ = await _sent_document(server)
    tok, size = bob["token"], len(DATA)
    cases = {"bytes=0-99": (0, 100), "bytes=1000-": (1000, size), "bytes=-500": (size - 500, size),
             f"bytes={size - 10}-{size + 100}": (size - 10, size), "bytes=-999999999": (0, size)}
    for header, (start, end) in cases.items():
        resp = await download(server.url, fid, tok, headers={"range": header})
        assert resp.status_code == 206, header
        assert resp.content == DATA[start:end], header
        assert resp.headers["content-range"] == f"bytes {start}-{end - 1}/{size}"
        assert resp.headers["content-length"] == str(end - start)
    for header in (f"bytes={size}-", f"bytes={size + 5}-{size + 10}", "bytes=-0"):
        resp = await download(server.url, fid, tok, headers={"range": header})
        assert resp.status_code == 416, header
        assert resp.headers["content-range"] == f"bytes */{size}"
        assert resp.json()["error"]["type"] == "RANGE_NOT_SATISFIABLE"
    for header in ("bytes=9-3", "items=0-5", "bytes=0-1,5-9", "bytes=x-y"):  # ignored: whole file
        resp = await download(server.url, fid, tok, headers={"range": header})
        assert resp.status_code == 200 and resp.content == DATA, header
    full = await download(server.url, fid, tok)
    assert full.headers["accept-ranges"] == "bytes"
    etag = full.headers["etag"]
    stale = await download(server.url, fid, tok, headers={"range": "bytes=0-9", "if-range": '"x"'})
    assert stale.status_code == 200
    fresh = await download(server.url, fid, tok, headers={"range": "bytes=0-9", "if-range": etag})
    assert fresh.status_code == 206
    cached = await download(server.url, fid, tok, headers={"if-none-match": etag})
    assert cached.status_code == 304 and cached.content == b""
    head = await download(server.url, fid, tok, method="HEAD")
    assert head.status_code == 200 and head.headers["content-length"] == str(size)


async def test_types_and_names_are_safe(server) -> None:  # type: ignore[no-untyped-def]
    page = b"<html><script>alert(1)</script></html>"
    alice, _, fid, msg = await _sent_document(server, page, name='Résumé "v2".html',
                                              mime="text/html")
    assert msg["media"]["document"]["mime_type"] == "text/html"
    resp = await download(server.url, fid, alice["token"])
    assert resp.headers["content-type"] == "application/octet-stream"
    disp = resp.headers["content-disposition"]
    assert disp.startswith('attachment; filename="R_sum_ _v2_.html"')
    assert "filename*=UTF-8''R%C3%A9sum%C3%A9%20%22v2%22.html" in disp
    assert "sandbox" in resp.headers["content-security-policy"]
    assert resp.headers["x-content-type-options"] == "nosniff"


async def test_sniffed_type_wins_over_a_false_declaration(server) -> None:  # type: ignore[no-untyped-def]
    from files_helpers import jpeg

    alice, _, fid, msg = await _sent_document(server, jpeg(40, 30), name="pic.txt",
                                              mime="text/plain")
    assert msg["media"]["document"]["mime_type"] == "image/jpeg"
    resp = await download(server.url, fid, alice["token"])
    assert resp.headers["content-type"] == "image/jpeg"
    assert resp.headers["content-disposition"].startswith("inline;")


async def test_access_control(server) -> None:  # type: ignore[no-untyped-def]
    alice, bob, fid, msg = await _sent_document(server)
    eve = await server.user("Eve")
    assert (await download(server.url, fid, bob["token"])).content == DATA
    denied = await download(server.url, fid, eve["token"])
    missing = await download(server.url, "A" * 43, eve["token"])
    garbage = await download(server.url, "nope", eve["token"])
    assert denied.status_code == missing.status_code == garbage.status_code == 404
    assert denied.json() == missing.json() == garbage.json() == {
        "error": {"code": 404, "type": "FILE_NOT_FOUND"}}
    assert (await download(server.url, fid)).status_code == 401
    eve_http = server.http(eve["token"])
    # Eve cannot attach a file she may not see, nor get a link for it.
    for call in (eve_http.call("messages.sendMedia", peer={"user_id": alice["user"]["id"]},
                               media={"type": "document", "file_id": fid}),
                 eve_http.call("files.getFileUrl", file_id=fid)):
        try:
            await call
            raise AssertionError("expected FILE_NOT_FOUND")
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "type", "") == "FILE_NOT_FOUND"
    assert await eve_http.call("files.getFileUrls", file_ids=[fid]) == {}
    await eve_http.close()
    # Once the only message showing it is deleted, Bob no longer sees it; Alice owns it.
    http = server.http(alice["token"])
    await http.call("messages.deleteMessages", peer={"user_id": bob["user"]["id"]},
                    ids=[msg["id"]])
    await http.close()
    assert (await download(server.url, fid, bob["token"])).status_code == 404
    assert (await download(server.url, fid, alice["token"])).status_code == 200


async def test_group_members_only(server) -> None:  # type: ignore[no-untyped-def]
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    carol = await server.user("Carol")
    http = server.http(alice["token"])
    chat = await http.call("messages.createChat", title="G",
                           user_ids=[bob["user"]["id"], carol["user"]["id"]])
    fid = await upload(server, alice["token"], DATA)
    await http.call("messages.sendMedia", peer={"chat_id": chat["id"]},
                    media={"type": "document", "file_id": fid})
    assert (await download(server.url, fid, carol["token"])).status_code == 200
    await http.call("messages.deleteChatUser", peer={"chat_id": chat["id"]},
                    user_id=carol["user"]["id"])
    assert (await download(server.url, fid, carol["token"])).status_code == 404
    assert (await download(server.url, fid, bob["token"])).status_code == 200
    # Forwarded to Carol, she sees it again, through the forward.
    await http.call("messages.forwardMessages", from_peer={"chat_id": chat["id"]}, ids=[2],
                    to_peer={"user_id": carol["user"]["id"]})
    assert (await download(server.url, fid, carol["token"])).status_code == 200
    await http.close()


async def test_signed_links(clocked_server) -> None:  # type: ignore[no-untyped-def]
    server, clock = clocked_server
    _, bob, fid, _ = await _sent_document(server)
    http = server.http(bob["token"])
    link = await http.call("files.getFileUrl", file_id=fid)
    assert link["expires"] == clock.now() + 3600 and link["size"] == len(DATA)
    resp = await download(server.url, fid, path=link["path"])  # no token: an <img> tag
    assert resp.status_code == 200 and resp.content == DATA
    ranged = await download(server.url, fid, path=link["path"], headers={"range": "bytes=5-9"})
    assert ranged.content == DATA[5:10]
    forged = link["path"].replace("&s=", "&s=A")
    assert (await download(server.url, fid, path=forged)).status_code == 404
    other_user = link["path"].replace(f"u={bob['user']['id']}", "u=1")
    assert (await download(server.url, fid, path=other_user)).status_code == 404
    many = await http.call("files.getFileUrls", file_ids=[fid, "B" * 43])
    assert list(many) == [fid]
    clock.advance(3601)
    late = await download(server.url, fid, path=link["path"])
    assert (late.status_code, late.json()["error"]["type"]) == (403, "FILE_URL_EXPIRED")
    svc = server.app.services.files
    bot_link = server.run(svc.file_link(bob["user"]["id"], fid))
    assert bot_link.expires - clock.now() >= 3600
    await http.close()
