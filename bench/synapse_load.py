"""Load-generator processes for the Matrix (Synapse) runs of bench/synapse.py.

Each process holds some of the users: a keep-alive connection per user that long-polls `/sync`
(`timeout=30000`, a `since` token, an uploaded filter that keeps only `m.room.message`), and for
a sender a few more connections that `PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/
{txnId}`, one request at a time each (HTTP/1.1), in a closed loop (N in flight) or an open loop
(a fixed rate). The sync loops start once, before the first phase, and run until the end, as a
client that stays online does; the harness then runs phases over the same process (warm-up,
measured runs), each as: `go` → sends → report accepted events → `expect` → wait for the
deliveries → report the checks.

Every message body is `"<send start, monotonic ns> <phase tag> <sender> <seq> <watermark> pad"`;
the watermark is the highest seq up to which all of the sender's earlier sends had been answered
when this one started. The checks per syncing user and room: every accepted event arrived exactly
once and nothing else of the phase did; the order is one per room (every user of a room saw the
same sequence; compared by the harness with a digest); and no message arrived before one its
sender had already had answered before sending it (the watermark). A `limited` sync (the server
dropped part of the timeline) is filled from `/rooms/{room}/messages` as a client would, and
counted.

Talks to the harness over a pipe like bench/workers.py; every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from array import array
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import quote

import msgspec

from bench.httpclient import HttpClient
from bench.workers import Pipe, cpu_seconds, lift_nofile

clock = time.monotonic_ns
NS = 1_000_000_000


# ---- HTTP ---------------------------------------------------------------------------------------

class MatrixConn(HttpClient):
    """bench.httpclient's keep-alive connection, with any method and a bearer token."""

    __slots__ = ("auth",)

    def __init__(self, host: str, token: str = ""):
        super().__init__(host)
        self.auth = token.encode()

    def call(self, method: bytes, path: bytes, body: bytes | None = None
             ) -> asyncio.Future[tuple[int, bytes]]:
        auth = b"Authorization: Bearer " + self.auth + b"\r\n" if self.auth else b""
        return self.request(method, path, body or b"", headers=auth)


async def connect(host: str, port: int, token: str = "", *, src: str | None = None,
                  timeout: float = 30.0) -> MatrixConn:
    loop = asyncio.get_running_loop()
    _, proto = await asyncio.wait_for(
        loop.create_connection(lambda: MatrixConn(f"{host}:{port}", token), host, port,
                               local_addr=(src, 0) if src else None), timeout)
    return proto


def room_path(room_id: str) -> bytes:
    return quote(room_id, safe="").encode()


# ---- what /sync returns (the part we read) ------------------------------------------------------

class Content(msgspec.Struct):
    body: str = ""


class MEvent(msgspec.Struct):
    event_id: str = ""
    type: str = ""
    sender: str = ""
    content: Content = msgspec.field(default_factory=Content)


class Timeline(msgspec.Struct):
    events: list[MEvent] = []
    limited: bool = False
    prev_batch: str | None = None


class JoinedRoom(msgspec.Struct):
    timeline: Timeline = msgspec.field(default_factory=Timeline)


class Rooms(msgspec.Struct):
    join: dict[str, JoinedRoom] = {}


class SyncResponse(msgspec.Struct):
    next_batch: str
    rooms: Rooms = msgspec.field(default_factory=Rooms)


class Messages(msgspec.Struct):
    chunk: list[MEvent] = []
    end: str | None = None


decode_sync = msgspec.json.Decoder(SyncResponse).decode
decode_messages = msgspec.json.Decoder(Messages).decode
decode_any = msgspec.json.Decoder().decode
MESSAGES_FILTER = quote('{"types":["m.room.message"]}', safe="").encode()


# ---- the users ----------------------------------------------------------------------------------

@dataclass
class Received:
    ids: list[str] = field(default_factory=list)
    marks: list[tuple[int, int, int]] = field(default_factory=list)  # (sender, seq, watermark)


@dataclass
class Syncer:
    user_id: str
    token: str
    rooms: list[str]
    filter_id: str
    conn: MatrixConn | None = None
    since: str = ""
    rx: dict[str, Received] = field(default_factory=dict)
    stale: int = 0
    limited: int = 0
    backfilled: int = 0
    errors: int = 0
    reconnects: int = 0


@dataclass
class Sender:
    index: int
    user_id: str
    token: str
    room: str
    conns: list[MatrixConn] = field(default_factory=list)
    idle: list[MatrixConn] = field(default_factory=list)
    seq: int = 0
    answered: set[int] = field(default_factory=set)
    watermark: int = 0
    failed: list[int] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    sent: int = 0
    out: int = 0
    planned: int = 0
    next_at: int = 0


class MatrixLoad:
    def __init__(self, spec: dict[str, Any], pipe: Pipe):
        self.spec = spec
        self.pipe = pipe
        self.host: str = spec["host"]
        self.port: int = spec["port"]
        self.srcs: list[str] = spec["srcs"]
        self.pad: bytes = b"x" * spec.get("pad", 32)
        self.syncers: list[Syncer] = []
        self.senders: list[Sender] = []
        self.stopping = False
        self.tag = b""
        self.tag_s = ""
        self.loop_tasks: list[asyncio.Task[None]] = []
        self.n_src = 0
        self.reset()

    def reset(self) -> None:
        self.e2e = array("d")
        self.send_lat = array("d")
        self.deliveries = 0
        self.first_send = 0
        self.last_reply = 0
        self.last_delivery = 0
        self.max_lag_ns = 0
        self.new_conns = 0
        self.syncs = 0
        self.empty_syncs = 0
        self.error_types: dict[str, int] = {}
        for s in self.syncers:
            s.rx = {}
            s.stale = s.limited = s.backfilled = s.errors = s.reconnects = 0
        for snd in self.senders:
            snd.seq = snd.watermark = snd.sent = snd.out = 0
            snd.answered = set()
            snd.failed = []
            snd.accepted = []

    def src(self) -> str:
        self.n_src += 1
        return self.srcs[self.n_src % len(self.srcs)]

    async def open(self, token: str) -> MatrixConn:
        return await connect(self.host, self.port, token, src=self.src(), timeout=60)

    # ---- set-up: connections and the initial sync -------------------------------------------

    async def start(self) -> None:
        spec = self.spec
        for u in spec["users"]:
            if u.get("sync"):
                self.syncers.append(Syncer(u["user_id"], u["token"], u["rooms"], u["filter_id"]))
            if u.get("send_room"):
                self.senders.append(Sender(u["index"], u["user_id"], u["token"], u["send_room"]))
        sem = asyncio.Semaphore(spec.get("concurrency", 16))

        async def first_sync(s: Syncer) -> None:
            async with sem:
                s.conn = await self.open(s.token)
                path = b"/_matrix/client/v3/sync?filter=%s&timeout=0" % s.filter_id.encode()
                status, body = await asyncio.wait_for(
                    s.conn.call(b"GET", path + b"&since=" + quote(s.since).encode()
                                if s.since else path), 300)
                if status != 200:
                    raise RuntimeError(f"initial /sync of {s.user_id}: HTTP {status} {body[:200]!r}")
                s.since = decode_sync(body).next_batch

        async def open_sender(snd: Sender) -> None:
            async with sem:
                for _ in range(spec.get("inflight", 1)):
                    conn = await self.open(snd.token)
                    snd.conns.append(conn)
                    snd.idle.append(conn)

        t0 = clock()
        await asyncio.gather(*(first_sync(s) for s in self.syncers),
                             *(open_sender(snd) for snd in self.senders))
        took = (clock() - t0) / NS
        loop = asyncio.get_running_loop()
        self.loop_tasks = [loop.create_task(self.sync_loop(s)) for s in self.syncers]
        self.pipe.put({"ready": True, "initial_sync_s": took})

    # ---- receiving --------------------------------------------------------------------------

    async def sync_loop(self, s: Syncer) -> None:
        fid = s.filter_id.encode()
        while not self.stopping:
            conn = s.conn
            if conn is None or conn.lost:
                try:
                    s.conn = conn = await self.open(s.token)
                    s.reconnects += 1
                except (OSError, TimeoutError):
                    s.errors += 1
                    await asyncio.sleep(0.2)
                    continue
            path = (b"/_matrix/client/v3/sync?filter=%s&timeout=30000&since=%s"
                    % (fid, quote(s.since).encode()))
            try:
                status, body = await asyncio.wait_for(conn.call(b"GET", path), 120)
            except (ConnectionError, TimeoutError, RuntimeError):
                if self.stopping:
                    return
                s.errors += 1
                conn.close()
                s.conn = None
                continue
            now = clock()
            if status != 200:
                s.errors += 1
                await asyncio.sleep(0.2)
                continue
            resp = decode_sync(body)
            self.syncs += 1
            if not resp.rooms.join:
                self.empty_syncs += 1
            for room_id, joined in resp.rooms.join.items():
                tl = joined.timeline
                events = tl.events
                if tl.limited:
                    s.limited += 1
                    events = await self.backfill(s, room_id, tl.prev_batch) + events
                for ev in events:
                    if ev.type == "m.room.message":
                        self.receive(s, room_id, ev, now)
            s.since = resp.next_batch

    async def backfill(self, s: Syncer, room_id: str, token: str | None) -> list[MEvent]:
        """The part of the timeline a `limited` sync left out: page back through /messages until an
        event this user already has, or one from before this phase."""
        got = s.rx.get(room_id)
        have = set(got.ids) if got else set()
        out: list[MEvent] = []
        conn = await self.open(s.token)
        try:
            for _ in range(100):
                if not token:
                    break
                path = (b"/_matrix/client/v3/rooms/%s/messages?dir=b&limit=500&filter=%s&from=%s"
                        % (room_path(room_id), MESSAGES_FILTER, quote(token).encode()))
                status, body = await asyncio.wait_for(conn.call(b"GET", path), 120)
                if status != 200:
                    s.errors += 1
                    break
                page = decode_messages(body)
                stop = not page.chunk
                for ev in page.chunk:
                    if ev.event_id in have or ev.content.body.split(" ", 2)[1:2] != [self.tag_s]:
                        stop = True
                        break
                    out.append(ev)
                if stop:
                    break
                token = page.end
        finally:
            conn.close()
        s.backfilled += len(out)
        out.reverse()
        return out

    def receive(self, s: Syncer, room_id: str, ev: MEvent, now: int) -> None:
        parts = ev.content.body.split(" ", 5)
        if len(parts) < 5 or parts[1] != self.tag_s:
            s.stale += 1  # from an earlier phase (or not ours)
            return
        got = s.rx.get(room_id)
        if got is None:
            got = s.rx[room_id] = Received()
        got.ids.append(ev.event_id)
        got.marks.append((int(parts[2]), int(parts[3]), int(parts[4])))
        self.deliveries += 1
        self.last_delivery = now
        if ev.sender != s.user_id:
            self.e2e.append((now - int(parts[0])) / 1e6)

    # ---- sending ----------------------------------------------------------------------------

    async def send_one(self, snd: Sender, conn: MatrixConn) -> None:
        snd.seq += 1
        seq = snd.seq
        t0 = clock()
        if not self.first_send:
            self.first_send = t0
        body = (b'{"msgtype":"m.text","body":"%d %s %d %d %d %s"}'
                % (t0, self.tag, snd.index, seq, snd.watermark, self.pad))
        path = (b"/_matrix/client/v3/rooms/%s/send/m.room.message/%s.%d"
                % (room_path(snd.room), self.tag, seq))
        snd.sent += 1
        snd.out += 1
        try:
            status, data = await asyncio.wait_for(conn.call(b"PUT", path, body), 120)
        except (ConnectionError, TimeoutError, RuntimeError) as exc:
            status, data = 0, type(exc).__name__.encode()
            conn.close()
        now = clock()
        snd.out -= 1
        self.send_lat.append((now - t0) / 1e6)
        self.last_reply = max(self.last_reply, now)
        if status == 200:
            snd.accepted.append(decode_any(data)["event_id"])
        else:
            snd.failed.append(seq)
            key = f"HTTP {status}" if status else data.decode()
            self.error_types[key] = self.error_types.get(key, 0) + 1
        snd.answered.add(seq)
        while snd.watermark + 1 in snd.answered:
            snd.watermark += 1
            snd.answered.discard(snd.watermark)

    async def closed_loop(self, snd: Sender, conn: MatrixConn, end_at: int) -> None:
        while clock() < end_at and not conn.lost:
            await self.send_one(snd, conn)

    async def open_send(self, snd: Sender) -> None:
        if snd.idle:
            conn = snd.idle.pop()
        else:
            conn = await self.open(snd.token)  # all busy: one more connection, as a client would
            snd.conns.append(conn)
            self.new_conns += 1
        await self.send_one(snd, conn)
        if not conn.lost:
            snd.idle.append(conn)

    async def open_loop(self, rate: float, duration_ns: int) -> None:
        period = int(NS / rate)
        count = int(rate * duration_ns / NS)
        start = clock()
        n = len(self.senders)
        for i, snd in enumerate(self.senders):
            snd.planned = 0
            snd.next_at = start + period * i // max(1, n)
        hard_end = start + duration_ns + 5 * NS
        tasks: list[asyncio.Task[None]] = []
        loop = asyncio.get_running_loop()
        while True:
            now = clock()
            pending = [snd for snd in self.senders if snd.planned < count]
            if not pending or now > hard_end:
                break
            for snd in pending:
                while snd.next_at <= now and snd.planned < count:
                    self.max_lag_ns = max(self.max_lag_ns, now - snd.next_at)
                    snd.planned += 1
                    tasks.append(loop.create_task(self.open_send(snd)))
                    snd.next_at += period
            soonest = min((snd.next_at for snd in pending if snd.planned < count), default=now)
            await asyncio.sleep(max(0.0, (soonest - clock()) / NS))
        if tasks:
            await asyncio.wait(tasks, timeout=150)

    # ---- one phase ---------------------------------------------------------------------------

    async def phase(self, cmd: dict[str, Any]) -> None:
        self.reset()
        self.tag_s = cmd["tag"]
        self.tag = self.tag_s.encode()
        duration_ns = int(cmd["duration"] * NS)
        await asyncio.sleep(max(0.0, (cmd["at"] - clock()) / NS))
        cpu0 = cpu_seconds()
        start = clock()
        if cmd["mode"] == "closed":
            end_at = start + duration_ns
            jobs = [self.closed_loop(snd, conn, end_at) for snd in self.senders
                    for conn in snd.conns[:cmd["inflight"]]]
            if jobs:
                await asyncio.wait_for(asyncio.gather(*jobs), cmd["duration"] + 150)
        else:
            await self.open_loop(cmd["rate"], duration_ns)
        accepted: dict[str, list[str]] = {}
        failed: dict[int, list[int]] = {}
        for snd in self.senders:
            accepted.setdefault(snd.room, []).extend(snd.accepted)
            if snd.failed:
                failed[snd.index] = snd.failed
        self.pipe.put({"phase": "sent", "accepted": accepted, "failed": failed,
                       "sent": sum(snd.sent for snd in self.senders),
                       "unanswered": sum(snd.out for snd in self.senders),
                       "first_send": self.first_send, "last_reply": self.last_reply,
                       "errors": dict(self.error_types), "max_lag_ms": self.max_lag_ns / 1e6,
                       "new_conns": self.new_conns})
        msg = await self.pipe.get(300)
        want = {room: set(ids) for room, ids in msg["expect"].items()}
        failed_all = {int(k): set(v) for k, v in msg["failed"].items()}
        deadline = clock() + int(cmd["drain"] * NS)
        while clock() < deadline:
            if all(len(s.rx.get(r, Received()).ids) >= len(want.get(r, ())) for s in self.syncers
                   for r in s.rooms):
                break
            await asyncio.sleep(0.01)
        cpu1 = cpu_seconds()
        self.pipe.put(self.check(want, failed_all, cpu1 - cpu0, start))

    def check(self, want: dict[str, set[str]], failed: dict[int, set[int]], cpu: float,
              start: int) -> dict[str, Any]:
        missing = dups = extra = causal = 0
        digests: dict[str, list[str]] = {}
        for s in self.syncers:
            for room in s.rooms:
                got = s.rx.get(room, Received())
                seen = set(got.ids)
                dups += len(got.ids) - len(seen)
                expect = want.get(room, set())
                missing += len(expect - seen)
                extra += len(seen - expect)
                digests.setdefault(room, []).append(
                    hashlib.sha1("\n".join(got.ids).encode()).hexdigest())
                causal += causal_violations(got.marks, failed)
        return {"phase": "done", "e2e": self.e2e, "send_lat": self.send_lat,
                "deliveries": self.deliveries, "last_delivery": self.last_delivery,
                "missing": missing, "dups": dups, "extra": extra, "causal": causal,
                "digests": digests, "limited": sum(s.limited for s in self.syncers),
                "backfilled": sum(s.backfilled for s in self.syncers),
                "stale": sum(s.stale for s in self.syncers),
                "sync_errors": sum(s.errors for s in self.syncers),
                "reconnects": sum(s.reconnects for s in self.syncers),
                "syncs": self.syncs, "empty_syncs": self.empty_syncs,
                "cpu": cpu, "start": start}

    async def run(self) -> None:
        await self.start()
        try:
            while True:
                cmd = await self.pipe.get(900)
                if cmd.get("cmd") == "close":
                    break
                await self.phase(cmd)
        finally:
            self.stopping = True
            for s in self.syncers:
                if s.conn is not None:
                    s.conn.close()
            for snd in self.senders:
                for conn in snd.conns:
                    conn.close()
            for task in self.loop_tasks:
                task.cancel()
            await asyncio.sleep(0.2)


def causal_violations(marks: list[tuple[int, int, int]], failed: dict[int, set[int]]) -> int:
    """Messages that arrived before one their sender had had answered before sending them."""
    seen: dict[int, set[int]] = {}
    prefix: dict[int, int] = {}
    bad = 0
    for sender, seq, mark in marks:
        got = seen.setdefault(sender, set())
        got.add(seq)
        p = prefix.get(sender, 0)
        gone = failed.get(sender, set())
        while p + 1 in got or p + 1 in gone:
            p += 1
        prefix[sender] = p
        if mark > p:
            bad += 1
    return bad


def main(conn: Connection, spec: dict[str, Any]) -> None:
    lift_nofile()
    random.seed()

    async def run() -> None:
        pipe = Pipe(conn)
        try:
            await MatrixLoad(spec, pipe).run()
        except Exception as exc:  # noqa: BLE001 - the harness reports it
            pipe.put({"phase": "failed", "error": f"{type(exc).__name__}: {exc}"})

    try:
        import uvloop
    except ImportError:  # pragma: no cover
        asyncio.run(run())
    else:
        uvloop.run(run())
