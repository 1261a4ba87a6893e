"""A message to a bot's private chat takes the feed's step in its own write: the bot's update is
queued, and its cursor moved, by the transaction that stores the message, so one commit (and
one log flush) stands between a user's send and the bot's long poll. What the write cannot
take (a cursor standing elsewhere), the feed still does, once."""

from __future__ import annotations

import asyncio
from typing import Any

from botkit import bot_call, new_bot, polling, settled, updates_when

from steppe.services.core import _no_bots


def cursor(server: Any, bot_id: int, chat_id: int) -> int:
    return server.run(server.app.services.bots.feed.store.cursors(chat_id))[bot_id]


def chat_pts(server: Any, chat_id: int) -> int:
    return server.run(server.app.services.core.chats.get_chat(chat_id)).pts


def count_steps(server: Any, monkeypatch: Any) -> list[int]:
    """The chats the feed takes a step of its own for, from now on."""
    feed = server.app.services.bots.feed
    steps: list[int] = []
    step = feed._chat

    async def counted(chat_id: int) -> None:
        steps.append(chat_id)
        await step(chat_id)

    monkeypatch.setattr(feed, "_chat", counted)
    return steps


async def opened(server: Any, people: Any, monkeypatch: Any, username: str
                 ) -> tuple[Any, int, str, int, int]:
    """Alice and a new bot (no flood limits), their private chat opened with /start and taken by
    the feed: Alice, the bot's id and token, the chat's id and the offset past what the bot got."""
    monkeypatch.setattr(server.app.services.bots.accounts, "check_rate", lambda *a: None)
    alice = await people("Alice")
    bot_id, token = new_bot(server, username, alice.id)
    first = await alice.say({"user_id": bot_id}, "/start")
    got = (await updates_when(server, token, 1))["result"]
    assert [u["message"]["text"] for u in got] == ["/start"]
    settled(server)
    assert server.app.services.bots.feed.private.get(first["chat_id"]) == bot_id
    return alice, bot_id, token, first["chat_id"], got[-1]["update_id"] + 1


async def test_the_message_write_queues_the_update_and_wakes_the_poll(server, people,
                                                                      monkeypatch) -> None:
    alice, bot_id, token, chat_id, offset = await opened(server, people, monkeypatch,
                                                          "inline_bot")
    steps = count_steps(server, monkeypatch)

    poll = asyncio.ensure_future(bot_call(server, token, "getUpdates", offset=offset, timeout=20))
    await polling(server, bot_id)
    sent = await alice.say({"user_id": bot_id}, "straight to the bot")
    status, body = await asyncio.wait_for(poll, 10)
    assert status == 200, body
    assert [u["message"]["text"] for u in body["result"]] == ["straight to the bot"]
    assert body["result"][0]["message"]["message_id"] == sent["id"]
    settled(server)
    # The write moved the cursor itself; the feed took no step for the chat.
    assert cursor(server, bot_id, chat_id) == chat_pts(server, chat_id)
    assert chat_id not in steps
    offset = body["result"][-1]["update_id"] + 1

    # The bot's own answers move its cursor in their writes too, and give it nothing.
    for i in range(3):
        status, body = await bot_call(server, token, "sendMessage", chat_id=alice.id,
                                      text=f"answer {i}")
        assert status == 200, body
    settled(server)
    assert cursor(server, bot_id, chat_id) == chat_pts(server, chat_id)
    assert chat_id not in steps
    await alice.say({"user_id": bot_id}, "after the answers")
    got = (await updates_when(server, token, 1, offset=offset))["result"]
    assert [u["message"]["text"] for u in got] == ["after the answers"]
    settled(server)
    status, body = await bot_call(server, token, "getUpdates",
                                  offset=got[-1]["update_id"] + 1, timeout=0)
    assert body["result"] == []  # given once
    assert chat_id not in steps


async def test_the_update_is_the_one_the_feed_makes(server, people, monkeypatch) -> None:
    """The same message, once through the feed and once through the write, reaches the bot as
    the same update (its ids and text aside)."""
    alice, bot_id, token, chat_id, offset = await opened(server, people, monkeypatch,
                                                          "same_bot")
    core = server.app.services.core
    kinds = []
    for inline in (False, True):
        monkeypatch.setattr(core, "bots_to_pass",
                            server.app.services.bots.feed.to_pass if inline else _no_bots)
        steps = count_steps(server, monkeypatch)
        await alice.say({"user_id": bot_id}, "the same words")
        got = (await updates_when(server, token, 1, offset=offset))["result"]
        settled(server)
        assert (chat_id in steps) != inline
        offset = got[-1]["update_id"] + 1
        kinds.append(got[-1])
    feed, written = kinds
    assert written["update_id"] == feed["update_id"] + 1
    for u in (feed, written):
        u.pop("update_id")
        for key in ("message_id", "date"):
            u["message"].pop(key)
    assert feed == written


async def test_a_cursor_standing_elsewhere_leaves_the_step_to_the_feed(server, people,
                                                                       monkeypatch) -> None:
    """Messages the feed has not reached yet stay its own: the write that finds the cursor
    behind changes nothing, and the feed later gives both messages, in order, once."""
    alice, bot_id, token, chat_id, offset = await opened(server, people, monkeypatch,
                                                          "behind_bot")
    feed, core = server.app.services.bots.feed, server.app.services.core
    server.run(feed.stop())  # the feed stands still: its cursor stays where it is
    before = cursor(server, bot_id, chat_id)
    monkeypatch.setattr(core, "bots_to_pass", _no_bots)
    await alice.say({"user_id": bot_id}, "one")
    monkeypatch.setattr(core, "bots_to_pass", feed.to_pass)
    await alice.say({"user_id": bot_id}, "two")
    assert cursor(server, bot_id, chat_id) == before  # the write found it behind
    status, body = await bot_call(server, token, "getUpdates", offset=offset, timeout=0)
    assert body["result"] == []
    server.run(feed.start())
    got = (await updates_when(server, token, 2, offset=offset))["result"]
    assert [u["message"]["text"] for u in got] == ["one", "two"]
    settled(server)
    assert cursor(server, bot_id, chat_id) == chat_pts(server, chat_id)
    status, body = await bot_call(server, token, "getUpdates",
                                  offset=got[-1]["update_id"] + 1, timeout=0)
    assert body["result"] == []


async def test_allowed_updates_without_message_get_nothing_from_the_write(server, people,
                                                                          monkeypatch) -> None:
    alice, bot_id, token, chat_id, offset = await opened(server, people, monkeypatch,
                                                          "picky_bot")
    steps = count_steps(server, monkeypatch)
    status, body = await bot_call(server, token, "getUpdates", offset=offset, timeout=0,
                                  allowed_updates='["callback_query"]')
    assert status == 200 and body["result"] == []
    await alice.say({"user_id": bot_id}, "not for this bot")
    settled(server)
    assert cursor(server, bot_id, chat_id) == chat_pts(server, chat_id)
    assert chat_id not in steps
    status, body = await bot_call(server, token, "getUpdates", offset=offset, timeout=0,
                                  allowed_updates='["message"]')
    assert body["result"] == []
    await alice.say({"user_id": bot_id}, "for this bot")
    got = (await updates_when(server, token, 1, offset=offset))["result"]
    assert [u["message"]["text"] for u in got] == ["for this bot"]
    assert chat_id not in steps


async def test_a_poll_repeating_its_allowed_updates_writes_nothing(server, people,
                                                                   monkeypatch) -> None:
    """Frameworks send the same allowed_updates with every getUpdates: only a change is
    written (each write would cost the poll a commit and a flush)."""
    alice = await people("Alice")
    bot_id, token = new_bot(server, "repeating_bot", alice.id)
    accounts = server.app.services.bots.accounts
    written: list[dict[str, Any]] = []
    update_bot = accounts.update_bot

    async def counted(bot: int, changes: dict[str, Any]) -> Any:
        written.append(changes)
        return await update_bot(bot, changes)

    monkeypatch.setattr(accounts, "update_bot", counted)
    for _ in range(3):
        status, body = await bot_call(server, token, "getUpdates", timeout=0,
                                      allowed_updates='["message", "callback_query"]')
        assert status == 200, body
    assert written == [{"allowed_updates": ["message", "callback_query"]}]
    status, body = await bot_call(server, token, "getUpdates", timeout=0,
                                  allowed_updates='["message"]')
    assert status == 200, body
    assert written[1:] == [{"allowed_updates": ["message"]}]
    bot = server.run(accounts.get(bot_id))
    assert bot is not None and bot.allowed_updates == ["message"]
