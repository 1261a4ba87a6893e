"""Collection with an injected clock: old unattached uploads, unreferenced files and blobs."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from files_helpers import PART, download, put_part, upload

from steppe.client import ApiError


def blob_names(server) -> set[str]:  # type: ignore[no-untyped-def]
    root = Path(server.app.core.settings.data_dir, "blobs")
    return {p.name for p in root.rglob("*") if p.is_file() and p.parent.name != "tmp"}


async def test_collection(clocked_server) -> None:  # type: ignore[no-untyped-def]
    server, clock = clocked_server
    files = server.app.services.files
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    peer = {"user_id": bob["user"]["id"]}
    http = server.http(alice["token"])
    kept_data, lost_data, gone_data = os.urandom(1000), os.urandom(2000), os.urandom(3000)
    kept = await upload(server, alice["token"], kept_data, name="kept")
    lost = await upload(server, alice["token"], lost_data, name="never attached")
    gone = await upload(server, alice["token"], gone_data, name="attached, then deleted")
    await http.call("messages.sendMedia", peer=peer, media={"type": "document", "file_id": kept})
    msg = await http.call("messages.sendMedia", peer=peer,
                          media={"type": "document", "file_id": gone})
    await http.call("messages.deleteMessages", peer=peer, ids=[msg["id"]])
    half = await http.call("upload.start", size=2 * PART, name="half")
    assert (await put_part(server.url, alice["token"], half["upload_id"], 0,
                           os.urandom(PART))).status_code == 200
    upload_dir = Path(server.app.core.settings.data_dir, "uploads")
    assert [p.name for p in upload_dir.iterdir()] == [half["upload_id"]]
    assert len(blob_names(server)) == 3

    assert server.run(files.collect()) == {"uploads": 0, "files": 0, "blobs": 0}  # too young
    clock.advance(23 * 3600)
    assert server.run(files.collect()) == {"uploads": 0, "files": 0, "blobs": 0}
    clock.advance(2 * 3600)
    done = server.run(files.collect())
    assert done == {"uploads": 4, "files": 2, "blobs": 2}  # 3 finished uploads' rows + half
    assert not any(upload_dir.iterdir())
    assert blob_names(server) == {hashlib.sha256(kept_data).hexdigest()}
    assert (await download(server.url, kept, bob["token"])).content == kept_data
    assert (await download(server.url, lost, alice["token"])).status_code == 404
    try:
        await http.call("upload.status", upload_id=half["upload_id"])
        raise AssertionError("the half upload should be gone")
    except ApiError as err:
        assert err.type == "UPLOAD_ID_INVALID"
    assert server.run(files.collect()) == {"uploads": 0, "files": 0, "blobs": 0}
    await http.close()


async def test_shared_blob_outlives_one_of_its_files(clocked_server) -> None:  # type: ignore[no-untyped-def]
    server, clock = clocked_server
    files = server.app.services.files
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    http = server.http(alice["token"])
    data = os.urandom(5000)
    first = await upload(server, alice["token"], data)
    await http.call("messages.sendMedia", peer={"user_id": bob["user"]["id"]},
                    media={"type": "document", "file_id": first})
    clock.advance(30 * 3600)
    second = await upload(server, alice["token"], data)  # the same contents, a day later
    clock.advance(30 * 3600)
    done = server.run(files.collect())
    assert done["files"] == 1 and done["blobs"] == 0  # `second` went, its blob is `first`'s
    assert blob_names(server) == {hashlib.sha256(data).hexdigest()}
    assert (await download(server.url, first, bob["token"])).content == data
    assert (await download(server.url, second, alice["token"])).status_code == 404
    await http.close()


async def test_photo_original_is_collected_sizes_stay(clocked_server) -> None:  # type: ignore[no-untyped-def]
    from files_helpers import jpeg

    server, clock = clocked_server
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    http = server.http(alice["token"])
    fid = await upload(server, alice["token"], jpeg(900, 900))
    msg = await http.call("messages.sendMedia", peer={"user_id": bob["user"]["id"]},
                          media={"type": "photo", "file_id": fid})
    photo_fid = await upload(server, alice["token"], jpeg(300, 300, color=(1, 2, 3)))
    await http.call("photos.uploadProfilePhoto", file_id=photo_fid)
    clock.advance(25 * 3600)
    done = server.run(server.app.services.files.collect())
    assert done["files"] == 2 and done["blobs"] == 2  # the two originals
    for size in msg["media"]["photo"]["sizes"]:
        assert (await download(server.url, size["file_id"], bob["token"])).status_code == 200
    await http.close()
