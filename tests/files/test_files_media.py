"""Media messages: photos and their sizes, documents with attributes, captions, albums."""

from __future__ import annotations

import io
import os

import pytest
from files_helpers import download, jpeg, png, png_header_only, upload
from PIL import Image

from steppe.client import ApiError


async def raises(coro, type_: str, code: int = 400) -> ApiError:  # type: ignore[no-untyped-def]
    with pytest.raises(ApiError) as info:
        await coro
    assert (info.value.type, info.value.code) == (type_, code), info.value
    return info.value


async def pair(server):  # type: ignore[no-untyped-def]
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    return alice, bob, server.http(alice["token"]), {"user_id": bob["user"]["id"]}


async def test_photo_sizes_without_exif(server) -> None:  # type: ignore[no-untyped-def]
    alice, bob, http, peer = await pair(server)
    original = jpeg(2000, 1500, gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the input has GPS
    fid = await upload(server, alice["token"], original, name="IMG_1.jpg", mime="image/jpeg")
    msg = await http.call("messages.sendMedia", peer=peer, media={"type": "photo", "file_id": fid},
                          caption="Almaty #trip", random_id=7,
                          entities=[{"type": "bold", "offset": 0, "length": 6}])
    assert msg["text"] == "Almaty #trip" and msg["entities"][0]["type"] == "bold"
    sizes = msg["media"]["photo"]["sizes"]
    assert [(s["type"], s["w"], s["h"]) for s in sizes] == [
        ("s", 90, 68), ("m", 320, 240), ("x", 800, 600), ("y", 1280, 960)]
    for size in sizes:
        resp = await download(server.url, size["file_id"], bob["token"])
        assert resp.headers["content-type"] == "image/jpeg"
        assert int(resp.headers["content-length"]) == size["size"]
        img = Image.open(io.BytesIO(resp.content))
        assert img.size == (size["w"], size["h"])
        assert len(img.getexif()) == 0 and b"Exif" not in resp.content[:4096]
    # The original (with its GPS) is not part of the message: Bob cannot fetch it.
    assert (await download(server.url, fid, bob["token"])).status_code == 404
    again = await http.call("messages.sendMedia", peer=peer,
                            media={"type": "photo", "file_id": fid}, random_id=7)
    assert again == msg
    # Bob sends the same photo on by a size's file id: no new sizes are made.
    bhttp = server.http(bob["token"])
    resent = await bhttp.call("messages.sendMedia", peer={"user_id": alice["user"]["id"]},
                              media={"type": "photo", "file_id": sizes[0]["file_id"]})
    assert resent["media"] == msg["media"]
    hist = await bhttp.call("messages.getHistory", peer={"user_id": alice["user"]["id"]})
    assert hist["messages"][1]["media"] == msg["media"]
    await bhttp.close()
    await http.close()


async def test_small_and_transparent_photos(server) -> None:  # type: ignore[no-untyped-def]
    alice, _, http, peer = await pair(server)
    fid = await upload(server, alice["token"], png(500, 100), name="logo.png")
    msg = await http.call("messages.sendMedia", peer=peer, media={"type": "photo", "file_id": fid})
    assert [(s["type"], s["w"], s["h"]) for s in msg["media"]["photo"]["sizes"]] == [
        ("s", 90, 18), ("m", 320, 64), ("x", 500, 100)]
    assert msg.get("text", "") == ""  # an empty caption is fine
    await http.close()


async def test_bad_photos(server) -> None:  # type: ignore[no-untyped-def]
    alice, _, http, peer = await pair(server)

    async def send(data: bytes) -> object:
        fid = await upload(server, alice["token"], data, name="p.png")
        return http.call("messages.sendMedia", peer=peer, media={"type": "photo", "file_id": fid})

    good = jpeg(64, 64)
    await raises(await send(b"\xff\xd8\xff\xe0" + os.urandom(2000)), "PHOTO_INVALID")
    await raises(await send(good[:len(good) // 2]), "PHOTO_INVALID")  # truncated
    await raises(await send(b"%PDF-1.4 not an image"), "PHOTO_INVALID")
    await raises(await send(png_header_only(30000, 30000)), "PHOTO_INVALID_DIMENSIONS")  # bomb
    await raises(await send(png_header_only(9000, 2000)), "PHOTO_INVALID_DIMENSIONS")  # w+h
    await raises(await send(png_header_only(4000, 100)), "PHOTO_INVALID_DIMENSIONS")  # ratio
    hist = await http.call("messages.getHistory", peer=peer)
    assert hist["messages"] == []  # nothing half-sent
    await http.close()


async def test_decompression_bomb_warning_is_an_error() -> None:
    from PIL import Image as PILImage

    from steppe.domain.errors import RpcError
    from steppe.services import images

    saved = PILImage.MAX_IMAGE_PIXELS
    PILImage.MAX_IMAGE_PIXELS = 1000  # Pillow's own guard, below ours
    try:
        with pytest.raises(RpcError) as info:
            images.render(png(40, 30, "L"), images.media.PHOTO_BOXES)
        assert info.value.type == "PHOTO_INVALID_DIMENSIONS"
    finally:
        PILImage.MAX_IMAGE_PIXELS = saved


async def test_documents_with_attributes(server) -> None:  # type: ignore[no-untyped-def]
    alice, bob, http, peer = await pair(server)
    mp4 = b"\x00\x00\x00\x18ftypmp42" + os.urandom(5000)
    ogg = b"OggS" + os.urandom(3000)
    cases = [
        ({"type": "video", "duration": 12, "w": 1920, "h": 1080, "supports_streaming": True},
         mp4, "clip.mp4", "video/mp4"),
        ({"type": "audio", "duration": 200, "performer": "Dimash", "title": "SOS"},
         b"ID3" + os.urandom(3000), "song.mp3", "audio/mpeg"),
        ({"type": "voice", "duration": 3}, ogg, "voice.ogg", "audio/ogg"),
        ({"type": "animation", "duration": 2, "w": 320, "h": 240}, mp4, "fun.mp4", "video/mp4"),
        ({"type": "document"}, b"%PDF-1.7\n" + os.urandom(100), "paper.pdf", "application/pdf"),
        ({"type": "document"}, b"plain words", "notes.txt", "text/plain"),
    ]
    for attrs, data, name, want_mime in cases:
        fid = await upload(server, alice["token"], data, name=name,
                           mime="text/plain" if name == "notes.txt" else "")
        msg = await http.call("messages.sendMedia", peer=peer, media={**attrs, "file_id": fid})
        doc = msg["media"]["document"]
        assert doc["kind"] == attrs["type"] and doc["name"] == name
        assert doc["mime_type"] == want_mime and doc["size"] == len(data)
        for key in ("duration", "w", "h", "performer", "title", "supports_streaming"):
            assert doc.get(key) == attrs.get(key), key
        assert (await download(server.url, fid, bob["token"])).content == data
    fid = await upload(server, alice["token"], b"abc", name="a.txt")
    for bad in ({"type": "voice", "w": 5}, {"type": "document", "duration": 3},
                {"type": "video", "duration": -1}, {"type": "audio", "title": "x" * 200},
                {"type": "photo", "duration": 3}):
        await raises(http.call("messages.sendMedia", peer=peer, media={**bad, "file_id": fid}),
                     "MEDIA_ATTRIBUTE_INVALID")
    await raises(http.call("messages.sendMedia", peer=peer,
                           media={"type": "sticker", "file_id": fid}), "INPUT_INVALID")
    await http.close()


async def test_captions(server) -> None:  # type: ignore[no-untyped-def]
    alice, _, http, peer = await pair(server)
    fid = await upload(server, alice["token"], b"data", name="d.bin")
    doc = {"type": "document", "file_id": fid}
    ok = await http.call("messages.sendMedia", peer=peer, media=doc, caption="x" * 1024)
    await raises(http.call("messages.sendMedia", peer=peer, media=doc, caption="x" * 1025),
                 "MEDIA_CAPTION_TOO_LONG")
    await raises(http.call("messages.sendMedia", peer=peer, media=doc, caption="hi",
                           entities=[{"type": "bold", "offset": 0, "length": 5}]),
                 "ENTITY_BOUNDS_INVALID")
    # A caption may be edited, and emptied, within the caption limit.
    edited = await http.call("messages.editMessage", peer=peer, id=ok["id"], text="")
    assert edited.get("text", "") == "" and edited["media"] == ok["media"]
    await raises(http.call("messages.editMessage", peer=peer, id=ok["id"], text="y" * 1025),
                 "MEDIA_CAPTION_TOO_LONG")
    # A plain message still needs text.
    await raises(http.call("messages.sendMessage", peer=peer, text=""), "MESSAGE_EMPTY")
    await http.close()


async def test_albums(server) -> None:  # type: ignore[no-untyped-def]
    alice, bob, http, peer = await pair(server)
    dev = await server.device(bob["token"])
    photos = [await upload(server, alice["token"], jpeg(100 + i, 80), name=f"{i}.jpg")
              for i in range(3)]
    video = await upload(server, alice["token"], b"\x00\x00\x00\x18ftypisom" + b"v" * 99)
    items = [{"media": {"type": "photo", "file_id": f}, "caption": f"p{i}", "random_id": 100 + i}
             for i, f in enumerate(photos)]
    items.append({"media": {"type": "video", "file_id": video, "duration": 1}, "random_id": 200})
    sent = await http.call("messages.sendMultiMedia", peer=peer, multi_media=items)
    assert len(sent) == 4
    assert len({m["grouped_id"] for m in sent}) == 1 and sent[0]["grouped_id"] > 0
    assert [m["id"] for m in sent] == list(range(sent[0]["id"], sent[0]["id"] + 4))
    assert (await http.call("messages.sendMultiMedia", peer=peer, multi_media=items)) == sent
    bhttp = server.http(bob["token"])
    hist = (await bhttp.call("messages.getHistory", peer={"user_id": alice["user"]["id"]}))
    assert [m.get("grouped_id") for m in hist["messages"]] == [sent[0]["grouped_id"]] * 4
    for _ in range(100):
        if len([e for e in dev.events if e["type"] == "new_message"]) == 4:
            break
        import asyncio
        await asyncio.sleep(0.02)
    assert [e["message"]["id"] for e in dev.events if e["type"] == "new_message"] == [
        m["id"] for m in sent]
    await dev.close()
    doc = await upload(server, alice["token"], b"doc", name="d.txt")
    one = [{"media": {"type": "photo", "file_id": photos[0]}}]
    await raises(http.call("messages.sendMultiMedia", peer=peer, multi_media=one),
                 "MEDIA_INVALID")
    await raises(http.call("messages.sendMultiMedia", peer=peer, multi_media=one * 11),
                 "MEDIA_INVALID")
    mixed = [{"media": {"type": "photo", "file_id": photos[0]}},
             {"media": {"type": "document", "file_id": doc}}]
    await raises(http.call("messages.sendMultiMedia", peer=peer, multi_media=mixed),
                 "MEDIA_INVALID")
    # One bad item: nothing of the album is stored.
    bad = [{"media": {"type": "photo", "file_id": photos[1]}},
           {"media": {"type": "photo", "file_id": doc}}]
    await raises(http.call("messages.sendMultiMedia", peer=peer, multi_media=bad),
                 "PHOTO_INVALID")
    hist2 = (await bhttp.call("messages.getHistory", peer={"user_id": alice["user"]["id"]}))
    assert len(hist2["messages"]) == 4
    await bhttp.close()
    await http.close()
