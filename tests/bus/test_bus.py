"""The bus contract, run against every backend: memory, NATS and Redis.

A networked backend is skipped, saying why, when its server is not reachable on this machine
(STEPPE_TEST_NATS / STEPPE_TEST_REDIS pick other addresses)."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

import pytest

from steppe.bus import Bus, MemoryBus, make_bus
from steppe.bus.nats import NatsBus
from steppe.bus.redis import RedisBus

URLS = {
    "nats": os.environ.get("STEPPE_TEST_NATS", "nats://127.0.0.1:4222"),
    "redis": os.environ.get("STEPPE_TEST_REDIS", "redis://127.0.0.1:6379/0"),
}
NAMES = {"nats": "NATS", "redis": "Redis"}


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 1):
            return True
    except OSError:
        return False


Cluster = Callable[[], Bus]


@pytest.fixture(params=["memory", "nats", "redis"])
async def cluster(request: pytest.FixtureRequest) -> AsyncIterator[Cluster]:
    """A factory of bus instances that talk to each other (one per 'node')."""
    kind = request.param
    made: list[Bus] = []
    if kind == "memory":
        shared = MemoryBus()

        def new() -> Bus:
            made.append(shared)
            return shared
    else:
        url = URLS[kind]
        if not reachable(url):
            pytest.skip(f"{NAMES[kind]} is not reachable at {url}: start it to run its bus tests")
        prefix = f"test{secrets.token_hex(4)}."  # no cross-talk with anything else on the server
        cls = NatsBus if kind == "nats" else RedisBus

        def new() -> Bus:
            bus = cls(url, prefix=prefix)
            made.append(bus)
            return bus

    yield new
    for bus in made:
        await bus.close()


class Inbox:
    def __init__(self) -> None:
        self.got: list[tuple[str, bytes]] = []

    def __call__(self, topic: str, data: bytes) -> None:
        self.got.append((topic, data))

    def on(self, topic: str) -> list[bytes]:
        return [d for t, d in self.got if t == topic]

    async def wait(self, n: int, timeout: float = 5.0) -> None:
        async def poll() -> None:
            while len(self.got) < n:
                await asyncio.sleep(0.005)
        await asyncio.wait_for(poll(), timeout)


async def started(cluster: Cluster, n: int) -> list[tuple[Bus, Inbox]]:
    out = []
    for _ in range(n):
        bus, inbox = cluster(), Inbox()
        bus.subscribe(inbox)
        await bus.start()
        out.append((bus, inbox))
    return out


async def test_every_subscriber_gets_every_message_in_order(cluster: Cluster) -> None:
    (a, in_a), (b, in_b) = await started(cluster, 2)
    topics = ["c.1", "u.42", "j.7"]
    sent = {t: [f"{t}:{i}".encode() for i in range(300)] for t in topics}
    for i in range(300):
        for t in topics:
            a.publish(t, sent[t][i])
    for inbox in (in_a, in_b):
        await inbox.wait(900)
        for t in topics:
            assert inbox.on(t) == sent[t], f"order on {t}"
    await asyncio.sleep(0.05)
    assert len(in_a.got) == len(in_b.got) == 900, "each message exactly once, no echoes"


async def test_both_nodes_publish_and_both_hear_everything(cluster: Cluster) -> None:
    (a, in_a), (b, in_b) = await started(cluster, 2)
    for i in range(100):
        a.publish("c.1", b"a%d" % i)
        b.publish("c.2", b"b%d" % i)
    for inbox in (in_a, in_b):
        await inbox.wait(200)
        assert inbox.on("c.1") == [b"a%d" % i for i in range(100)]
        assert inbox.on("c.2") == [b"b%d" % i for i in range(100)]
    await asyncio.sleep(0.05)
    assert len(in_a.got) == len(in_b.got) == 200


async def test_bytes_round_trip(cluster: Cluster) -> None:
    (a, _), (_, in_b) = await started(cluster, 2)
    payloads = [b"", b"\x00\xff\xfe binary", "ünïcödé 🐎".encode(), os.urandom(64 * 1024)]
    for p in payloads:
        a.publish("e.5", p)
    await in_b.wait(len(payloads))
    assert in_b.on("e.5") == payloads


async def test_a_failing_handler_does_not_stop_the_others(cluster: Cluster) -> None:
    (a, in_a), (_, in_b) = await started(cluster, 2)

    def broken(topic: str, data: bytes) -> None:
        raise RuntimeError("boom")

    a.subscribe(broken)
    a.publish("c.9", b"x")
    a.publish("c.9", b"y")
    await in_a.wait(2)
    await in_b.wait(2)
    assert in_b.on("c.9") == [b"x", b"y"]


async def test_close_sends_what_was_queued_and_is_clean(cluster: Cluster) -> None:
    (a, _), (_, in_b) = await started(cluster, 2)
    for i in range(200):
        a.publish("c.3", b"%d" % i)
    await a.close()
    await a.close()  # twice is harmless
    await in_b.wait(200)
    assert in_b.on("c.3") == [b"%d" % i for i in range(200)]


async def test_published_before_start_is_delivered(cluster: Cluster) -> None:
    (_, in_b), = await started(cluster, 1)
    a = cluster()
    a.publish("u.1", b"early")
    await a.start()
    await in_b.wait(1)
    assert in_b.on("u.1") == [b"early"]


def test_make_bus_picks_the_backend() -> None:
    assert isinstance(make_bus("memory"), MemoryBus)
    assert isinstance(make_bus("nats://127.0.0.1:4222"), NatsBus)
    assert isinstance(make_bus("redis://127.0.0.1:6379/0"), RedisBus)
    with pytest.raises(ValueError):
        make_bus("kafka://x")


@pytest.mark.parametrize("kind", ["nats", "redis"])
async def test_prefixes_keep_deployments_apart(kind: str) -> None:
    url = URLS[kind]
    if not reachable(url):
        pytest.skip(f"{NAMES[kind]} is not reachable at {url}")
    tag = secrets.token_hex(4)
    ours, theirs = make_bus(f"{url}?prefix=a{tag}."), make_bus(f"{url}?prefix=b{tag}.")
    mine, other = make_bus(f"{url}?prefix=a{tag}"), Inbox()  # the trailing dot is implied
    got = Inbox()
    mine.subscribe(got)
    theirs.subscribe(other)
    for bus in (ours, theirs, mine):
        await bus.start()
    try:
        ours.publish("c.1", b"ours")
        await got.wait(1)
        await asyncio.sleep(0.1)
        assert got.got == [("c.1", b"ours")] and other.got == []
    finally:
        for bus in (ours, theirs, mine):
            await bus.close()


def test_a_bad_prefix_is_refused() -> None:
    with pytest.raises(ValueError):
        make_bus("nats://127.0.0.1:4222?prefix=a*b.")


@pytest.mark.parametrize("kind", ["nats", "redis"])
async def test_an_unreachable_server_fails_the_start(kind: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bus = make_bus(f"{kind}://127.0.0.1:{port}")
    with pytest.raises(Exception):  # noqa: B017 - each client library has its own error
        await bus.start()
    await bus.close()


async def test_redis_subscriber_comes_back_after_its_connection_is_killed() -> None:
    url = URLS["redis"]
    if not reachable(url):
        pytest.skip(f"Redis is not reachable at {url}")
    import redis.asyncio as aioredis

    prefix = f"test{secrets.token_hex(4)}."
    a, b, got = RedisBus(url, prefix=prefix), RedisBus(url, prefix=prefix), Inbox()
    b.subscribe(got)
    await a.start()
    await b.start()
    admin = aioredis.Redis.from_url(url)
    try:
        clients = await admin.client_list(_type="pubsub")
        victim = [c["id"] for c in clients if c.get("name") == f"steppe-{b.node.hex()}"]
        assert victim, "b's subscriber connection is listed"
        await admin.execute_command("CLIENT", "KILL", "ID", victim[0])
        for i in range(200):  # until b has resubscribed, some of these are lost: a wake-up only
            a.publish("c.1", b"%d" % i)
            await asyncio.sleep(0.01)
            if got.got:
                break
        assert got.got, "b hears a again after reconnecting"
    finally:
        await admin.aclose()
        await a.close()
        await b.close()
