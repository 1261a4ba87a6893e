"""Profile photos of users and groups: set, list, delete, and who may see them."""

from __future__ import annotations

import pytest
from files_helpers import download, jpeg, upload

from steppe.client import ApiError


async def test_user_profile_photos(server) -> None:  # type: ignore[no-untyped-def]
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    http = server.http(alice["token"])
    first = await http.call("photos.uploadProfilePhoto",
                            file_id=await upload(server, alice["token"], jpeg(1000, 700)))
    assert [(s["type"], s["w"], s["h"]) for s in first["sizes"]] == [
        ("a", 160, 160), ("b", 320, 320), ("c", 640, 640)]
    second = await http.call("photos.uploadProfilePhoto",
                             file_id=await upload(server, alice["token"], jpeg(200, 300)))
    assert [(s["type"], s["w"]) for s in second["sizes"]] == [("a", 160), ("b", 200)]
    me = alice["user"]["id"]
    bhttp = server.http(bob["token"])
    listed = await bhttp.call("photos.getUserPhotos", user_id=me)
    assert listed["count"] == 2 and [p["id"] for p in listed["photos"]] == [second["id"],
                                                                           first["id"]]
    page = await bhttp.call("photos.getUserPhotos", user_id=me, offset=1, limit=1)
    assert [p["id"] for p in page["photos"]] == [first["id"]]
    current = await bhttp.call("photos.getCurrentPhotos", user_ids=[me, bob["user"]["id"]])
    assert current["users"] == {str(me): second}
    small = first["sizes"][0]["file_id"]
    assert (await download(server.url, small, bob["token"])).status_code == 200  # anyone
    with pytest.raises(ApiError) as info:
        await bhttp.call("photos.getUserPhotos", user_id=10**9)
    assert info.value.type == "USER_ID_INVALID"
    assert await bhttp.call("photos.deletePhotos", ids=[first["id"]]) == []  # not Bob's
    assert await http.call("photos.deletePhotos", ids=[first["id"], 12345]) == [first["id"]]
    assert (await http.call("photos.getUserPhotos", user_id=me))["count"] == 1
    assert (await download(server.url, small, bob["token"])).status_code == 404
    await http.close()
    await bhttp.close()


async def test_group_photo(server) -> None:  # type: ignore[no-untyped-def]
    alice = await server.user("Alice")
    bob = await server.user("Bob")
    eve = await server.user("Eve")
    http = server.http(alice["token"])
    chat = await http.call("messages.createChat", title="Team", user_ids=[bob["user"]["id"]])
    peer = {"chat_id": chat["id"]}
    fid = await upload(server, alice["token"], jpeg(400, 400))
    assert await http.call("messages.editChatPhoto", peer=peer, file_id=fid) is True
    bhttp = server.http(bob["token"])
    hist = await bhttp.call("messages.getHistory", peer=peer, limit=1)
    action = hist["messages"][0]["action"]
    assert action["type"] == "chat_edit_photo"
    photo = action["photo"]
    big = photo["sizes"][-1]["file_id"]
    assert (await download(server.url, big, bob["token"])).status_code == 200
    assert (await download(server.url, big, eve["token"])).status_code == 404
    listed = await bhttp.call("photos.getChatPhotos", peer=peer)
    assert listed["photos"] == [photo]
    ehttp = server.http(eve["token"])
    current = await ehttp.call("photos.getCurrentPhotos", chat_ids=[chat["id"]])
    assert current["chats"] == {}
    with pytest.raises(ApiError):
        await ehttp.call("messages.editChatPhoto", peer=peer, file_id=fid)
    await http.call("messages.editChatPhoto", peer=peer, file_id=None)
    hist = await bhttp.call("messages.getHistory", peer=peer, limit=1)
    assert hist["messages"][0]["action"]["type"] == "chat_delete_photo"
    assert (await bhttp.call("photos.getChatPhotos", peer=peer))["count"] == 0
    # The service message still shows the old photo to the members.
    assert (await download(server.url, big, bob["token"])).status_code == 200
    for h in (http, bhttp, ehttp):
        await h.close()
