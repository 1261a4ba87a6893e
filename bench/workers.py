"""Load-generator processes. Each runs one job over many sockets on its own uvloop and talks to
the harness over a pipe: it reports `ready`, waits for `go`, runs, reports, and stops by itself
when its time bounds run out (every wait below has a deadline).

Jobs:
- `chat`  (scenarios A, C): closed- or open-loop `messages.sendMessage` on some sockets, every
  socket watching its chats; checks every accepted message arrived exactly once, in pts order.
- `idle`  (scenario E): open and authorize sockets, hold them, close on request.
- `storm` (scenario F): at one instant, every device connects, authorizes and catches up with
  `updates.getDifference` from the state it had before it went away.
- `fanout` (scenario D): hold many authorized sockets of one channel's subscribers; on each `go`,
  the process holding the owner posts once and every process times each socket's first copy.
- `botsend` (scenario G): Bot API `sendMessage` over keep-alive HTTP from many bots, each paced
  under the server's per-bot and per-chat flood limits.
- `botpoll` (scenario G): a bot long-polls `getUpdates` while its user sends it a message over
  the client API (WebSocket); times the send → poll-return path.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from bench import httpclient, wsclient
from bench.wsclient import Event, Incoming, WsClient

clock = time.monotonic_ns
NS = 1_000_000_000


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def lift_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Pipe:
    """The harness end; reads wait in a thread (the pipe's descriptor stays blocking)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def _recv(self, timeout: float) -> Any:
        if not self.conn.poll(timeout):
            raise TimeoutError("no word from the harness")
        try:
            return self.conn.recv()
        except EOFError:
            return {"cmd": "close"}

    async def get(self, timeout: float) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, self._recv, timeout)

    def put(self, msg: Any) -> None:
        self.conn.send(msg)


async def open_many(host: str, port: int, srcs: list[str], count: int, concurrency: int,
                    authorize: list[str], *, state: bool = False, timeout: float = 60.0,
                    ports: list[int | None] | None = None
                    ) -> tuple[list[WsClient | None], list[float], list[Any], list[str]]:
    """Open `count` sockets (source addresses round-robin) and authorize each with its token;
    `ports[i]`, when given, sends socket i to another node of a multi-node run."""
    socks: list[WsClient | None] = [None] * count
    states: list[Any] = [None] * count
    took: list[float] = []
    errors: list[str] = []
    sem = asyncio.Semaphore(max(1, concurrency))

    async def one(i: int) -> None:
        async with sem:
            t0 = clock()
            try:
                ws = await wsclient.connect(host, (ports[i] if ports else None) or port,
                                            src=srcs[i % len(srcs)], timeout=timeout)
                await wsclient.call(ws, "connection.authorize", {"token": authorize[i]}, timeout)
                if state:
                    states[i] = await wsclient.call(ws, "updates.getState", None, timeout)
                socks[i] = ws
                took.append((clock() - t0) / 1e6)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(f"{type(exc).__name__}: {exc}"[:200])

    await asyncio.gather(*(one(i) for i in range(count)))
    return socks, took, states, errors


def by_port(socks: list[WsClient | None], ports: list[int | None] | None, port: int
            ) -> dict[int, int]:
    """Sockets opened per server port (per node of a multi-node run)."""
    out: dict[int, int] = {}
    for i, ws in enumerate(socks):
        if ws is not None:
            p = (ports[i] if ports else None) or port
            out[p] = out.get(p, 0) + 1
    return out


# ---- chat load (A, C) --------------------------------------------------------------------------

@dataclass
class Sock:
    user_id: int
    send_chat: int | None
    watch: list[int]
    rid: int = 0
    out: dict[int, int] = field(default_factory=dict)
    sent: int = 0
    accepted: array = field(default_factory=lambda: array("q"))
    errors: int = 0
    rx: dict[int, array] = field(default_factory=dict)
    pts: dict[int, int] = field(default_factory=dict)
    gaps: int = 0
    other_updates: int = 0
    next_at: int = 0
    stopped: bool = False
    done: bool = False
    lost: bool = False
    e2e: bool = True  # record end-to-end latency on this socket (off for a channel's owner)


class ChatLoad:
    def __init__(self, spec: dict[str, Any], pipe: Pipe):
        self.spec = spec
        self.pipe = pipe
        self.mode: str = spec["mode"]  # closed | open
        self.inflight: int = spec.get("inflight", 1)
        self.duration_ns = int(spec["duration"] * NS)
        self.max_sends: int = spec.get("max_sends", 10**9)
        self.rate: float = spec.get("rate", 0.0)  # per sender, open loop
        self.pad: bytes = b"x" * spec.get("pad", 32)
        self.e2e = array("d")
        self.send_lat = array("d")
        self.deliveries = 0
        self.first_send = 0
        self.last_reply = 0
        self.last_delivery = 0
        self.end_at = 0
        self.max_lag_ns = 0
        self.error_types: dict[str, int] = {}
        self.all_sent = asyncio.get_running_loop().create_future()
        self.socks: list[WsClient] = []
        self.senders: list[WsClient] = []

    def _send(self, ws: WsClient, now: int) -> None:
        st: Sock = ws.state
        fid = ws.next_id()
        st.rid += 1
        st.out[fid] = now
        st.sent += 1
        ws.send_text(b'{"id":%d,"method":"messages.sendMessage","params":{"peer":{"chat_id":%d},'
                     b'"text":"%d %s","random_id":%d}}' % (fid, st.send_chat, now, self.pad, st.rid))
        if not self.first_send:
            self.first_send = now

    def _reply(self, ws: WsClient, fid: int, frame: Incoming, now: int) -> None:
        st: Sock = ws.state
        t0 = st.out.pop(fid, None)
        if t0 is None:
            return
        self.send_lat.append((now - t0) / 1e6)
        self.last_reply = max(self.last_reply, now)
        if frame.error is not None:
            st.errors += 1
            kind = str(frame.error.get("type"))
            self.error_types[kind] = self.error_types.get(kind, 0) + 1
        else:
            st.accepted.append(wsclient.decode_msg(frame.result).id)
        if self.mode == "closed" and not st.stopped:
            if now < self.end_at and st.sent < self.max_sends:
                self._send(ws, now)
            else:
                st.stopped = True
        if st.stopped and not st.out:
            self._sender_done(st)

    def _sender_done(self, st: Sock) -> None:
        if st.done:
            return
        st.done = True
        if all(s.state.done for s in self.senders) and not self.all_sent.done():
            self.all_sent.set_result(None)

    def _update(self, ws: WsClient, ev: Event, now: int) -> None:
        if ev.type != "new_message" or ev.message is None:
            ws.state.other_updates += 1
            return
        st: Sock = ws.state
        chat = ev.chat_id
        got = st.rx.get(chat)
        if got is None:
            got = st.rx[chat] = array("q")
        got.append(ev.message.id)
        last = st.pts.get(chat)
        if last is not None and ev.pts != last + 1:
            st.gaps += 1
        st.pts[chat] = ev.pts
        self.deliveries += 1
        self.last_delivery = now
        if ev.message.sender_id != st.user_id and st.e2e:
            stamp = ev.message.text.partition(" ")[0]
            if stamp.isdigit():
                self.e2e.append((now - int(stamp)) / 1e6)

    async def _open_loop(self) -> None:
        period = int(NS / self.rate)
        count = min(self.max_sends, int(self.rate * self.duration_ns / NS))
        start = clock()
        n = len(self.senders)
        for i, ws in enumerate(self.senders):
            ws.state.next_at = start + period * i // max(1, n)
        hard_end = start + self.duration_ns + 5 * NS
        while True:
            now = clock()
            pending = [ws for ws in self.senders if ws.state.sent < count]
            if not pending or now > hard_end:
                break
            for ws in pending:
                st = ws.state
                while st.next_at <= now and st.sent < count:
                    self.max_lag_ns = max(self.max_lag_ns, now - st.next_at)
                    self._send(ws, now)
                    st.next_at += period
                if st.sent >= count:
                    st.stopped = True
            soonest = min((ws.state.next_at for ws in pending if not ws.state.stopped),
                          default=now)
            await asyncio.sleep(max(0.0, (soonest - clock()) / NS))
        for ws in self.senders:
            ws.state.stopped = True
            if not ws.state.out:
                self._sender_done(ws.state)

    async def run(self) -> None:
        spec = self.spec
        conns = spec["conns"]
        socks, took, states, errors = await open_many(
            spec["host"], spec["port"], spec["srcs"], len(conns), spec.get("concurrency", 200),
            [c["token"] for c in conns], state=True, ports=[c.get("port") for c in conns])
        if errors:
            self.pipe.put({"ready": False, "errors": errors[:5], "failed": len(errors)})
            return
        for ws, c, state in zip(socks, conns, states, strict=True):
            assert ws is not None
            st = Sock(user_id=c["user_id"], send_chat=c.get("send_chat"), watch=c["watch"],
                      rid=random.getrandbits(50), e2e=c.get("e2e", True))
            st.pts = {int(k): v for k, v in state["chats"].items() if int(k) in c["watch"]}
            ws.state = st
            ws.on_reply = lambda fid, frame, now, ws=ws: self._reply(ws, fid, frame, now)
            ws.on_update = lambda ev, now, ws=ws: self._update(ws, ev, now)

            def lost(ws: WsClient = ws) -> None:
                ws.state.lost = True
                ws.state.out.clear()
                self._sender_done(ws.state)

            ws.on_closed = lost
            self.socks.append(ws)
            if st.send_chat is not None:
                self.senders.append(ws)
        self.pipe.put({"ready": True, "connect_ms": took})
        go = await self.pipe.get(120)
        await asyncio.sleep(max(0.0, (go["at"] - clock()) / NS))
        cpu0 = cpu_seconds()
        start = clock()
        self.end_at = start + self.duration_ns
        if not self.senders:
            self.all_sent.set_result(None)
        elif self.mode == "closed":
            for ws in self.senders:
                for _ in range(min(self.inflight, self.max_sends)):
                    self._send(ws, clock())
        else:
            asyncio.get_running_loop().create_task(self._open_loop())
        try:
            await asyncio.wait_for(asyncio.shield(self.all_sent), self.duration_ns / NS + 30)
        except TimeoutError:
            pass
        accepted: dict[int, list[int]] = {}
        for ws in self.senders:
            accepted.setdefault(ws.state.send_chat, []).extend(ws.state.accepted)
        self.pipe.put({"phase": "sent", "accepted": accepted,
                       "sent": sum(ws.state.sent for ws in self.senders),
                       "unanswered": sum(len(ws.state.out) for ws in self.senders),
                       "first_send": self.first_send, "last_reply": self.last_reply,
                       "errors": dict(self.error_types), "max_lag_ms": self.max_lag_ns / 1e6})
        expect: dict[int, list[int]] = (await self.pipe.get(120))["expect"]
        want = {chat: set(ids) for chat, ids in expect.items()}
        deadline = clock() + int(spec.get("drain", 15) * NS)
        while clock() < deadline:
            if all(ws.state.lost or all(len(ws.state.rx.get(c, ())) >= len(want.get(c, ()))
                                        for c in ws.state.watch) for ws in self.socks):
                break
            await asyncio.sleep(0.01)
        cpu1 = cpu_seconds()
        missing = dups = extra = gaps = lost = 0
        codes: dict[str, int] = {}
        for ws in self.socks:
            st = ws.state
            gaps += st.gaps
            lost += st.lost
            if st.lost:
                key = str(ws.close_code or "no close frame")
                codes[key] = codes.get(key, 0) + 1
            for chat in st.watch:
                got = st.rx.get(chat, array("q"))
                seen = set(got)
                dups += len(got) - len(seen)
                missing += len(want.get(chat, set()) - seen)
                extra += len(seen - want.get(chat, set()))
        self.pipe.put({"phase": "done", "e2e": self.e2e, "send_lat": self.send_lat,
                       "deliveries": self.deliveries, "last_delivery": self.last_delivery,
                       "missing": missing, "dups": dups, "extra": extra, "gaps": gaps,
                       "lost": lost, "close_codes": codes, "cpu": cpu1 - cpu0, "start": start})
        await self.pipe.get(60)
        for ws in self.socks:
            ws.close()
        await asyncio.sleep(0.2)


# ---- idle connections (E) ----------------------------------------------------------------------

async def idle(spec: dict[str, Any], pipe: Pipe) -> None:
    cpu0 = cpu_seconds()
    t0 = clock()
    ports = spec.get("ports")
    socks, took, _, errors = await open_many(
        spec["host"], spec["port"], spec["srcs"], len(spec["tokens"]), spec.get("concurrency", 256),
        spec["tokens"], ports=ports)
    elapsed = (clock() - t0) / NS
    opened = [ws for ws in socks if ws is not None]
    pipe.put({"ready": True, "opened": len(opened), "failed": len(errors), "errors": errors[:5],
              "connect_ms": took, "elapsed": elapsed, "cpu": cpu_seconds() - cpu0,
              "by_port": by_port(socks, ports, spec["port"])})
    await pipe.get(spec.get("hold", 600))
    still = sum(1 for ws in opened if not ws.lost)
    for ws in opened:
        ws.close()
    await asyncio.sleep(0.5)
    pipe.put({"phase": "done", "still_open": still})


# ---- reconnect storm (F) -----------------------------------------------------------------------

async def storm(spec: dict[str, Any], pipe: Pipe) -> None:
    devices = spec["devices"]
    host, port, srcs = spec["host"], spec["port"], spec["srcs"]
    sem = asyncio.Semaphore(spec.get("concurrency") or len(devices) or 1)
    took = array("d")
    caught = [0]
    events = [0]
    bad: list[str] = []
    socks: list[WsClient] = []
    pipe.put({"ready": True})
    go = await pipe.get(120)
    await asyncio.sleep(max(0.0, (go["at"] - clock()) / NS))
    cpu0 = cpu_seconds()
    start = clock()

    async def one(i: int, dev: dict[str, Any]) -> None:
        async with sem:
            try:
                ws = await wsclient.connect(host, port, src=srcs[i % len(srcs)], timeout=60)
                socks.append(ws)
                await wsclient.call(ws, "connection.authorize", {"token": dev["token"]}, 60)
                seq, pts = dev["seq"], dict(dev["pts"])
                ids: list[int] = []
                for _ in range(50):
                    diff = await wsclient.call(
                        ws, "updates.getDifference",
                        {"seq": seq, "pts": {str(k): v for k, v in pts.items()}}, 60)
                    seq = diff["seq"]
                    for chat in diff["chats"]:
                        if chat.get("too_long"):
                            bad.append("too_long")
                        for ev in chat.get("events", []):
                            chat_id = ev["chat_id"]
                            if ev["pts"] != pts.get(chat_id, 0) + 1:
                                bad.append("pts gap")
                            pts[chat_id] = ev["pts"]
                            if ev["type"] == "new_message":
                                ids.append(ev["message"]["id"])
                    if not diff.get("more"):
                        break
                if len(ids) != dev["expect"] or len(set(ids)) != len(ids):
                    bad.append(f"got {len(ids)} of {dev['expect']}")
                events[0] += len(ids)
                caught[0] += 1
                took.append((clock() - start) / 1e6)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                bad.append(f"{type(exc).__name__}: {exc}"[:200])

    await asyncio.wait_for(asyncio.gather(*(one(i, d) for i, d in enumerate(devices))),
                           spec.get("timeout", 120))
    cpu1 = cpu_seconds()
    pipe.put({"phase": "done", "took_ms": took, "caught": caught[0], "events": events[0],
              "bad": bad[:5], "bad_count": len(bad), "cpu": cpu1 - cpu0, "start": start})
    await pipe.get(60)
    for ws in socks:
        ws.close()
    await asyncio.sleep(0.3)


# ---- channel fan-out (D) -----------------------------------------------------------------------

async def fanout(spec: dict[str, Any], pipe: Pipe) -> None:
    """Hold the subscribers' sockets; on each `go`, the process with the owner's token posts once
    (through the owner's own socket) and every process times each socket's first copy of it."""
    host, port, srcs, chat = spec["host"], spec["port"], spec["srcs"], spec["chat"]
    cpu0 = cpu_seconds()
    t0 = clock()
    ports = spec.get("ports")
    socks, took, _, errors = await open_many(host, port, srcs, len(spec["tokens"]),
                                             spec.get("concurrency", 256), spec["tokens"],
                                             timeout=120, ports=ports)
    opened = [ws for ws in socks if ws is not None]
    elapsed = (clock() - t0) / NS
    poster: WsClient | None = None
    if spec.get("poster"):
        poster = await wsclient.connect(host, port, src=srcs[0], timeout=60)
        await wsclient.call(poster, "connection.authorize", {"token": spec["poster"]}, 60)
    n = len(opened)
    node_of = [(ports[j] if ports else None) or port for j, ws in enumerate(socks)
               if ws is not None]  # the server port (node) of each opened socket
    got = bytearray(n)  # copies of the current post per socket (capped at 255)
    cur: dict[str, Any] = {"text": None, "arrivals": array("q"), "stale": 0, "last_by_port": {}}

    def watcher(i: int) -> Callable[[Event, int], None]:
        def on_update(ev: Event, now: int) -> None:
            if ev.type != "new_message" or ev.message is None or ev.chat_id != chat:
                return
            if ev.message.text != cur["text"]:
                cur["stale"] += 1
                return
            if not got[i]:
                cur["arrivals"].append(now)
                last = cur["last_by_port"]
                if now > last.get(node_of[i], 0):
                    last[node_of[i]] = now
            if got[i] < 255:
                got[i] += 1
        return on_update

    for i, ws in enumerate(opened):
        ws.on_update = watcher(i)
    pipe.put({"ready": True, "opened": n, "failed": len(errors), "errors": errors[:5],
              "connect_ms": took, "elapsed": elapsed, "cpu": cpu_seconds() - cpu0,
              "by_port": by_port(socks, ports, port)})
    for _ in range(10_000):
        msg = await pipe.get(spec.get("hold", 900))
        if msg.get("cmd") == "close":
            break
        cur["text"] = msg["text"]
        cur["arrivals"] = array("q")
        cur["stale"] = 0
        cur["last_by_port"] = {}
        got[:] = bytes(n)
        cpu0 = cpu_seconds()
        await asyncio.sleep(max(0.0, (msg["at"] - clock()) / NS))
        sent_at = reply_at = 0
        error = None
        if poster is not None:
            sent_at = clock()
            try:
                await wsclient.call(poster, "messages.sendMessage",
                                    {"peer": {"chat_id": chat}, "text": msg["text"],
                                     "random_id": random.getrandbits(50)}, 60)
                reply_at = clock()
            except Exception as exc:  # noqa: BLE001 - reported
                error = f"{type(exc).__name__}: {exc}"[:200]
        deadline = clock() + int(msg.get("timeout", 30) * NS)
        # the sockets still open, counted again every 0.1 s, not at every 2 ms check (counting
        # 10,000 sockets each time cost this process more CPU than the copies it times)
        live, checks = sum(1 for ws in opened if not ws.lost), 0
        while clock() < deadline:
            if len(cur["arrivals"]) >= live:
                break
            await asyncio.sleep(0.002)
            checks += 1
            if checks % 50 == 0:
                live = sum(1 for ws in opened if not ws.lost)
        await asyncio.sleep(msg.get("settle", 0.1))  # late duplicates, if any
        pipe.put({"phase": "posted", "arrivals": cur["arrivals"], "received": len(cur["arrivals"]),
                  "dups": sum(1 for g in got if g > 1), "lost": sum(1 for ws in opened if ws.lost),
                  "stale": cur["stale"], "sent_at": sent_at, "reply_at": reply_at,
                  "last_by_port": cur["last_by_port"],
                  "error": error, "cpu": cpu_seconds() - cpu0})
    for ws in opened:
        ws.close()
    if poster is not None:
        poster.close()
    await asyncio.sleep(0.5)


# ---- Bot API (G) -------------------------------------------------------------------------------

async def botsend(spec: dict[str, Any], pipe: Pipe) -> None:
    """Every bot sends `sendMessage` over `inflight` keep-alive connections, paced at `rate` a
    second (below the server's per-bot flood limit) and round-robin over its private chats (so
    each chat stays below the per-chat limit), for `duration` seconds."""
    host, port, srcs = spec["host"], spec["port"], spec["srcs"]
    bots: list[dict[str, Any]] = spec["bots"]
    inflight = max(1, spec.get("inflight", 1))
    clients: list[list[httpclient.HttpClient]] = []
    for b, _ in enumerate(bots):
        clients.append([await httpclient.connect(host, port, src=srcs[(b + j) % len(srcs)])
                        for j in range(inflight)])
    pad = b"x" * spec.get("pad", 32)
    period = int(NS / spec["rate"])
    duration_ns = int(spec["duration"] * NS)
    lat = array("d")
    statuses: dict[int, int] = {}
    errors: dict[str, int] = {}
    last_reply = [0]
    behind = [0]
    pipe.put({"ready": True})
    go = await pipe.get(120)
    await asyncio.sleep(max(0.0, (go["at"] - clock()) / NS))
    cpu0 = cpu_seconds()
    start = clock()
    end = start + duration_ns
    # each bot's schedule: one slot every `period`, the bots' first slots spread over a period
    nxt = [start + period * b // max(1, len(bots)) for b in range(len(bots))]
    turn = [0] * len(bots)

    async def lane(b: int, client: httpclient.HttpClient) -> None:
        path = f"/bot{bots[b]['token']}/sendMessage".encode()
        chats = bots[b]["chats"]
        for _ in range(10**7):
            now = clock()
            slot = nxt[b]
            if slot < now:  # behind schedule: never catch up in a burst (the flood limit)
                behind[0] += 1
                slot = now
            if slot >= end:
                return
            nxt[b] = slot + period
            if slot > now:
                await asyncio.sleep((slot - now) / NS)
            chat = chats[turn[b] % len(chats)]
            turn[b] += 1
            t0 = clock()
            body = b'{"chat_id":%d,"text":"%d %s"}' % (chat, t0, pad)
            try:
                status, _ = await asyncio.wait_for(client.request(b"POST", path, body), 30)
            except Exception as exc:  # noqa: BLE001 - counted, the lane stops
                key = type(exc).__name__
                errors[key] = errors.get(key, 0) + 1
                return
            t1 = clock()
            lat.append((t1 - t0) / 1e6)
            statuses[status] = statuses.get(status, 0) + 1
            last_reply[0] = max(last_reply[0], t1)

    await asyncio.wait_for(
        asyncio.gather(*(lane(b, c) for b, cs in enumerate(clients) for c in cs)),
        spec["duration"] + 60)
    cpu1 = cpu_seconds()
    pipe.put({"phase": "done", "lat": lat, "statuses": statuses, "errors": errors,
              "start": start, "last_reply": last_reply[0], "behind": behind[0],
              "cpu": cpu1 - cpu0})
    await pipe.get(60)
    for cs in clients:
        for c in cs:
            c.close()
    await asyncio.sleep(0.2)


async def botpoll(spec: dict[str, Any], pipe: Pipe) -> None:
    """Per pair: the bot long-polls getUpdates; once the poll is parked, its user sends it a
    message over the client API; the time from that send to the poll returning it is recorded.
    Sequential per pair, pairs side by side; bounded by `count` per pair and by `duration`."""
    host, port, srcs = spec["host"], spec["port"], spec["srcs"]
    pairs: list[dict[str, Any]] = spec["pairs"]
    users: list[WsClient] = []
    polls: list[httpclient.HttpClient] = []
    offsets: list[int] = []
    for i, pair in enumerate(pairs):
        ws = await wsclient.connect(host, port, src=srcs[i % len(srcs)], timeout=60)
        await wsclient.call(ws, "connection.authorize", {"token": pair["user"]}, 60)
        users.append(ws)
        http = await httpclient.connect(host, port, src=srcs[i % len(srcs)])
        polls.append(http)
        status, body = await httpclient.call(http, f"/bot{pair['bot']}/getUpdates",
                                             b'{"timeout":0}', 30)
        got = wsclient.decode_any(body)
        ids = [u["update_id"] for u in got.get("result", [])]
        offsets.append(max(ids) + 1 if ids else 0)
    lat = array("d")
    missed = [0]
    errors: list[str] = []
    pipe.put({"ready": True})
    go = await pipe.get(120)
    await asyncio.sleep(max(0.0, (go["at"] - clock()) / NS))
    cpu0 = cpu_seconds()
    end = clock() + int(spec["duration"] * NS)
    park = spec.get("park", 0.02)

    async def run(i: int) -> None:
        pair, ws, http = pairs[i], users[i], polls[i]
        path = f"/bot{pair['bot']}/getUpdates"
        for k in range(spec.get("count", 500)):
            if clock() >= end:
                return
            poll = asyncio.ensure_future(httpclient.call(
                http, path, b'{"offset":%d,"timeout":10}' % offsets[i], 30))
            await asyncio.sleep(park)  # the poll is parked on the server by now
            stamp = clock()
            text = f"{stamp} poll {k}"
            sent = ws.call("messages.sendMessage", {"peer": {"chat_id": pair["chat"]},
                                                    "text": text,
                                                    "random_id": random.getrandbits(50)})
            seen = False
            for attempt in range(5):  # a poll may return before the message (another update)
                if attempt:
                    poll = asyncio.ensure_future(httpclient.call(
                        http, path, b'{"offset":%d,"timeout":10}' % offsets[i], 30))
                try:
                    status, body = await poll
                except Exception as exc:  # noqa: BLE001 - reported
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    return
                now = clock()
                got = wsclient.decode_any(body)
                if status != 200 or not got.get("ok"):
                    errors.append(f"getUpdates HTTP {status}: {body[:120]!r}")
                    return
                for upd in got["result"]:
                    offsets[i] = max(offsets[i], upd["update_id"] + 1)
                    if (upd.get("message") or {}).get("text") == text:
                        seen = True
                if seen:
                    lat.append((now - stamp) / 1e6)
                    break
            if not seen:
                missed[0] += 1
            try:
                await asyncio.wait_for(sent, 30)
            except Exception as exc:  # noqa: BLE001 - reported
                errors.append(f"sendMessage: {type(exc).__name__}: {exc}"[:200])
                return

    await asyncio.wait_for(asyncio.gather(*(run(i) for i in range(len(pairs)))),
                           spec["duration"] + 90)
    pipe.put({"phase": "done", "lat": lat, "missed": missed[0], "errors": errors[:5],
              "error_count": len(errors), "cpu": cpu_seconds() - cpu0})
    await pipe.get(60)
    for ws in users:
        ws.close()
    for http in polls:
        http.close()
    await asyncio.sleep(0.2)


# ---- process entry -----------------------------------------------------------------------------

def main(conn: Connection, spec: dict[str, Any]) -> None:
    lift_nofile()

    async def run() -> None:
        pipe = Pipe(conn)
        job = spec["job"]
        try:
            if job == "chat":
                await ChatLoad(spec, pipe).run()
            elif job == "idle":
                await idle(spec, pipe)
            elif job == "storm":
                await storm(spec, pipe)
            elif job == "fanout":
                await fanout(spec, pipe)
            elif job == "botsend":
                await botsend(spec, pipe)
            elif job == "botpoll":
                await botpoll(spec, pipe)
            else:
                raise ValueError(job)
        except Exception as exc:  # noqa: BLE001 - the harness reports it
            pipe.put({"phase": "failed", "error": f"{type(exc).__name__}: {exc}"})

    try:
        import uvloop
    except ImportError:  # pragma: no cover
        asyncio.run(run())
    else:
        uvloop.run(run())
