"""The bot feed lets the bots' own messages pass without a step of their own, and still gives
each bot every update it should, once, in order."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from botkit import bot_call, new_bot, polling, settled, updates_when, wait_for

from steppe.services.botfeed import LAG_AT_MOST


def cursor(server: Any, bot_id: int, chat_id: int) -> int:
    return server.run(server.app.services.bots.feed.store.cursors(chat_id))[bot_id]


def chat_pts(server: Any, chat_id: int) -> int:
    chat = server.run(server.app.services.core.chats.get_chat(chat_id))
    return chat.pts


async def test_own_messages_move_the_cursor_later_and_lose_nothing(server, people,
                                                                    monkeypatch) -> None:
    """In a group: a run of the bot's own messages moves its cursor once, later, and the next
    message it may see still reaches it once. (A private chat's cursor moves in each message's
    own write: tests/botapi/test_feed_inline.py.)"""
    # The group flood limit (20 a minute) would make this take minutes.
    monkeypatch.setattr(server.app.services.bots.accounts, "check_rate", lambda *a: None)
    alice = await people("Alice")
    bot_id, token = new_bot(server, "lagging_bot", alice.id)
    server.run(server.app.services.bots.accounts.store.update(bot_id, {"privacy": False}))
    group = await alice.call("messages.createChat", title="Lagging", user_ids=[bot_id])
    chat_id, api_chat = group["id"], -group["id"]
    first = await alice.say({"chat_id": chat_id}, "hello bot")
    got = (await updates_when(server, token, 1, until=lambda us: any(
        u.get("message", {}).get("text") == "hello bot" for u in us)))["result"]
    assert got[-1]["message"]["text"] == "hello bot"
    assert got[-1]["message"]["message_id"] == first["id"]
    offset = got[-1]["update_id"] + 1

    sends = LAG_AT_MOST + 8
    for i in range(sends):
        status, body = await bot_call(server, token, "sendMessage", chat_id=api_chat,
                                      text=f"from the bot {i}")
        assert status == 200, body
    settled(server)
    # The bot's own messages gave it nothing, and each run of them moved its cursor once.
    behind = chat_pts(server, chat_id) - cursor(server, bot_id, chat_id)
    assert 0 < behind <= LAG_AT_MOST
    status, body = await bot_call(server, token, "getUpdates", offset=offset, timeout=0)
    assert body["result"] == []

    await alice.say({"chat_id": chat_id}, "and now a reply")
    got = (await updates_when(server, token, 1, offset=offset))["result"]
    assert [u["message"]["text"] for u in got] == ["and now a reply"]
    assert got[0]["message"]["from"]["id"] == alice.id
    settled(server)
    assert cursor(server, bot_id, chat_id) == chat_pts(server, chat_id)
    # Confirmed, nothing more comes: not the bot's own messages, not the reply again.
    status, body = await bot_call(server, token, "getUpdates", offset=got[-1]["update_id"] + 1,
                                  timeout=0)
    assert body["result"] == []


async def test_no_bot_sees_what_another_bot_says(server, people) -> None:
    """As in Telegram: even with privacy mode off, a bot gets no message another bot sent in the
    group, only the people's (and the feed lets the bots' messages pass without a step)."""
    alice = await people("Alice")
    talker_id, talker = new_bot(server, "talker_bot", alice.id)
    listener_id, listener = new_bot(server, "listener_bot", alice.id)
    group = await alice.call("messages.createChat", title="Two bots",
                             user_ids=[talker_id, listener_id])
    api_chat = -group["id"]
    server.run(server.app.services.bots.accounts.store.update(listener_id, {"privacy": False}))
    settled(server)
    for i in range(3):
        status, body = await bot_call(server, talker, "sendMessage", chat_id=api_chat,
                                      text=f"talking {i}")
        assert status == 200, body
    await alice.say({"chat_id": group["id"]}, "people talk too")
    got = await updates_when(server, listener, 1, until=lambda us: any(
        u.get("message", {}).get("text") == "people talk too" for u in us))
    texts = [u["message"].get("text") for u in got["result"] if "message" in u]
    assert "people talk too" in texts
    assert not [t for t in texts if t and t.startswith("talking")]
    # Nor does the talker get its own; it does get Alice's (the talker has privacy on: a plain
    # message is not for it).
    status, body = await bot_call(server, talker, "getUpdates", timeout=0)
    assert not [u for u in body["result"]
                if u.get("message", {}).get("text", "").startswith("talking")]


async def test_a_long_poll_whose_client_went_away_ends(server, people) -> None:
    bot_id, token = new_bot(server, "leaving_bot")
    async with httpx.AsyncClient(timeout=60) as http:
        poll = asyncio.ensure_future(http.post(f"{server.url}/bot{token}/getUpdates",
                                               data={"timeout": 50}))
        await polling(server, bot_id)
        poll.cancel()  # the client closes its connection mid-poll
    # The server notices and drops the poll long before its 50 s are up.
    await wait_for(lambda: bot_id not in server.app.botapi.delivery.polls, timeout=5)
    # A send still answers at once: no method but getUpdates waits for the client to go.
    status, body = await bot_call(server, token, "getMe")
    assert status == 200 and body["result"]["id"] == bot_id
