"""PostgreSQL beyond the shared contract: what only several nodes on one database can break.

Each "node" here is its own `PostgresDatabase` (its own pool) on one fresh database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from importlib import resources
from typing import Any

import msgspec
import pytest

from steppe.domain.errors import RpcError
from steppe.domain.models import Message
from steppe.store import Store
from steppe.store.bots import BotStore
from steppe.store.chats import ChatStore
from steppe.store.db import IntegrityError
from steppe.store.messages import MessageStore
from steppe.store.postgres import PostgresDatabase, split_url

NOW = 1_800_000_000


class Node:
    def __init__(self, database: PostgresDatabase):
        self.database = database
        self.users = Store(database)
        self.chats = ChatStore(database)
        self.messages = MessageStore(database)


@pytest.fixture
async def nodes(postgres_url: str) -> AsyncIterator[Callable[[int], asyncio.Future[list[Node]]]]:
    opened: list[PostgresDatabase] = []

    async def make(n: int) -> list[Node]:
        dbs = [PostgresDatabase(postgres_url, pool_min=1, pool_max=8) for _ in range(n)]
        await asyncio.gather(*(d.open() for d in dbs))  # nodes starting together migrate once
        opened.extend(dbs)
        return [Node(d) for d in dbs]

    yield make  # type: ignore[misc]
    for d in opened:
        await d.close()


def test_migrations_mirror_the_sqlite_ones() -> None:
    root = resources.files("steppe.store.migrations")
    names = {kind: sorted(f.name for f in root.joinpath(kind).iterdir() if f.name.endswith(".sql"))
             for kind in ("sqlite", "postgres")}
    assert names["sqlite"] == names["postgres"], "every schema change needs both dialects"


def test_url_options_are_ours_the_rest_is_asyncpg_s() -> None:
    dsn, pool = split_url("postgres://u@h:5/db?pool_max=40&sslmode=disable&pool_min=4")
    assert dsn == "postgresql://u@h:5/db?sslmode=disable"
    assert pool == {"pool_max": 40, "pool_min": 4}


async def test_nodes_starting_together_migrate_once(nodes) -> None:  # type: ignore[no-untyped-def]
    three = await nodes(3)

    async def versions(db) -> list[int]:  # type: ignore[no-untyped-def]
        return [r[0] for r in await db.fetch("SELECT version FROM schema_version ORDER BY version")]

    found = await three[0].database.read(versions)
    expected = len(list(resources.files("steppe.store.migrations").joinpath("postgres").iterdir()))
    assert found == list(range(1, expected + 1))


async def test_pts_is_gapless_and_unique_with_writers_on_several_nodes(nodes) -> None:  # type: ignore[no-untyped-def]
    n1, n2, n3 = await nodes(3)
    a = (await n1.users.create_user("+77010000001", "KZ", "A", "", NOW)).id
    b = (await n1.users.create_user("+77010000002", "KZ", "B", "", NOW)).id
    chat, _ = await n1.chats.create_group(a, "Team", [b], NOW)

    def send(node: Node, sender: int, rid: int) -> asyncio.Future[tuple[Message, object]]:
        draft = Message(chat_id=chat.id, id=0, sender_id=sender, date=NOW, text=f"m{rid}")
        return node.messages.send(draft, rid)  # type: ignore[return-value]

    sends = [send((n1, n2, n3)[i % 3], (a, b)[i % 2], 1000 + i) for i in range(150)]
    reads = [n.messages.read(chat.id, b, 5 + i, NOW) for i, n in enumerate((n2, n3) * 10)]
    results = await asyncio.gather(*sends, *reads)
    ids = sorted(m.id for m, _ in results[:150])  # type: ignore[misc]
    assert ids == list(range(2, 152)), "message ids are unique and gapless (1 is the creation)"
    events = await n2.chats.chat_events(chat.id, 0, 10_000)
    pts = [msgspec.json.decode(e)["pts"] for e in events]
    final = await n3.chats.get_chat(chat.id)
    assert final is not None and pts == list(range(1, final.pts + 1))


async def test_a_rolled_back_write_gives_its_pts_back(nodes) -> None:  # type: ignore[no-untyped-def]
    n1, n2 = await nodes(2)
    a = (await n1.users.create_user("+77010000001", "KZ", "A", "", NOW)).id
    b = (await n1.users.create_user("+77010000002", "KZ", "B", "", NOW)).id
    chat, _ = await n1.chats.create_private(a, b, NOW)
    draft = Message(chat_id=chat.id, id=0, sender_id=a, date=NOW, text="once")
    outcomes = await asyncio.gather(*(n.messages.send(draft, 7) for n in (n1, n2, n1, n2)),
                                    return_exceptions=True)
    stored = {m.id for m, _ in [o for o in outcomes if not isinstance(o, BaseException)]}
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    assert stored == {1}
    assert all(isinstance(f, RpcError) and f.type == "RANDOM_ID_DUPLICATE" for f in failed)
    after, _ = await n2.messages.send(Message(chat_id=chat.id, id=0, sender_id=b, date=NOW,
                                              text="next"), 8)
    assert after.id == 2
    assert [msgspec.json.decode(e)["pts"] for e in await n1.chats.chat_events(chat.id, 0, 9)] == [1, 2]


async def test_two_nodes_open_the_same_private_chat_at_once(nodes) -> None:  # type: ignore[no-untyped-def]
    n1, n2 = await nodes(2)
    a = (await n1.users.create_user("+77010000001", "KZ", "A", "", NOW)).id
    b = (await n1.users.create_user("+77010000002", "KZ", "B", "", NOW)).id
    (c1, out1), (c2, out2) = await asyncio.gather(n1.chats.create_private(a, b, NOW),
                                                  n2.chats.create_private(b, a, NOW))
    assert c1.id == c2.id
    assert sorted([len(out1), len(out2)]) == [0, 4], "one of them created it, with its events"


async def test_duplicate_names_say_which(nodes) -> None:  # type: ignore[no-untyped-def]
    (n1,) = await nodes(1)
    a = (await n1.users.create_user("+77010000001", "KZ", "A", "", NOW)).id
    b = (await n1.users.create_user("+77010000002", "KZ", "B", "", NOW)).id
    await n1.users.update_profile(a, {"username": "phone_fan"}, NOW)
    with pytest.raises(RpcError) as err:
        await n1.users.update_profile(b, {"username": "Phone_Fan"}, NOW)
    assert err.value.type == "USERNAME_OCCUPIED"
    with pytest.raises(RpcError) as err:
        await n1.users.create_user("+77010000002", "KZ", "C", "", NOW, username="phonebook")
    assert err.value.type == "PHONE_NUMBER_OCCUPIED"
    assert [u.username for u in await n1.users.search_users("pho", 10)] == ["phone_fan"]
    # An id already taken (a row written past the sequence) is no user's mistake: it is not
    # called a taken phone or username.
    async def squat(db: Any) -> None:
        await db.execute("INSERT INTO users (id, phone, country, first_name, last_name, created,"
                         " last_seen) VALUES (nextval('users_id_seq') + 1, NULL, '', 'X', '',"
                         " $1, $1)", NOW)

    await n1.database.write(squat)
    with pytest.raises(IntegrityError):
        await n1.users.create_user("+77010000003", "KZ", "D", "", NOW, username="fresh_name")
    # The same for a bot's account: only its username's rule is the owner's USERNAME_OCCUPIED.
    bots = BotStore(n1.database)
    await bots.create_bot(0, "first_bot", "First", "hash", NOW)
    with pytest.raises(RpcError) as err:
        await bots.create_bot(0, "First_Bot", "Again", "hash", NOW)
    assert err.value.type == "USERNAME_OCCUPIED"
    await n1.database.write(squat)
    with pytest.raises(IntegrityError):
        await bots.create_bot(0, "fresh_bot", "Fresh", "hash", NOW)


async def _probe(node: Node, *rows: int) -> None:
    async def op(db):  # type: ignore[no-untyped-def]
        await db.execute("CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, n INTEGER)")
        for row in rows:
            await db.execute("INSERT INTO probe VALUES ($1, 0) ON CONFLICT DO NOTHING", row)

    await node.database.write(op)


async def _probe_rows(node: Node) -> dict[int, int]:
    async def op(db):  # type: ignore[no-untyped-def]
        return {r["id"]: r["n"] for r in await db.fetch("SELECT id, n FROM probe")}

    return await node.database.read(op)  # type: ignore[no-any-return]


async def test_writes_queued_together_commit_together_and_a_failure_rolls_back_alone(nodes
                                                                                   ) -> None:  # type: ignore[no-untyped-def]
    (n1,) = await nodes(1)
    await _probe(n1)

    def insert(row: int, then_fail: bool = False):  # type: ignore[no-untyped-def]
        async def op(db):  # type: ignore[no-untyped-def]
            await db.execute("INSERT INTO probe VALUES ($1, 0)", row)
            if then_fail:
                raise RpcError(400, "NOPE", "changed its mind after writing")
            return row

        return op

    commits = n1.database.commits
    # Queued in one turn of the loop: one transaction, each in its own savepoint.
    outcomes = await asyncio.gather(
        *(n1.database.write(op) for op in (insert(1), insert(2), insert(1), insert(3, True),
                                           insert(4))), return_exceptions=True)
    assert outcomes[0] == 1 and outcomes[1] == 2 and outcomes[4] == 4
    assert type(outcomes[2]).__name__ == "IntegrityError" and "probe_pkey" in str(outcomes[2])
    assert isinstance(outcomes[3], RpcError) and outcomes[3].type == "NOPE"
    assert n1.database.commits == commits + 1, "the five writes were one transaction"
    assert sorted(await _probe_rows(n1)) == [1, 2, 4], "the failed writes left nothing"


async def test_batches_locking_rows_in_opposite_orders_split_instead_of_deadlocking(nodes
                                                                                   ) -> None:  # type: ignore[no-untyped-def]
    n1, n2 = await nodes(2)
    await _probe(n1, 1, 2)
    both_hold = asyncio.Barrier(2)

    def bump(row: int, wait: bool):  # type: ignore[no-untyped-def]
        first_run = [wait]

        async def op(db):  # type: ignore[no-untyped-def]
            await db.execute("UPDATE probe SET n = n + 1 WHERE id = $1", row)
            if first_run[0]:  # the first run only: both batches now hold their first row
                first_run[0] = False
                await asyncio.wait_for(both_hold.wait(), 5)
            return row

        return op

    # Node 1's batch takes row 1 then row 2; node 2's takes row 2 then row 1.
    first = [n1.database.write(bump(1, True)), n1.database.write(bump(2, False)),
             n2.database.write(bump(2, True)), n2.database.write(bump(1, False))]
    assert await asyncio.gather(*first) == [1, 2, 2, 1]
    assert n1.database.splits + n2.database.splits >= 1, "a batch gave up and split"
    assert await _probe_rows(n1) == {1: 2, 2: 2}, "every bump counted once"


async def test_a_connection_handed_back_carries_nothing_to_the_next_operation(nodes
                                                                              ) -> None:  # type: ignore[no-untyped-def]
    """The pool hands connections back without asyncpg's reset query: what an operation leaves
    must not reach the next one. A batch's lock_timeout is SET LOCAL (gone with its commit), and
    a failed write's transaction is rolled back, so the next operation on the same connection
    (the pool has one) starts clean."""
    (node,) = await nodes(1)
    db = PostgresDatabase(node.database.dsn, pool_min=1, pool_max=1)
    await db.open()
    try:
        async def one(d):  # type: ignore[no-untyped-def]
            return await d.fetchval("SELECT 1")

        async def failing(d):  # type: ignore[no-untyped-def]
            await d.execute("CREATE TEMPORARY TABLE IF NOT EXISTS scratch (x int) ON COMMIT DROP")
            raise RuntimeError("this write fails")

        assert await asyncio.gather(db.write(one), db.write(one)) == [1, 1]  # one batch
        with pytest.raises(RuntimeError):
            await db.write(failing)

        async def state(d):  # type: ignore[no-untyped-def]
            return (await d.fetchval("SHOW lock_timeout"),
                    await d.fetchval("SELECT count(*) FROM pg_class WHERE relname = 'scratch'"
                                     " AND relpersistence = 't'"))

        lock_timeout, scratch = await db.read(state)
        assert lock_timeout == "0"  # the server default, not the batch's 200ms
        assert scratch == 0  # the failed write's transaction, and its table, are gone
    finally:
        await db.close()
