"""Message search through the API: every script by part of a word, only what the reader may read
now, filters, paging and clear refusals."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from steppe.client import ApiError, Http
from steppe.domain.entities import slice_utf16
from steppe.domain.media import MediaPhoto, Photo

KAZAKH = "Сәлеметсіз бе! Ертең Алматыда кездесеміз, қалыңыз қалай?"
CHINESE = "我们明天去北京大学参观图书馆"
ENGLISH = "The quarterly reports are ready for review"


async def _raises(coro: Any, type_: str, code: int = 400) -> None:
    with pytest.raises(ApiError) as info:
        await coro
    assert (info.value.type, info.value.code) == (type_, code), info.value


def _texts(found: dict[str, Any]) -> list[str]:
    return [r["message"].get("text", "") for r in found["results"]]


def _marked(found: dict[str, Any]) -> list[list[str]]:
    """The highlighted parts of each result, cut out by their UTF-16 offsets."""
    return [[slice_utf16(r["message"]["text"], h["offset"], h["length"]) for h in r["highlights"]]
            for r in found["results"]]


async def test_every_script_by_part_of_a_word(server: Any) -> None:
    alice, bob = await server.user("Alice"), await server.user("Bob")
    a, b = Http(server.url, alice["token"]), Http(server.url, bob["token"])
    to_bob = {"user_id": bob["user"]["id"]}
    for text in (KAZAKH, CHINESE, ENGLISH, "🙂 emoji before кездесу"):
        await a.call("messages.sendMessage", peer=to_bob, text=text)
    to_alice = {"user_id": alice["user"]["id"]}

    found = await b.call("messages.search", peer=to_alice, q="ҚАЛЫҢ")
    assert _texts(found) == [KAZAKH] and _marked(found) == [["қалың"]]
    found = await b.call("messages.search", peer=to_alice, q="алматы")
    assert _marked(found) == [["Алматы"]]
    found = await b.call("messages.searchGlobal", q="北京大")
    assert _texts(found) == [CHINESE] and _marked(found) == [["北京大"]]
    found = await b.call("messages.searchGlobal", q="QUARTER review")
    assert _texts(found) == [ENGLISH] and _marked(found) == [["quarter", "review"]]
    assert {u["id"] for u in found["users"]} == {alice["user"]["id"], bob["user"]["id"]}
    assert found["chats"][0]["kind"] == "private" and found["next_offset"] is None

    # Offsets count UTF-16 units, as entities do: the emoji is two.
    found = await b.call("messages.search", peer=to_alice, q="кездесу")
    assert found["results"][0]["highlights"] == [{"offset": 16, "length": 7}]

    # One or two characters: answered within one chat, refused across all of them.
    found = await b.call("messages.search", peer=to_alice, q="北京")
    assert _texts(found) == [CHINESE]
    found = await b.call("messages.search", peer=to_alice, q="ер")
    assert _texts(found) == [KAZAKH] and _marked(found) == [["Ер"]]
    await _raises(b.call("messages.searchGlobal", q="北京"), "SEARCH_QUERY_TOO_SHORT")
    for h in (a, b):
        await h.close()


async def test_only_what_the_reader_may_read_now(server: Any) -> None:
    alice, bob, carol, dave = [await server.user(n) for n in ("Alice", "Bob", "Carol", "Dave")]
    a, b, c, d = [Http(server.url, u["token"]) for u in (alice, bob, carol, dave)]
    group = await a.call("messages.createChat", title="Plans",
                         user_ids=[bob["user"]["id"], carol["user"]["id"]])
    peer = {"chat_id": group["id"]}
    kept = await a.call("messages.sendMessage", peer=peer, text="meeting at the yurt")
    edited = await a.call("messages.sendMessage", peer=peer, text="bring the dombra")
    gone = await b.call("messages.sendMessage", peer=peer, text="the dombra is broken")
    hidden = await a.call("messages.sendMessage", peer=peer, text="dombra lessons on Friday")

    found = await c.call("messages.searchGlobal", q="dombra")
    assert [r["message"]["id"] for r in found["results"]] == [hidden["id"], gone["id"],
                                                              edited["id"]]
    assert (await d.call("messages.searchGlobal", q="dombra"))["results"] == []
    await _raises(d.call("messages.search", peer=peer, q="dombra"), "PEER_ID_INVALID")

    # An edit and a deletion for everyone show at once; a deletion for me hides only for me.
    await a.call("messages.editMessage", peer=peer, id=edited["id"], text="bring the kobyz")
    await b.call("messages.deleteMessages", peer=peer, ids=[gone["id"]])
    await c.call("messages.deleteMessages", peer=peer, ids=[hidden["id"]], revoke=False)
    assert [r["message"]["id"] for r in (await c.call("messages.search", peer=peer,
                                                       q="dombra"))["results"]] == []
    assert [r["message"]["id"] for r in (await b.call("messages.search", peer=peer,
                                                       q="dombra"))["results"]] == [hidden["id"]]
    found = await c.call("messages.searchGlobal", q="kobyz")
    assert [r["message"]["id"] for r in found["results"]] == [edited["id"]]
    assert (await c.call("messages.searchGlobal", q="broken"))["results"] == []

    # Membership is checked now: once Carol left, nothing of the group is found for her.
    await c.call("messages.leaveChat", peer=peer)
    assert (await c.call("messages.searchGlobal", q="yurt"))["results"] == []
    await _raises(c.call("messages.search", peer=peer, q="yurt"), "PEER_ID_INVALID")
    assert [r["message"]["id"] for r in (await b.call("messages.searchGlobal",
                                                       q="yurt"))["results"]] == [kept["id"]]
    for h in (a, b, c, d):
        await h.close()


async def _mark_media(server: Any, chat_id: int, msg_id: int) -> None:
    """Give a message media the way the media service stores it (the `extra` JSON)."""
    photo = MediaPhoto(photo=Photo(id=1, date=0, sizes=[]))

    async def op(db: Any) -> None:
        await db.execute("UPDATE messages SET extra = $3 WHERE chat_id = $1 AND id = $2",
                         chat_id, msg_id, msgspec.json.encode({"media": photo}).decode())

    async def write() -> None:
        await server.app.core.store.database.write(op)

    server.run(write())


async def test_filters_and_paging(clocked_server: Any) -> None:
    server, clock = clocked_server
    alice, bob = await server.user("Alice"), await server.user("Bob")
    a, b = Http(server.url, alice["token"]), Http(server.url, bob["token"])
    group = await a.call("messages.createChat", title="Reports", user_ids=[bob["user"]["id"]])
    sent = []
    for i in range(25):
        clock.advance(60)
        who, peer = (a, {"chat_id": group["id"]}) if i % 3 else (b, {"user_id": alice["user"]["id"]})
        sent.append(await who.call("messages.sendMessage", peer=peer, text=f"weekly report {i}"))
    newest_first = [(m["chat_id"], m["id"]) for m in reversed(sent)]

    pages, params = [], {"q": "report", "limit": 10}
    while True:
        found = await a.call("messages.searchGlobal", **params)
        pages.append([(r["message"]["chat_id"], r["message"]["id"]) for r in found["results"]])
        if not found["next_offset"]:
            break
        params = {"q": "report", "limit": 10, **found["next_offset"]}
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [x for p in pages for x in p] == newest_first

    by_bob = await a.call("messages.searchGlobal", q="report", from_id=bob["user"]["id"], limit=50)
    assert len(by_bob["results"]) == 9
    privates = await a.call("messages.searchGlobal", q="report", chat_kind="private", limit=50)
    assert {r["message"]["chat_id"] for r in privates["results"]} == {sent[0]["chat_id"]}
    groups = await a.call("messages.searchGlobal", q="report", chat_kind="group", limit=50)
    assert len(groups["results"]) == 16
    window = await a.call("messages.searchGlobal", q="report", min_date=sent[5]["date"],
                          max_date=sent[9]["date"], limit=50)
    assert [r["message"]["id"] for r in window["results"]] == [m["id"] for m in sent[9:4:-1]]

    chat_pages, offset = [], 0
    while True:
        found = await a.call("messages.search", peer={"chat_id": group["id"]}, q="weekly",
                             limit=7, offset_id=offset)
        chat_pages += [r["message"]["id"] for r in found["results"]]
        if not found["next_offset"]:
            break
        offset = found["next_offset"]["offset_id"]
    assert chat_pages == [m["id"] for m in reversed(sent) if m["chat_id"] == group["id"]]

    await _mark_media(server, group["id"], sent[1]["id"])
    media = await a.call("messages.searchGlobal", q="report", has_media=True)
    assert [r["message"]["id"] for r in media["results"]] == [sent[1]["id"]]
    plain = await a.call("messages.search", peer={"chat_id": group["id"]}, q="report",
                         has_media=False, limit=100)
    assert len(plain["results"]) == 15
    for h in (a, b):
        await h.close()


async def test_bad_queries_are_refused_clearly(server: Any) -> None:
    alice, bob = await server.user("Alice"), await server.user("Bob")
    a = Http(server.url, alice["token"])
    peer = {"user_id": bob["user"]["id"]}
    await a.call("messages.sendMessage", peer=peer, text="hello")
    await _raises(a.call("messages.searchGlobal", q="   "), "SEARCH_QUERY_EMPTY")
    await _raises(a.call("messages.search", peer=peer, q=""), "SEARCH_QUERY_EMPTY")
    await _raises(a.call("messages.searchGlobal", q="x" * 300), "SEARCH_QUERY_TOO_LONG")
    await _raises(a.call("messages.searchGlobal", q="hello", min_date=20, max_date=10),
                  "DATE_RANGE_INVALID")
    await _raises(a.call("messages.searchGlobal", q="hello", chat_kind="forum"),
                  "CHAT_KIND_INVALID")
    await _raises(a.call("messages.searchGlobal", q="hello", sort="date"), "INPUT_INVALID")
    anonymous = Http(server.url)
    await _raises(anonymous.call("messages.searchGlobal", q="hello"), "AUTH_KEY_UNREGISTERED", 401)
    await anonymous.close()
    # FTS syntax in a query is text, never an operator.
    assert (await a.call("messages.searchGlobal", q='hel" OR "x* NEAR('))["results"] == []
    assert len((await a.call("messages.searchGlobal", q="ELL"))["results"]) == 1
    await a.close()


async def test_directory(server: Any) -> None:
    alice, bob = await server.user("Aigerim"), await server.user("Әлия")
    carol = await server.user("Carol")
    a, b, c = [Http(server.url, u["token"]) for u in (alice, bob, carol)]
    await a.call("account.updateUsername", username="steppe_fan")
    await b.call("account.updateProfile", last_name="Нұрланқызы")
    await b.call("account.updateUsername", username="aliya_kz")

    found = await c.call("contacts.searchDirectory", q="@STEPPE")
    assert [u["id"] for u in found["users"]] == [alice["user"]["id"]]
    assert found["chats"] == []
    found = await c.call("contacts.searchDirectory", q="aige")  # a word of the name
    assert [u["id"] for u in found["users"]] == [alice["user"]["id"]]
    found = await c.call("contacts.searchDirectory", q="нұрлан")
    assert [u["id"] for u in found["users"]] == [bob["user"]["id"]]
    assert "phone" not in found["users"][0]
    # No username, not public: Carol is found by name only by her contacts.
    assert (await a.call("contacts.searchDirectory", q="carol"))["users"] == []
    await a.call("contacts.addContact", user_id=carol["user"]["id"])
    found = await a.call("contacts.searchDirectory", q="car")
    assert [u["id"] for u in found["users"]] == [carol["user"]["id"]]
    await _raises(a.call("contacts.searchDirectory", q=" "), "SEARCH_QUERY_EMPTY")
    for h in (a, b, c):
        await h.close()


async def test_the_indexer_drains_what_queued_up_in_small_writes(server: Any) -> None:
    """The background indexer moves everything queued each tick, INDEX_STEP messages a write,
    without a search asking for it."""
    import asyncio

    from steppe.app import INDEX_STEP

    if not server.app.services.search.store.dialect.sqlite:
        pytest.skip("PostgreSQL's index is kept by the database itself: nothing queues")
    alice, bob = await server.user("Alice"), await server.user("Bob")
    a = Http(server.url, alice["token"])
    to_bob = {"user_id": bob["user"]["id"]}
    sent = 3 * INDEX_STEP + 5
    await asyncio.gather(*(a.call("messages.sendMessage", peer=to_bob, text=f"indexed note {i}")
                           for i in range(sent)))
    database = server.app.core.store.database

    async def queued() -> int:
        async def op(db: Any) -> int:
            return int(await db.fetchval("SELECT count(*) FROM search_queue"))

        return await database.read(op)

    async def indexed() -> int:
        async def op(db: Any) -> int:
            return int(await db.fetchval("SELECT count(*) FROM message_keys"))

        return await database.read(op)

    for _ in range(200):  # a tick is 0.25 s; give it 10 s
        if server.run(queued()) == 0:
            break
        await asyncio.sleep(0.05)
    assert server.run(queued()) == 0
    assert server.run(indexed()) >= sent
    await a.close()
