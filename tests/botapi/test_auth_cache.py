"""A node keeps a bot's checked token for a moment (services/bots.py, AUTH_TTL): requests in
that moment read no bot, any change to the bot is seen at once, and a read that a change
overtook is not kept. Across nodes: tests/multinode."""

from __future__ import annotations

import asyncio
from typing import Any

from botkit import bot_call, new_bot


def counting_reads(server: Any, monkeypatch: Any) -> list[int]:
    accounts = server.app.services.bots.accounts
    reads: list[int] = []
    real = accounts.store.with_user

    async def with_user(bot_id: int) -> Any:
        reads.append(bot_id)
        return await real(bot_id)

    monkeypatch.setattr(accounts.store, "with_user", with_user)
    return reads


async def test_a_checked_token_is_kept_for_a_moment_and_changes_drop_it(server, monkeypatch
                                                                        ) -> None:
    bot_id, token = new_bot(server, "kept_bot")
    reads = counting_reads(server, monkeypatch)
    for _ in range(3):
        assert (await bot_call(server, token, "getMe"))[0] == 200
    assert reads == [bot_id]  # one read, then two requests from what it kept
    # A wrong secret for the same bot is never answered from what was kept.
    wrong = f"{bot_id}:{'x' * 35}"
    assert (await bot_call(server, wrong, "getMe"))[0] == 401
    # A change (here the privacy setting) is read at the next request.
    accounts = server.app.services.bots.accounts
    server.run(accounts.set_privacy(bot_id, False))
    status, body = await bot_call(server, token, "getMe")
    assert body["result"]["can_read_all_group_messages"]
    # Past the moment, the bot is read again.
    monkeypatch.setattr("steppe.services.bots.AUTH_TTL", 0.0)
    before = len(reads)
    await bot_call(server, token, "getMe")
    assert len(reads) == before + 1


async def test_a_read_overtaken_by_a_change_is_not_kept(server, monkeypatch) -> None:
    bot_id, token = new_bot(server, "raced_bot")
    accounts = server.app.services.bots.accounts
    real = accounts.store.with_user
    reading = asyncio.Event()
    go_on = asyncio.Event()

    async def slow_with_user(bid: int) -> Any:  # as a PostgreSQL read, which waits for I/O
        found = await real(bid)
        reading.set()
        await go_on.wait()
        return found

    monkeypatch.setattr(accounts.store, "with_user", slow_with_user)

    async def race() -> tuple[bool, bool]:
        request = asyncio.ensure_future(accounts.authenticate(token))
        await reading.wait()
        accounts.changed(bot_id)  # the bot changes after the row was read
        go_on.set()
        await request
        return bot_id in accounts._auth, bot_id in accounts._reading

    kept, still_reading = server.run(race())
    assert not kept and not still_reading
