"""Size: a post to a channel of 100,000 subscribers writes exactly as many rows as a post to a
channel of 10 — its message, its event and the chat row; the fan-out is notifications only.
Views, read marks and joins cost a constant number of writes too."""

from __future__ import annotations

import os
from typing import Any

import pytest

from channels.helpers import Cast, peer, wait_for
from steppe.domain.models import Draft
from steppe.services.chats import Peer

BIG = 100_000


def changes(server: Any) -> int:
    """Rows inserted, updated or deleted on the server's SQLite connection so far."""
    return int(server.app.core.store.database._conn.total_changes)


async def _quiet(app: Any) -> None:
    """Write out what the housekeeping batches, so nothing else writes while we count."""
    await app.services.auth.flush_activity()
    await app.services.stats.flush()
    await app.services.channels.messages.views.flush()


def counted(server: Any, make: Any, statements: list[str] | None = None) -> tuple[int, Any]:
    """Run `make()` on the server's loop: the rows it wrote (what triggers of other areas add
    included), and its result; `statements` collects the writing statements it ran itself."""
    conn = server.app.core.store.database._conn

    last: list[str] = [""]

    def trace(sql: str) -> None:
        # SQLite reports a statement again as each trigger it fires runs: count it once.
        if sql.startswith("--"):
            return
        repeat, last[0] = sql == last[0], sql
        if statements is not None and not repeat and sql.split(None, 1)[0].upper() in (
                "INSERT", "UPDATE", "DELETE"):
            statements.append(" ".join(sql.split()[:3]))

    async def run() -> tuple[int, Any]:
        await _quiet(server.app)
        before = changes(server)
        conn.set_trace_callback(trace)
        try:
            result = await make()
        finally:
            conn.set_trace_callback(None)
        return changes(server) - before, result

    return server.run(run())  # type: ignore[no-any-return]


@pytest.mark.skipif(os.environ.get("STEPPE_TEST_DATABASE") == "postgres",
                    reason="counts rows on the SQLite connection")
async def test_post_costs_the_same_rows_at_10_and_100k_subscribers(server, cast: Cast
                                                                   ) -> None:  # type: ignore[no-untyped-def]
    app = server.app
    store = app.services.channels.channels.store
    owner = await cast.user("Owner")
    small = (await owner("channels.createChannel", title="Small", broadcast=True))["id"]
    big = (await owner("channels.createChannel", title="Big", broadcast=True))["id"]
    now = app.core.clock.now()
    ids = server.run(store.bulk_users(BIG + 10, now))
    server.run(store.bulk_subscribe(small, ids[:10], now))
    server.run(store.bulk_subscribe(big, ids[10:], now))
    full = await owner("channels.getFullChannel", peer=peer(big))
    assert full["chat"]["member_count"] == BIG + 1

    await owner("channels.updateUsername", peer=peer(big), username="big_news")
    reader = await cast.user("Reader")
    await reader("channels.joinChannel", peer=peer(big))
    device = await server.device(reader.token)
    try:
        def post(chat: int) -> Any:
            return app.services.messages.send(owner.id, Peer(chat_id=chat), Draft(text="news"))

        small_sql: list[str] = []
        big_sql: list[str] = []
        rows_small, _ = counted(server, lambda: post(small), small_sql)
        rows_big, sent = counted(server, lambda: post(big), big_sql)
        assert rows_small == rows_big
        # The post itself: the chat row (its pts), the event, the message. (Search and statistics
        # triggers of other areas add a constant few rows per message of any chat.)
        assert sorted(big_sql) == sorted(small_sql) == [
            "INSERT INTO chat_events", "INSERT INTO messages", "UPDATE chats SET"], big_sql
        print(f"rows written by one post: {rows_small} at 10 subscribers, {rows_big} at {BIG}")
        await wait_for(lambda: any(e.get("type") == "new_message"
                                   and e["message"]["id"] == sent.id for e in device.events))

        # 1,000 subscribers view the post: one row write when the batch is stored.
        views = app.services.channels.messages.views
        rows, _ = counted(server, lambda: _view_all(views, big, sent.id, ids[10:1010]))
        assert rows == 1
        got = await reader("messages.getMessagesViews", peer=peer(big), ids=[sent.id])
        assert got[0]["views"] == 1000

        dialogs = await reader("messages.getDialogs")
        assert next(d for d in dialogs["dialogs"] if d["chat"]["id"] == big)["unread_count"] == 1
        # The channel's posts are its admins' own: never unread for the owner.
        theirs = await owner("messages.getDialogs")
        assert next(d for d in theirs["dialogs"]
                    if d["chat"]["id"] == big).get("unread_count", 0) == 0
        # A read mark is the reader's account event, not the channel's.
        pts = (await owner("channels.getFullChannel", peer=peer(big)))["chat"]["pts"]
        rows, _ = counted(server, lambda: app.services.messages.read(reader.id, Peer(chat_id=big), 0))
        assert rows == 3  # the member row, the user's seq, the user event
        after = await owner("channels.getFullChannel", peer=peer(big))
        assert after["chat"]["pts"] == pts
        dialogs = await reader("messages.getDialogs")
        mine = next(d for d in dialogs["dialogs"] if d["chat"]["id"] == big)
        assert mine.get("unread_count", 0) == 0

        # Joining a channel of any size: the member row, the count, the joiner's account event.
        joined: list[str] = []
        late = await cast.user("Late")
        counted(server, lambda: app.services.channels.channels.join(late.id, Peer(chat_id=big)),
                joined)
        assert sorted(joined) == ["DELETE FROM join_requests", "INSERT INTO admin_log",
                                  "INSERT INTO members", "INSERT INTO user_events",
                                  "UPDATE chats SET", "UPDATE users SET"], joined
    finally:
        await device.close()


async def _view_all(views: Any, chat: int, msg: int, users: list[int]) -> None:
    for user in users:
        views.view(chat, msg, user)
        views.view(chat, msg, user)  # a subscriber's view counts once
    await views.flush()


async def test_accounts_made_in_bulk_leave_room_for_the_next_sign_up(server, cast: Cast
                                                                     ) -> None:  # type: ignore[no-untyped-def]
    """The bulk fast path gives the accounts their ids; an account made the usual way after it
    (a sign-up) takes the next id, on PostgreSQL too, whose id sequence bulk_users moves on."""
    store = server.app.services.channels.channels.store
    ids = server.run(store.bulk_users(5, server.app.core.clock.now()))
    user = await cast.user("After")
    assert user.id > max(ids)
