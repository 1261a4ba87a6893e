"""The store contract: every backend must pass these (SQLite file and memory, PostgreSQL).

The PostgreSQL case gets a fresh database per test and is skipped, saying why, when the server
(STEPPE_TEST_POSTGRES, default 127.0.0.1:5432) is not reachable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from steppe.domain import search as ds
from steppe.domain.entities import Entity
from steppe.domain.errors import RpcError
from steppe.domain.models import Message
from steppe.store import Database, SqliteDatabase, Store
from steppe.store.chats import ChatStore
from steppe.store.db import IntegrityError
from steppe.store.messages import MessageStore
from steppe.store.search import SearchStore

NOW = 1_800_000_000


class Stores:
    def __init__(self, database: Database):
        self.database = database
        self.users = Store(database)
        self.chats = ChatStore(database)
        self.messages = MessageStore(database)


@pytest.fixture(params=["sqlite-file", "sqlite-memory", "postgres"])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stores]:
    database: Database
    if request.param == "postgres":
        from steppe.store.postgres import PostgresDatabase

        database = PostgresDatabase(request.getfixturevalue("postgres_url"))
    else:
        database = SqliteDatabase(tmp_path / "s.db" if request.param == "sqlite-file" else ":memory:")
    await database.open()
    yield Stores(database)
    await database.close()


def draft(chat_id: int, sender: int, text: str, now: int = NOW,
          entities: list[Entity] | None = None) -> Message:
    return Message(chat_id=chat_id, id=0, sender_id=sender, date=now, text=text,
                   entities=entities or [])


async def two_users(s: Stores) -> tuple[int, int]:
    a = await s.users.create_user("+77010000001", "KZ", "A", "", NOW)
    b = await s.users.create_user("+79160000002", "RU", "B", "", NOW)
    return a.id, b.id


async def test_a_taken_message_id_is_a_fault_not_a_duplicate_random_id(stores: Stores) -> None:
    """Only the (sender, random_id) rule means RANDOM_ID_DUPLICATE (a retried send, answered with
    the stored message); a message id already taken by a row written past the chat's counter is
    a fault of ours and stays one, with nothing of the send written."""
    a, b = await two_users(stores)
    chat, _ = await stores.chats.create_private(a, b, NOW)
    first = await stores.messages.send_as_member(draft(chat.id, a, "first"), 1)
    assert first is not None
    again = await stores.messages.send_as_member(draft(chat.id, a, "first, retried"), 1)
    assert again is not None and again[0].id == first[0].id and again[1] == []

    async def squat(db: Any) -> None:
        await db.execute("INSERT INTO messages (chat_id, id, sender_id, date) VALUES ($1, $2, $3,"
                         " $4)", chat.id, first[0].id + 1, a, NOW)

    await stores.database.write(squat)
    with pytest.raises(IntegrityError):
        await stores.messages.send_as_member(draft(chat.id, a, "second"), 2)
    found = await stores.chats.get_chat(chat.id)
    assert found is not None and found.pts == chat.pts + 1  # the failed send took no pts


async def test_users_unique_phone_and_username(stores: Stores) -> None:
    a, b = await two_users(stores)
    with pytest.raises(RpcError) as err:
        await stores.users.create_user("+77010000001", "KZ", "Dup", "", NOW)
    assert err.value.type == "PHONE_NUMBER_OCCUPIED"
    await stores.users.update_profile(a, {"username": "Alice_1"}, NOW)
    with pytest.raises(RpcError) as err:
        await stores.users.update_profile(b, {"username": "alice_1"}, NOW)
    assert err.value.type == "USERNAME_OCCUPIED"
    found = await stores.users.user_by_username("ALICE_1")
    assert found is not None and found.id == a and found.username == "Alice_1"
    account = await stores.users.get_account(b)
    assert account is not None and account.country == "RU"


async def test_concurrent_sends_share_a_commit_and_pts_is_gapless(stores: Stores) -> None:
    a, b = await two_users(stores)
    chat, _ = await stores.chats.create_private(a, b, NOW)
    commits_before = stores.database.commits
    results = await asyncio.gather(*(
        stores.messages.send(draft(chat.id, a if i % 2 else b, f"m{i}", NOW), i)
        for i in range(50)))
    if isinstance(stores.database, SqliteDatabase):
        assert stores.database.commits - commits_before == 1, "one group commit for 50 sends"
    ids = sorted(m.id for m, _ in results)
    assert ids == list(range(1, 51))
    events = await stores.chats.chat_events(chat.id, 0, 1000)
    pts = [msgspec.json.decode(e)["pts"] for e in events]
    assert pts == list(range(1, 51))


async def test_a_failing_write_does_not_undo_its_batch(stores: Stores) -> None:
    a, b = await two_users(stores)
    chat, _ = await stores.chats.create_private(a, b, NOW)
    ok1 = stores.messages.send(draft(chat.id, a, "one", NOW), 1)
    bad = stores.users.create_user("+77010000001", "KZ", "Dup", "", NOW)
    ok2 = stores.messages.send(draft(chat.id, a, "two", NOW), 2)
    results = await asyncio.gather(ok1, bad, ok2, return_exceptions=True)
    assert isinstance(results[1], RpcError)
    history = await stores.chats.history(chat.id, a, 0, False, 10)
    assert [m.text for m in history] == ["two", "one"]


async def test_a_failing_write_in_a_big_batch_leaves_every_other_write_once(stores: Stores
                                                                           ) -> None:
    """A batch commits without a savepoint a write while no write fails; when one does, the
    batch runs again one savepoint a write: the others land once each, in order, with no pts
    taken twice, and the batches after it too. A failing write alone gets its error."""
    a, b = await two_users(stores)
    chat, _ = await stores.chats.create_private(a, b, NOW)
    sends = [stores.messages.send(draft(chat.id, a, f"m{i}", NOW), 100 + i) for i in range(20)]
    bad = stores.users.create_user("+77010000001", "KZ", "Dup", "", NOW)  # taken by two_users
    more = [stores.messages.send(draft(chat.id, b, f"m{20 + i}", NOW), 200 + i)
            for i in range(20)]
    results = await asyncio.gather(*sends, bad, *more, return_exceptions=True)
    assert isinstance(results[20], RpcError) and results[20].type == "PHONE_NUMBER_OCCUPIED"
    sent = [r for r in results if not isinstance(r, BaseException)]
    assert sorted(m.id for m, _ in sent) == list(range(1, 41))
    later = await asyncio.gather(*(stores.messages.send(draft(chat.id, a, f"n{i}", NOW), 300 + i)
                                   for i in range(10)))
    assert sorted(m.id for m, _ in later) == list(range(41, 51))
    with pytest.raises(RpcError, match="PHONE_NUMBER_OCCUPIED"):
        await stores.users.create_user("+77010000001", "KZ", "Dup", "", NOW)
    (last, _), = await asyncio.gather(stores.messages.send(draft(chat.id, a, "last", NOW), 400))
    assert last.id == 51
    history = await stores.chats.history(chat.id, a, 0, False, 100)
    assert [m.id for m in history] == list(range(51, 0, -1))
    events = await stores.chats.chat_events(chat.id, 0, 1000)
    assert [msgspec.json.decode(e)["pts"] for e in events] == list(range(1, 52))


async def test_random_id_is_idempotent(stores: Stores) -> None:
    a, b = await two_users(stores)
    chat, _ = await stores.chats.create_private(a, b, NOW)
    first, out1 = await stores.messages.send(draft(chat.id, a, "hi", NOW), 77)
    again, out2 = await stores.messages.send(draft(chat.id, a, "hi", NOW), 77)
    assert first == again and len(out1) == 1 and out2 == []
    assert (await stores.chats.get_chat(chat.id)).pts == 1  # type: ignore[union-attr]


async def test_search_sees_what_was_sent_edited_and_deleted_before_indexing(stores: Stores
                                                                          ) -> None:
    a, b = await two_users(stores)
    chat, _ = await stores.chats.create_private(a, b, NOW)
    search = SearchStore(stores.database)
    sent = [(await stores.messages.send(draft(chat.id, a, f"yurt number {i}"), None))[0]
            for i in range(5)]
    await stores.messages.edit(chat.id, sent[1].id, "kobyz number 1", [], NOW)
    await stores.messages.delete(chat.id, [sent[2].id], NOW)
    if isinstance(stores.database, SqliteDatabase):  # new messages are indexed in batches
        assert [await search.index_pending(batch=2) for _ in range(4)] == [2, 2, 1, 0]
    found = await search.messages(a, ds.parse_query("yurt"), ds.Filters(), chat_id=None,
                                  before=None, limit=10)
    assert [m.id for m in found] == [sent[4].id, sent[3].id, sent[0].id]
    found = await search.messages(b, ds.parse_query("kobyz"), ds.Filters(), chat_id=chat.id,
                                  before=None, limit=10)
    assert [(m.id, m.text) for m in found] == [(sent[1].id, "kobyz number 1")]
    page = await search.messages(a, ds.parse_query("yurt"), ds.Filters(), chat_id=chat.id,
                                 before=(0, 0, sent[4].id), limit=1)
    assert [m.id for m in page] == [sent[3].id]
    more = [(await stores.messages.send(draft(chat.id, b, f"dombra {i}"), None))[0]
            for i in range(3)]
    found = await search.messages(a, ds.parse_query("dombra"), ds.Filters(), chat_id=None,
                                  before=None, limit=10)
    assert [m.id for m in found] == [m.id for m in reversed(more)]


async def test_history_pages_both_ways_and_hides_deleted(stores: Stores) -> None:
    a, b = await two_users(stores)
    chat, _ = await stores.chats.create_private(a, b, NOW)
    for i in range(1, 21):
        await stores.messages.send(draft(chat.id, a, f"m{i}", NOW, [Entity("bold", 0, 1)]), i)
    older = await stores.chats.history(chat.id, a, 11, False, 5)
    assert [m.id for m in older] == [10, 9, 8, 7, 6]
    newer = await stores.chats.history(chat.id, a, 10, True, 5)
    assert [m.id for m in newer] == [15, 14, 13, 12, 11]
    assert newer[0].entities == [Entity("bold", 0, 1)]
    await stores.messages.delete(chat.id, [12], NOW)
    await stores.messages.delete_for_me(b, chat.id, [13], NOW)
    assert 12 not in [m.id for m in await stores.chats.history(chat.id, a, 0, False, 50)]
    seen_by_b = [m.id for m in await stores.chats.history(chat.id, b, 0, False, 50)]
    assert 13 not in seen_by_b and 14 in seen_by_b
    assert 13 in [m.id for m in await stores.chats.history(chat.id, a, 0, False, 50)]


async def test_dialogs_order_unread_and_read_marks(stores: Stores) -> None:
    a, b = await two_users(stores)
    c = (await stores.users.create_user("+77010000003", "KZ", "C", "", NOW)).id
    ab, _ = await stores.chats.create_private(a, b, NOW)
    ac, _ = await stores.chats.create_private(a, c, NOW)
    await stores.messages.send(draft(ab.id, b, "from b", NOW + 1), 1)
    await stores.messages.send(draft(ac.id, c, "from c", NOW + 2), 2)
    await stores.messages.send(draft(ac.id, c, "from c again", NOW + 3), 3)
    dialogs = await stores.chats.dialogs(a, 2**62, 2**62, 10)
    assert [d.chat.id for d in dialogs] == [ac.id, ab.id]
    assert [d.unread_count for d in dialogs] == [2, 1]
    assert await stores.messages.read(ac.id, a, 1, NOW) != []
    assert await stores.messages.read(ac.id, a, 1, NOW) == [], "a read mark never moves back"
    dialog = await stores.chats.dialog(a, ac.id)
    assert dialog is not None and dialog.unread_count == 1
    theirs = await stores.chats.dialog(c, ac.id)
    assert theirs is not None and theirs.read_outbox_max_id == 1
    page2 = await stores.chats.dialogs(a, dialogs[0].chat.last_date, dialogs[0].chat.id, 10)
    assert [d.chat.id for d in page2] == [ab.id]


async def test_group_membership_events(stores: Stores) -> None:
    a, b = await two_users(stores)
    chat, out = await stores.chats.create_group(a, "Team", [b], NOW)
    kinds = [e.kind for e in out]
    assert kinds.count("user") == 2 and kinds.count("join") == 2 and kinds[-1] == "chat"
    assert chat.pts == 1 and chat.member_count == 2
    out = await stores.chats.remove_member(chat.id, a, b, NOW)
    assert [e.kind for e in out] == ["chat", "user", "leave"]
    assert await stores.chats.member_chats(b) == {}
    assert (await stores.chats.member_chats(a))[chat.id] == 2
    user_events = await stores.chats.user_events(b, 0, 10)
    assert [msgspec.json.decode(e)["type"] for e in user_events] == ["join_chat", "leave_chat"]


async def test_migrations_apply_once(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    for _ in range(2):
        database = SqliteDatabase(path)
        await database.open()
        await database.close()
    import sqlite3
    from importlib import resources

    versions = sqlite3.connect(path).execute("SELECT version FROM schema_version").fetchall()
    folder = resources.files("steppe.store.migrations").joinpath("sqlite")
    numbers = sorted(int(f.name.split("_", 1)[0]) for f in folder.iterdir() if f.name.endswith(".sql"))
    assert versions == [(n,) for n in numbers]  # every migration, each once


async def test_a_write_is_acknowledged_only_after_the_log_is_on_disk(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "d.db")
    await database.open()
    stores = Stores(database)
    try:
        a, b = await two_users(stores)
        syncer = database._syncer
        assert syncer is not None
        syncs = database.syncs
        with syncer.cond:  # the syncing thread cannot take work while this is held
            pending = asyncio.ensure_future(stores.chats.create_private(a, b, NOW))
            for _ in range(20):
                await asyncio.sleep(0.005)
            assert database.commits > 0 and not pending.done(), "committed, not yet flushed"
        chat, _ = await asyncio.wait_for(pending, 5)
        assert database.syncs > syncs
        # Committed writes are visible at once, and still there after a restart.
        sent, _ = await stores.messages.send(draft(chat.id, a, "kept"), 1)
    finally:
        await database.close()
    again = SqliteDatabase(tmp_path / "d.db", durable=False)
    await again.open()
    try:
        stored = await MessageStore(again).by_random_id(a, 1)
        assert stored is not None and (stored.id, stored.text) == (sent.id, "kept")
    finally:
        await again.close()


def test_the_fsync_setting_reaches_sqlite(tmp_path: Path) -> None:
    from steppe.app import open_database
    from steppe.services.core import Settings

    on = open_database(Settings(data_dir=str(tmp_path)))
    off = open_database(Settings(data_dir=str(tmp_path), fsync=False))
    assert isinstance(on, SqliteDatabase) and on.durable
    assert isinstance(off, SqliteDatabase) and not off.durable


async def test_the_write_ahead_log_stops_growing_under_a_steady_stream_of_commits(tmp_path: Path
                                                                                 ) -> None:
    # A round every 20 ms; the log starts over past 256 frames (1 MB of 4 KiB pages).
    database = SqliteDatabase(tmp_path / "w.db", checkpoint_interval=0.02, restart_frames=256)
    await database.open()
    stores = Stores(database)
    checkpointer = database._checkpointer
    assert checkpointer is not None
    try:
        a, b = await two_users(stores)
        chat, _ = await stores.chats.create_private(a, b, NOW)
        wal = tmp_path / "w.db-wal"
        sizes, sent = [], []
        for i in range(150):  # commits with no pause long enough for a passive round to finish
            got = await asyncio.gather(*(
                stores.messages.send(draft(chat.id, a, f"{i}-{k} " + "x" * 2000), i * 100 + k)
                for k in range(1, 51)))
            sent += [m.id for m, _ in got]
            sizes.append(wal.stat().st_size)
        # 7,500 messages of 2 KB wrote some 20 MB of log; started over again and again, the
        # file stays a few megabytes (without the restarts it grows to the full 20 MB).
        assert checkpointer.restarts > 0
        assert max(sizes) < 8 << 20, max(sizes)
        assert sent == list(range(1, 7501)), "every write went through, in order"
    finally:
        await database.close()
    again = SqliteDatabase(tmp_path / "w.db", durable=False)
    await again.open()
    try:
        last = await MessageStore(again).by_random_id(a, 149 * 100 + 50)
        assert last is not None and last.id == 7500
    finally:
        await again.close()
