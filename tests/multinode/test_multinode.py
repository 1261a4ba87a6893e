"""Three `steppe serve` processes on one PostgreSQL and one NATS behave as one messenger.

Each node is a real subprocess on its own port; login codes are read from its log, as an operator
would. Skipped, saying why, when PostgreSQL or NATS is not reachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
import websockets

from steppe.client import ApiError, Device, sign_in

NATS = os.environ.get("STEPPE_TEST_NATS", "nats://127.0.0.1:4222")
CODE = re.compile(r"login code for (\+\d+): (\d+)")
_phones = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nats_reachable() -> bool:
    host, _, port = NATS.split("://", 1)[1].split("?")[0].partition(":")
    try:
        with socket.create_connection((host, int(port or 4222)), 1):
            return True
    except OSError:
        return False


class Node:
    """One `steppe serve` subprocess; its log is read on a thread for login codes."""

    def __init__(self, index: int, data: Path, database: str, bus: str):
        self.index = index
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.codes: dict[str, str] = {}
        self.log: deque[str] = deque(maxlen=200)
        cmd = [sys.executable, "-m", "steppe.cli", "--data", str(data), "--database", database,
               "--rate-limit", "0", "serve", "--port", str(self.port), "--bus", bus]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.append(line.rstrip())
            found = CODE.search(line)
            if found:
                self.codes[found.group(1)] = found.group(2)

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise AssertionError(f"node {self.index} did not start:\n" + "\n".join(self.log))

    async def code(self, phone: str) -> str:
        for _ in range(400):
            if phone in self.codes:
                return self.codes.pop(phone)
            await asyncio.sleep(0.025)
        raise AssertionError(f"no login code for {phone} in node {self.index}'s log")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def nodes(postgres_url: str, tmp_path: Path) -> Iterator[list[Node]]:
    if not nats_reachable():
        pytest.skip(f"NATS is not reachable at {NATS}: start it to run the multi-node tests")
    bus = f"{NATS}?prefix=steppetest{secrets.token_hex(4)}."  # no cross-talk on a shared NATS
    started = [Node(i, tmp_path / "data", postgres_url, bus) for i in range(3)]  # files: shared
    try:
        deadline = time.monotonic() + 30
        for node in started:
            node.wait_ready(deadline)
        yield started
    finally:
        for node in started:
            node.stop()


class Phone(Device):
    """A device that keeps every event it applied and counts its trips to the difference."""

    def __init__(self, url: str, token: str, events: list[dict[str, Any]] | None = None,
                 **kw: Any):
        self.events: list[dict[str, Any]] = [] if events is None else events
        self.catch_ups = 0
        super().__init__(url, token, on_event=self.events.append, **kw)

    async def catch_up(self) -> None:
        self.catch_ups += 1
        await super().catch_up()

    def chat_pts(self, chat_id: int) -> list[int]:
        return [e["pts"] for e in self.events if e.get("chat_id") == chat_id and "pts" in e
                and e.get("type") != "join_chat"]

    def texts(self, chat_id: int) -> list[str]:
        return [e["message"].get("text", "") for e in self.events
                if e.get("type") == "new_message" and e["chat_id"] == chat_id]


async def account(node: Node, name: str) -> dict[str, Any]:
    phone = f"+7702{next(_phones):07d}"
    return await sign_in(node.url, phone, node.code, name)


async def phone(node: Node, token: str) -> Phone:
    dev = Phone(node.url, token)
    await dev.connect()
    return dev


async def eventually(cond: Any, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.01)


async def chat_log(database: str, chat_id: int) -> list[dict[str, Any]]:
    """The chat's whole event log, as the database keeps it."""
    conn = await asyncpg.connect(database)
    try:
        found = await conn.fetch("SELECT payload FROM chat_events WHERE chat_id = $1 ORDER BY pts",
                                 chat_id)
    finally:
        await conn.close()
    return [msgspec.json.decode(r[0]) for r in found]


async def test_devices_on_three_nodes_chat_privately_and_in_a_group(nodes: list[Node],
                                                                   postgres_url: str) -> None:
    n0, n1, n2 = nodes
    alice, bob, carol = await asyncio.gather(account(n0, "Alice"), account(n1, "Bob"),
                                             account(n2, "Carol"))
    a0, b1, c2 = await asyncio.gather(phone(n0, alice["token"]), phone(n1, bob["token"]),
                                      phone(n2, carol["token"]))
    a2 = await phone(n2, alice["token"])  # Alice's second device, on another node
    devices = [a0, a2, b1, c2]
    try:
        hello = await a0.call("messages.sendMessage", peer={"user_id": bob["user"]["id"]},
                              text="hi Bob", random_id=1)
        private = hello["chat_id"]
        await eventually(lambda: b1.texts(private) == ["hi Bob"] == a2.texts(private),
                         "Bob (node 1) and Alice's other device (node 2) got it")
        await b1.call("messages.sendMessage", peer={"user_id": alice["user"]["id"]},
                      text="hi Alice", random_id=2)
        for dev in (a0, a2, b1):
            await eventually(lambda d=dev: d.texts(private) == ["hi Bob", "hi Alice"],  # type: ignore[misc]
                             "both messages on every device of the private chat")

        group = (await a0.call("messages.createChat", title="Steppe",
                               user_ids=[bob["user"]["id"], carol["user"]["id"]]))["id"]
        said = []
        for dev, text in ((a0, "from node 0"), (b1, "from node 1"), (c2, "from node 2")):
            said.append(await dev.call("messages.sendMessage", peer={"chat_id": group}, text=text,
                                       random_id=10 + len(said)))
            await eventually(lambda t=text: all(t in d.texts(group) for d in devices),  # type: ignore[misc]
                             f"{text!r} reached every device")
        assert all(d.catch_ups == 0 for d in devices), "the bus delivered live, no gap to fill"
        # back to back from three nodes: events may arrive out of order, devices fill the gaps
        await c2.call("messages.editMessage", peer={"chat_id": group}, id=said[2]["id"],
                      text="edited on node 2")
        await b1.call("messages.deleteMessages", peer={"chat_id": group}, ids=[said[1]["id"]])
        await a2.call("messages.readHistory", peer={"chat_id": group}, max_id=said[2]["id"])

        full = await chat_log(postgres_url, group)
        want = [e["pts"] for e in full]
        assert want == list(range(1, len(full) + 1))
        assert [e["type"] for e in full][-3:] == ["edit_message", "delete_messages", "read_history"]
        for dev in devices:
            await eventually(lambda d=dev: d.chat_pts(group) == want,  # type: ignore[misc]
                             "every group event reached every device, in order")
        for dev in (a0, a2, b1):
            assert dev.chat_pts(private) == [1, 2]

        # A broadcast channel made on node 1; its posts reach subscribers on every node.
        channel = (await b1.call("channels.createChannel", title="News", broadcast=True))["id"]
        await b1.call("channels.inviteToChannel", peer={"chat_id": channel},
                      user_ids=[alice["user"]["id"], carol["user"]["id"]])
        for i in range(3):
            await b1.call("messages.sendMessage", peer={"chat_id": channel}, text=f"post {i}",
                          random_id=100 + i)
        posts = [f"post {i}" for i in range(3)]
        for dev in devices:
            await eventually(lambda d=dev: [t for t in d.texts(channel) if t] == posts,  # type: ignore[misc]
                             "every channel post reached every device")
    finally:
        for dev in devices:
            await dev.close()


async def test_concurrent_senders_on_three_nodes_keep_pts_gapless_and_unique(
        nodes: list[Node], postgres_url: str) -> None:
    people = await asyncio.gather(*(account(n, f"P{n.index}") for n in nodes))
    listeners = [await phone(n, p["token"]) for n, p in zip(nodes, people, strict=True)]
    senders = [await phone(n, p["token"]) for n, p in zip(nodes, people, strict=True)]
    try:
        group = (await senders[0].call("messages.createChat", title="Race", user_ids=[
            p["user"]["id"] for p in people[1:]]))["id"]
        per_sender = 40

        async def burst(dev: Phone, who: int) -> list[int]:
            calls = [dev.call("messages.sendMessage", peer={"chat_id": group},
                              text=f"{who}:{i}", random_id=who * 1000 + i) for i in range(per_sender)]
            return [m["id"] for m in await asyncio.gather(*calls)]

        acked = [i for ids in await asyncio.gather(*(burst(d, w) for w, d in enumerate(senders)))
                 for i in ids]
        assert len(set(acked)) == len(acked) == 3 * per_sender, "every message its own id"
        assert sorted(acked) == list(range(2, 2 + 3 * per_sender)), "ids are gapless"
        full = await chat_log(postgres_url, group)
        assert [e["pts"] for e in full] == list(range(1, len(full) + 1)), "pts gapless, unique"
        for dev in listeners:
            await eventually(lambda d=dev: d.chat_pts(group) == [e["pts"] for e in full],  # type: ignore[misc]
                             "every listener applied every event once, in order")
            assert sorted(d["message"]["id"] for d in dev.events
                          if d.get("type") == "new_message" and d["chat_id"] == group
                          ) == list(range(1, 2 + 3 * per_sender))
    finally:
        for dev in listeners + senders:
            await dev.close()


async def test_a_member_removed_through_one_node_cannot_send_through_another(
        nodes: list[Node], postgres_url: str) -> None:
    """A node answers a send from what the database holds at the commit, never from what it
    saw before or heard over the bus: the removal made on node 0 holds on node 1 at once."""
    n0, n1, _ = nodes
    alice, bob = await asyncio.gather(account(n0, "Alice"), account(n1, "Bob"))
    a0, b1 = await phone(n0, alice["token"]), await phone(n1, bob["token"])
    try:
        group = (await a0.call("messages.createChat", title="Door",
                               user_ids=[bob["user"]["id"]]))["id"]
        peer = {"chat_id": group}
        for round_ in range(5):
            for i in range(3):  # node 1 has seen the chat and Bob in it
                await b1.call("messages.sendMessage", peer=peer, text=f"in {round_}.{i}")
            await a0.call("messages.deleteChatUser", peer=peer, user_id=bob["user"]["id"])
            with pytest.raises(ApiError) as refused:
                await b1.call("messages.sendMessage", peer=peer, text=f"out {round_}")
            assert refused.value.type == "PEER_ID_INVALID"
            await a0.call("messages.addChatUser", peer=peer, user_ids=[bob["user"]["id"]])
        texts = [e["message"].get("text") for e in await chat_log(postgres_url, group)
                 if e["type"] == "new_message"]
        assert not [t for t in texts if t and t.startswith("out")]
        assert len([t for t in texts if t and t.startswith("in")]) == 15
    finally:
        await a0.close()
        await b1.close()


async def test_a_killed_node_loses_no_acknowledged_message(nodes: list[Node],
                                                          postgres_url: str) -> None:
    n0, n1, n2 = nodes
    alice, bob, dave = await asyncio.gather(account(n0, "Alice"), account(n1, "Bob"),
                                            account(n2, "Dave"))
    watch = {"alice": await phone(n0, alice["token"]), "bob": await phone(n1, bob["token"]),
             "dave": await phone(n2, dave["token"])}
    send = {"alice": await phone(n0, alice["token"]), "bob": await phone(n1, bob["token"]),
            "dave": await phone(n2, dave["token"])}
    group = (await send["alice"].call("messages.createChat", title="Outage", user_ids=[
        bob["user"]["id"], dave["user"]["id"]]))["id"]
    acked: dict[str, int] = {}  # text -> message id, only for acknowledged sends
    rounds, killed = 30, asyncio.Event()

    async def failover(name: str) -> Phone:
        """The node went away: a new device on a surviving node, where the old one left off."""
        old = send[name]
        await old.close()
        fresh = Phone(n0.url, old.token)
        fresh.seq, fresh.pts = old.seq, dict(old.pts)
        await fresh.connect()
        send[name] = fresh
        return fresh

    async def traffic(name: str) -> None:
        for i in range(rounds):
            text = f"{name}:{i}"
            while True:
                try:
                    msg = await send[name].call("messages.sendMessage", peer={"chat_id": group},
                                                text=text, random_id=i + 1)
                    break
                except (ConnectionError, websockets.ConnectionClosed):  # same random_id, elsewhere
                    await killed.wait()
                    if send[name].url != ws_of(n0):
                        await failover(name)
            acked[text] = msg["id"]
            await asyncio.sleep(0.01)

    async def killer() -> None:
        await eventually(lambda: len(acked) >= rounds, "traffic is flowing")
        n2.kill()
        killed.set()

    def ws_of(node: Node) -> str:
        return node.url.replace("http://", "ws://") + "/api/ws"

    try:
        await asyncio.wait_for(asyncio.gather(*(traffic(n) for n in send), killer()), 60)
        await eventually(lambda: not watch["dave"].connected.is_set(), "Dave's watcher noticed")
        old = watch["dave"]
        moved = Phone(n1.url, dave["token"], events=old.events)
        moved.seq, moved.pts = old.seq, dict(old.pts)
        await moved.connect()
        watch["dave"] = moved

        assert len(acked) == 3 * rounds
        assert send["dave"].url == ws_of(n0) and n2.proc.poll() is not None, "Dave moved to node 0"
        history: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = (await watch["bob"].call("messages.getHistory", peer={"chat_id": group},
                                            offset_id=offset, limit=100))["messages"]
            if not page:
                break
            history += page
            offset = page[-1]["id"]
        stored = {m["text"]: m["id"] for m in history if m.get("text")}
        assert stored == acked, "every acknowledged message is stored once, with the acked id"
        full = await chat_log(postgres_url, group)
        pts = [e["pts"] for e in full]
        assert pts == list(range(1, len(full) + 1))
        for name, dev in watch.items():
            await eventually(lambda d=dev: d.chat_pts(group) == pts,  # type: ignore[misc]
                             f"{name}'s device recovered every event")
            assert set(acked) <= set(dev.texts(group))
    finally:
        for dev in list(watch.values()) + list(send.values()):
            await dev.close()


async def test_a_file_uploaded_through_two_nodes_downloads_from_the_third(nodes: list[Node]) -> None:
    n0, n1, n2 = nodes
    me = await account(n0, "Uploader")
    auth = {"authorization": f"Bearer {me['token']}"}
    data = os.urandom(600 * 1024)  # two parts of 512 KiB at most
    async with httpx.AsyncClient(timeout=10) as http:
        async def call(node: Node, method: str, **params: Any) -> Any:
            resp = await http.post(f"{node.url}/api/{method}", json=params, headers=auth)
            return resp.json()["result"]

        up = await call(n0, "upload.start", size=len(data), name="a.bin")
        step = up["part_size"]
        for part, node in ((1, n1), (0, n2)):
            resp = await http.post(f"{node.url}/api/upload/{up['upload_id']}/{part}",
                                   content=data[part * step:(part + 1) * step], headers=auth)
            assert resp.json() == {"result": True}
        done = await call(n1, "upload.finish", upload_id=up["upload_id"],
                          sha256=hashlib.sha256(data).hexdigest())
        got = await http.get(f"{n2.url}/api/file/{done['file_id']}", headers=auth)
        assert got.status_code == 200 and got.content == data


class Father:
    """BotFather, asked through a user's device on one node."""

    def __init__(self, dev: Phone, father_id: int):
        self.dev, self.id = dev, father_id

    @classmethod
    async def of(cls, node: Node, name: str) -> Father:
        owner = await account(node, name)
        dev = await phone(node, owner["token"])
        father = await dev.call("contacts.resolveUsername", username="BotFather")
        return cls(dev, father["id"])

    def replies(self) -> list[dict[str, Any]]:
        return [e["message"] for e in self.dev.events if e.get("type") == "new_message"
                and e["message"]["sender_id"] == self.id]

    async def ask(self, text: str) -> dict[str, Any]:
        before = len(self.replies())
        await self.dev.call("messages.sendMessage", peer={"user_id": self.id}, text=text)
        await eventually(lambda: len(self.replies()) > before, f"BotFather's answer to {text!r}")
        return self.replies()[-1]

    async def new_bot(self, name: str, username: str) -> str:
        await self.ask("/newbot")
        await self.ask(name)
        done = await self.ask(username)
        code = next(e for e in done["entities"] if e["type"] == "code")
        return str(done["text"][code["offset"]:code["offset"] + code["length"]])


async def test_a_bot_changed_through_one_node_is_seen_changed_by_the_others(nodes: list[Node]
                                                                           ) -> None:
    """Nodes keep a bot's checked token for a moment; a change through one node (BotFather's
    /setprivacy, /revoke) reaches the others over the bus at once, not after that moment."""
    father = await Father.of(nodes[0], "Owner")
    ask, dev = father.ask, father.dev
    token = await father.new_bot("Relay", "relay_nodes_bot")

    async def get_me(node: Node, tok: str) -> tuple[int, dict[str, Any]]:
        async with httpx.AsyncClient(timeout=10) as http:
            resp = await http.get(f"{node.url}/bot{tok}/getMe")
        return resp.status_code, resp.json()

    async def everyone_checks(privacy_off: bool) -> None:
        """Every node checks the token now, and keeps it for a moment (under a second)."""
        for node in nodes:
            status, body = await get_me(node, token)
            assert status == 200, node.index
            assert body["result"]["can_read_all_group_messages"] == privacy_off, node.index

    await ask("/setprivacy")
    await ask("@relay_nodes_bot")
    await everyone_checks(privacy_off=False)
    await ask("Disable")  # through node 0: nodes 1 and 2 hear of it on the bus
    for node in nodes[1:]:
        status, body = await get_me(node, token)
        assert status == 200 and body["result"]["can_read_all_group_messages"], node.index

    await ask("/revoke")
    await everyone_checks(privacy_off=True)
    await ask("@relay_nodes_bot")  # the revoke itself
    for node in nodes[1:]:
        assert (await get_me(node, token))[0] == 401, node.index
    await dev.close()


async def test_a_bot_gets_each_message_of_its_private_chat_once_whichever_node_writes_it(
        nodes: list[Node], postgres_url: str) -> None:
    """A user's message to a bot's private chat queues the bot's update in its own write when the
    bot's cursor allows, and every node's feed may take the same step from the bus: the cursor
    moves only from where it stands (compare-and-set), so the bot gets each message once, in
    order, and none of its own answers, with the user on one node, the bot answering through
    all three and polling through a third."""
    father = await Father.of(nodes[0], "Owner")
    token = await father.new_bot("Echo", "echo_nodes_bot")
    bot_id = int(token.split(":")[0])
    alice = await account(nodes[1], "Alice")
    dev = await phone(nodes[1], alice["token"])
    got: list[str] = []
    offset = 0

    async def bot(node: Node, method: str, **params: Any) -> Any:
        async with httpx.AsyncClient(timeout=30) as http:
            resp = await http.post(f"{node.url}/bot{token}/{method}", json=params)
        assert resp.status_code == 200, resp.text
        return resp.json()["result"]

    async def poll_until(text: str) -> None:
        nonlocal offset
        deadline = time.monotonic() + 10
        while text not in got:
            assert time.monotonic() < deadline, f"the bot never got {text!r}: {got}"
            for u in await bot(nodes[2], "getUpdates", offset=offset, timeout=1):
                offset = u["update_id"] + 1
                got.append(u["message"]["text"])

    first = await dev.call("messages.sendMessage", peer={"user_id": bot_id}, text="/start")
    await poll_until("/start")
    for i in range(12):
        await dev.call("messages.sendMessage", peer={"user_id": bot_id}, text=f"m{i}")
        await poll_until(f"m{i}")
        await bot(nodes[i % 3], "sendMessage", chat_id=alice["user"]["id"], text=f"r{i}")
    await dev.call("messages.sendMessage", peer={"user_id": bot_id}, text="last")
    await poll_until("last")
    # A late step of any node's feed would queue a copy: a long poll through another node
    # returns at the first update it sees, or after a second of none.
    for u in await bot(nodes[0], "getUpdates", offset=offset, timeout=1):
        got.append(u["message"]["text"])
    assert got == ["/start", *[f"m{i}" for i in range(12)], "last"]
    conn = await asyncpg.connect(postgres_url)
    try:
        pts = await conn.fetchval("SELECT pts FROM chats WHERE id = $1", first["chat_id"])
        cursor = await conn.fetchval("SELECT pts FROM bot_cursors WHERE bot_id = $1 AND"
                                     " chat_id = $2", bot_id, first["chat_id"])
    finally:
        await conn.close()
    assert cursor == pts
    await dev.close()
    await father.dev.close()
