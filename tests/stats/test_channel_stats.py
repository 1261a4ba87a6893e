"""A channel's statistics for its admins, and public channels in the directory."""

from __future__ import annotations

from typing import Any

import pytest

from steppe.client import ApiError, Http

DAY = 86400


async def _raises(coro: Any, type_: str, code: int = 400) -> None:
    with pytest.raises(ApiError) as info:
        await coro
    assert (info.value.type, info.value.code) == (type_, code), info.value


async def test_subscribers_views_and_forwards(clocked_server: Any) -> None:
    server, clock = clocked_server
    owner, *subs = [await server.user(n) for n in ("Owner", "Aru", "Bek", "Dana", "Erlan")]
    outsider = await server.user("Outsider")
    o, *hs = [Http(server.url, u["token"]) for u in (owner, *subs, outsider)]
    channel = await o.call("channels.createChannel", title="Steppe News", broadcast=True)
    peer = {"chat_id": channel["id"]}
    await o.call("channels.inviteToChannel", peer=peer,
                 user_ids=[subs[0]["user"]["id"], subs[1]["user"]["id"]])
    clock.advance(DAY)
    await o.call("channels.inviteToChannel", peer=peer,
                 user_ids=[subs[2]["user"]["id"], subs[3]["user"]["id"]])
    first = await o.call("messages.sendMessage", peer=peer, text="Snow in Astana")
    second = await o.call("messages.sendMessage", peer=peer, text="Spring in Almaty")
    clock.advance(DAY)
    await hs[3].call("channels.leaveChannel", peer=peer)
    for h in hs[:3]:
        await h.call("messages.getMessagesViews", peer=peer, ids=[first["id"]], increment=True)
    await hs[0].call("messages.forwardMessages", from_peer=peer, ids=[first["id"]],
                     to_peer={"user_id": owner["user"]["id"]})
    server.run(server.app.services.channels.messages.views.flush())

    got = await o.call("stats.getBroadcastStats", chat_id=channel["id"], days=3)
    assert got["subscribers"] == 4  # the owner and three of the four invited
    assert [(d["subscribers"], d["joined"], d["left"]) for d in got["days"]] == [
        (3, 2, 0), (5, 2, 0), (4, 0, 1)]
    posts = {p["id"]: p for p in got["posts"]}
    assert (posts[first["id"]]["views"], posts[first["id"]]["forwards"]) == (3, 1)
    assert (posts[second["id"]]["views"], posts[second["id"]]["forwards"]) == (0, 0)
    assert [p["id"] for p in got["posts"]] == [second["id"], first["id"]]

    await _raises(hs[0].call("stats.getBroadcastStats", chat_id=channel["id"]),
                  "CHAT_ADMIN_REQUIRED", 403)
    await _raises(hs[4].call("stats.getBroadcastStats", chat_id=channel["id"]), "PEER_ID_INVALID")
    group = await o.call("messages.createChat", title="Small", user_ids=[subs[0]["user"]["id"]])
    await _raises(o.call("stats.getBroadcastStats", chat_id=group["id"]), "CHANNEL_INVALID")
    await _raises(o.call("stats.getBroadcastStats", chat_id=channel["id"], days=0),
                  "LIMIT_INVALID")
    for h in (o, *hs):
        await h.close()


async def test_public_channels_in_the_directory(server: Any) -> None:
    owner, reader = await server.user("Owner"), await server.user("Reader")
    o, r = Http(server.url, owner["token"]), Http(server.url, reader["token"])
    news = await o.call("channels.createChannel", title="Қазақстан жаңалықтары", broadcast=True)
    await o.call("channels.updateUsername", peer={"chat_id": news["id"]}, username="kz_news")
    hidden = await o.call("channels.createChannel", title="Қазақ private", broadcast=True)

    by_username = await r.call("contacts.searchDirectory", q="KZ_NE")
    assert [(c["chat"]["id"], c["username"]) for c in by_username["chats"]] == [
        (news["id"], "kz_news")]
    by_title = await r.call("contacts.searchDirectory", q="жаңалық")
    assert [c["chat"]["id"] for c in by_title["chats"]] == [news["id"]]
    by_first_word = await r.call("contacts.searchDirectory", q="қазақ")
    assert [c["chat"]["id"] for c in by_first_word["chats"]] == [news["id"]]
    assert hidden["id"] not in [c["chat"]["id"] for c in by_first_word["chats"]]
    for h in (o, r):
        await h.close()
