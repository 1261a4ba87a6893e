"""The scenarios. Each takes the options and a target ("steppe" or "ceiling"), starts its own
server process on a fresh data folder, and returns a `Run`: named figures plus the checks.

A new scenario is one function in `SCENARIOS`; one whose server feature does not exist yet is
listed in `NOT_YET` and reported as such. The multi-node runs (`--nodes`) are in bench/nodes.py.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import accounts
from bench.pool import Pool
from bench.server import TICK, ServerProcess, raise_nofile
from bench.stats import fmt, percentiles

NS = 1_000_000_000


@dataclass
class Figure:
    name: str
    value: float | None
    unit: str = ""
    better: str = "higher"  # higher | lower | none (not compared with the ceiling)
    text: str | None = None  # a preformatted value (latency rows)
    latency: dict[str, float] | None = None


@dataclass
class Run:
    scenario: str
    label: str
    target: str
    figures: list[Figure] = field(default_factory=list)
    ok: bool = True
    notes: list[str] = field(default_factory=list)

    def add(self, *args: Any, **kw: Any) -> None:
        self.figures.append(Figure(*args, **kw))

    def get(self, name: str) -> Figure | None:
        return next((f for f in self.figures if f.name == name), None)


def srcs_for(i: int, per: int = 1) -> list[str]:
    """Source addresses 127.0.0.x (x >= 2), distinct per load process."""
    return [f"127.0.0.{2 + i * per + k}" for k in range(per)]


def machine_busy() -> float:
    """CPU seconds all processes on the machine have used (from /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICK


class Snapshot:
    """Server CPU and memory around a measured phase, and what the rest of the machine used."""

    def __init__(self, server: ServerProcess):
        assert server.stats is not None
        self.stats = server.stats
        self.peak_reset = self.stats.reset_peak()
        self.busy0 = machine_busy()
        self.cpu0 = self.stats.cpu()
        self.rss0 = self.stats.rss_kb()
        self.t0 = time.monotonic()

    def finish(self) -> None:
        self.cpu = self.stats.cpu() - self.cpu0
        self.busy = machine_busy() - self.busy0
        self.wall = time.monotonic() - self.t0
        status = self.stats.status()
        self.rss = status["VmRSS"]
        self.peak = status["VmHWM"]

    def others(self, load_cpu: float) -> str:
        """CPU used by processes other than the server and the load generator meanwhile."""
        other = max(0.0, self.busy - self.cpu - load_cpu)
        return f"{other:.1f} s ({other / max(1e-9, self.wall) * 100:.0f}% of a core)"


# ---- users per target --------------------------------------------------------------------------

@dataclass
class Person:
    id: int
    token: str


def ceiling_people(count: int, chats_of: Callable[[int], list[int]]) -> list[Person]:
    return [Person(i + 1, f"ceil:{i + 1}:" + ",".join(map(str, chats_of(i)))) for i in range(count)]


# ---- A and C: chat load ------------------------------------------------------------------------

def chat_load(server: ServerProcess, conns: list[dict[str, Any]], groups: list[list[int]],
              opts: Any, *, mode: str, duration: float, inflight: int = 1, rate: float = 0.0,
              profile: Path | None = None) -> dict[str, Any]:
    """Run one closed- or open-loop load over `conns` split into `groups` (indexes per process)."""
    specs = []
    for i, idx in enumerate(groups):
        specs.append({"job": "chat", "host": server.host, "port": server.port, "srcs": srcs_for(i),
                      "conns": [conns[k] for k in idx], "mode": mode, "inflight": inflight,
                      "rate": rate, "duration": duration, "pad": opts.pad,
                      "drain": opts.drain})
    with Pool(specs) as pool:
        ready = pool.recv_all(120)
        for r in ready:
            if not r.get("ready"):
                raise RuntimeError(f"connect failed: {r.get('failed')} sockets, e.g. {r.get('errors')}")
        time.sleep(0.5)  # let the online-status chatter of the connects settle
        snap = Snapshot(server)
        at = time.monotonic_ns() + NS // 5
        pool.send_all({"at": at})
        spy = start_profile(server, profile, duration + opts.drain) if profile else None
        sent = pool.recv_all(duration + 60)
        accepted: dict[int, list[int]] = {}
        for s in sent:
            for chat, ids in s["accepted"].items():
                accepted.setdefault(chat, []).extend(ids)
        pool.send_all([{"expect": {c: accepted.get(c, []) for c in
                                   {w for k in idx for w in conns[k]["watch"]}}}
                       for idx in groups])
        done = pool.recv_all(opts.drain + 60)
        snap.finish()
        if spy is not None:
            finish_profile(spy)
    first = min((s["first_send"] for s in sent if s["first_send"]), default=0)
    last_reply = max(s["last_reply"] for s in sent)
    last_delivery = max(d["last_delivery"] for d in done)
    n_accepted = sum(len(v) for v in accepted.values())
    errors: dict[str, int] = {}
    for s in sent:
        for k, v in s["errors"].items():
            errors[k] = errors.get(k, 0) + v
    e2e: list[float] = []
    send_lat: list[float] = []
    for d in done:
        e2e.extend(d["e2e"])
        send_lat.extend(d["send_lat"])
    span = max(1e-9, (last_reply - first) / NS)
    deliver_span = max(1e-9, (last_delivery - first) / NS)
    check = {k: sum(d[k] for d in done) for k in ("missing", "dups", "extra", "gaps", "lost")}
    check["unanswered"] = sum(s["unanswered"] for s in sent)
    codes: dict[str, int] = {}
    for d in done:
        for k, v in d["close_codes"].items():
            codes[k] = codes.get(k, 0) + v
    check["errors"] = sum(errors.values())
    return {
        "accepted": n_accepted, "sent": sum(s["sent"] for s in sent), "span": span,
        "throughput": n_accepted / span, "deliveries": sum(d["deliveries"] for d in done),
        "deliveries_per_s": sum(d["deliveries"] for d in done) / deliver_span,
        "send_lat": percentiles(send_lat), "e2e": percentiles(e2e), "e2e_n": len(e2e),
        "check": check, "ok": not any(check.values()), "error_types": errors,
        "close_codes": codes,
        "server_cpu": snap.cpu, "server_wall": snap.wall, "server_peak_mb": snap.peak / 1024,
        "server_rss_mb": snap.rss / 1024, "load_cpu": sum(d["cpu"] for d in done),
        "max_lag_ms": max(s["max_lag_ms"] for s in sent),
        "others": snap.others(sum(d["cpu"] for d in done)),
    }


def report_chat(run: Run, r: dict[str, Any], *, offered: float | None = None) -> None:
    if offered is not None:
        run.add("offered", offered, "msg/s", "none")
    run.add("accepted messages/s", r["throughput"], "msg/s", "higher")
    run.add("send latency (RPC round trip) p50/p95/p99/max", r["send_lat"]["p50"], "ms", "lower",
            latency=r["send_lat"])
    run.add("end-to-end (send → other member's update) p50/p95/p99/max", r["e2e"]["p50"], "ms",
            "lower", latency=r["e2e"])
    run.add("end-to-end p99", r["e2e"]["p99"], "ms", "lower")
    run.add("deliveries/s (new_message frames, all sockets)", r["deliveries_per_s"], "/s", "higher")
    c = r["check"]
    run.add("completeness", None, "", "none",
            text=("OK: every socket got every accepted message once, pts in order"
                  if r["ok"] else ", ".join(f"{k} {v}" for k, v in c.items() if v)))
    run.add("messages accepted", r["accepted"], "", "none")
    run.add("server CPU", r["server_cpu"], "s", "none",
            text=f"{r['server_cpu']:.1f} s ({r['server_cpu'] / r['server_wall'] * 100:.0f}% of a core)")
    run.add("server peak RSS", r["server_peak_mb"], "MiB", "lower")
    run.add("load generator CPU", r["load_cpu"], "s", "none",
            text=f"{r['load_cpu']:.1f} s ({r['load_cpu'] / r['server_wall'] * 100:.0f}% of a core)")
    run.add("other processes on the machine meanwhile", None, "", "none", text=r["others"])
    run.ok = run.ok and r["ok"]
    if r["error_types"]:
        run.notes.append(f"errors: {r['error_types']}")
    if r["close_codes"]:
        run.notes.append("sockets closed during the run, by close code (4000 = TOO_SLOW: the "
                         f"server dropped a socket whose send queue filled): {r['close_codes']}")
    if r["max_lag_ms"] > 50:
        run.notes.append(f"load generator fell {r['max_lag_ms']:.0f} ms behind its schedule")


def split(n_items: int, parts: int, unit: int = 1) -> list[list[int]]:
    """Indexes 0..n-1 into `parts` contiguous runs, cut only at multiples of `unit`."""
    blocks = n_items // unit
    parts = max(1, min(parts, blocks))
    out, start = [], 0
    for p in range(parts):
        size = (blocks * (p + 1)) // parts - (blocks * p) // parts
        out.append(list(range(start, start + size * unit)))
        start += size * unit
    return out


def scenario_a(opts: Any, target: str) -> list[Run]:
    members, n_send, n_recv = opts.a_members, opts.a_senders, opts.a_receivers
    with ServerProcess(target, database=opts.database) as server:
        if target == "steppe":
            users = asyncio.run(accounts.sign_up_many(server, members))
            chat = asyncio.run(accounts.create_group(server, users[0], users[1:]))
            people = [Person(u.id, u.token) for u in users]
        else:
            chat = 1
            people = ceiling_people(members, lambda i: [1])
        conns = [{"token": p.token, "user_id": p.id, "watch": [chat],
                  "send_chat": chat if i < n_send else None}
                 for i, p in enumerate(people[:n_send + n_recv])]
        # senders and receivers spread evenly over the load processes
        order = [k for pair in zip(range(n_send), range(n_send, n_send + n_recv), strict=False)
                 for k in pair]
        order += [k for k in range(n_send + n_recv) if k not in order]
        groups = [[order[j] for j in g] for g in split(len(order), opts.procs)]
        runs = []
        closed = Run("A", f"group {members} members, {n_send} senders × {opts.a_inflight} in "
                     f"flight, {n_recv} receivers, closed loop {opts.duration:g}s", target)
        prof = opts.profile_path if (opts.profile == "A" and target == "steppe") else None
        r = chat_load(server, conns, groups, opts, mode="closed", duration=opts.duration,
                      inflight=opts.a_inflight, profile=prof)
        report_chat(closed, r)
        runs.append(closed)
        if opts.a_rate > 0:
            opened = Run("A", f"group, open loop at {opts.a_rate:g} msg/s offered", target)
            r = chat_load(server, conns, groups, opts, mode="open", duration=opts.duration,
                          rate=opts.a_rate / n_send)
            report_chat(opened, r, offered=opts.a_rate)
            runs.append(opened)
        check_server(server, runs)
        return runs


def scenario_c(opts: Any, target: str) -> list[Run]:
    pairs = opts.c_pairs
    with ServerProcess(target, database=opts.database) as server:
        if target == "steppe":
            users = asyncio.run(accounts.sign_up_many(server, 2 * pairs))
            chats = asyncio.run(accounts.create_private_chats(
                server, [(users[2 * i], users[2 * i + 1]) for i in range(pairs)]))
            people = [Person(u.id, u.token) for u in users]
        else:
            chats = list(range(1, pairs + 1))
            people = ceiling_people(2 * pairs, lambda i: [i // 2 + 1])
        conns = [{"token": p.token, "user_id": p.id, "watch": [chats[i // 2]],
                  "send_chat": chats[i // 2]} for i, p in enumerate(people)]
        groups = split(len(conns), opts.procs, unit=2)
        run = Run("C", f"private chats: {2 * pairs} users in {pairs} pairs, all online, "
                  f"{opts.c_inflight} in flight each, closed loop {opts.duration:g}s", target)
        prof = opts.profile_path if (opts.profile == "C" and target == "steppe") else None
        r = chat_load(server, conns, groups, opts, mode="closed", duration=opts.duration,
                      inflight=opts.c_inflight, profile=prof)
        report_chat(run, r)
        check_server(server, [run])
        return [run]


# ---- E: idle connections -----------------------------------------------------------------------

def scenario_e(opts: Any, target: str) -> list[Run]:
    if getattr(opts, "nodes_de", False):  # `--only E --nodes K`: over several nodes
        from bench.nodes import scenario_e_nodes

        return scenario_e_nodes(opts, target)
    limit = raise_nofile()
    n = min(opts.e_conns, limit - 300)
    procs = max(opts.procs, math.ceil(n / 15000))
    run = Run("E", f"idle authorized WebSockets: {n:,}"
              + (f" (asked {opts.e_conns:,}; open-files limit {limit:,})" if n < opts.e_conns else ""),
              target)
    with ServerProcess(target, database=opts.database) as server:
        if target == "steppe":
            users = asyncio.run(accounts.sign_up_many(server, n, concurrency=48))
            tokens = [u.token for u in users]
        else:
            tokens = [p.token for p in ceiling_people(n, lambda i: [])]
        time.sleep(1.0)
        idle_measure(server, run, opts, tokens, procs)
    return [run]


def idle_measure(server: ServerProcess, run: Run, opts: Any, tokens: list[str], procs: int,
                 nodes: list[ServerProcess] | None = None) -> None:
    """Open and authorize one socket per token (spread over `procs` load processes, 4 source
    addresses each), hold them 2 s, read the server's memory, close them. With `nodes` (a
    multi-node run; `server` is then their Cluster), socket k goes to node k mod len(nodes) and
    each node gets its own rows."""
    n = len(tokens)
    ports = [node.port for node in nodes] if nodes else None
    specs = [{"job": "idle", "host": server.host, "port": server.port,
              "srcs": srcs_for(i, 4), "tokens": [tokens[k] for k in idx],
              "concurrency": opts.e_concurrency, "hold": 300,
              "ports": [ports[k % len(ports)] for k in idx] if ports else None}
             for i, idx in enumerate(split(n, procs))]
    rss0 = [node.stats.rss_kb() for node in nodes or []]  # type: ignore[union-attr]
    snap = Snapshot(server)
    with Pool(specs) as pool:
        ready = pool.recv_all(600)
        connect_wall = max(r["elapsed"] for r in ready)
        cpu_connect = server.stats.cpu() - snap.cpu0  # type: ignore[union-attr]
        time.sleep(2.0)
        snap.finish()
        fds = server.stats.fds()  # type: ignore[union-attr]
        per_node = [(node.stats.rss_kb(), node.stats.fds(), node.stats.cpu())  # type: ignore[union-attr]
                    for node in nodes or []]
        pool.send_all({"cmd": "close"})
        done = pool.recv_all(120)
    opened = sum(r["opened"] for r in ready)
    failed = sum(r["failed"] for r in ready)
    still = sum(d["still_open"] for d in done)
    took = [t for r in ready for t in r["connect_ms"]]
    per_conn = (snap.rss - snap.rss0) / max(1, opened)
    where = "sum over the nodes" if nodes else "server"
    run.add("connections open", opened, "", "none",
            text=f"{opened:,} of {n:,} ({failed} failed; {still:,} still open at the end; "
                 f"{where} fds {fds:,})")
    run.add("RSS per idle connection", per_conn, "KiB", "lower",
            text=(f"{fmt(per_conn, 'KiB')} (sum of the nodes' RSS growth ÷ connections)"
                  if nodes else None))
    run.add("server RSS before → after", snap.rss / 1024, "MiB", "none",
            text=f"{snap.rss0 / 1024:.0f} → {snap.rss / 1024:.0f} MiB"
                 + (" (sum over the nodes)" if nodes else ""))
    if nodes:
        by_port: dict[int, int] = {}
        for r in ready:
            for port, count in r["by_port"].items():
                by_port[port] = by_port.get(port, 0) + count
        for i, node in enumerate(nodes):
            got = by_port.get(node.port, 0)
            rss, node_fds, _ = per_node[i]
            run.add(f"node {i + 1}", (rss - rss0[i]) / max(1, got), "KiB", "none",
                    text=f"{got:,} connections, RSS {rss0[i] / 1024:.0f} → {rss / 1024:.0f} MiB "
                         f"({(rss - rss0[i]) / max(1, got):.2f} KiB each), {node_fds:,} fds")
    run.add("connect + authorize rate", opened / max(1e-9, connect_wall), "conn/s", "higher")
    lat = percentiles(took)
    run.add("connect + authorize latency p50/p95/p99/max", lat["p50"], "ms", "lower",
            latency=lat)
    run.add("server CPU (connecting)", cpu_connect, "s", "none",
            text=f"{cpu_connect:.1f} s (sum over the nodes)" if nodes else None)
    run.add("server peak RSS", snap.peak / 1024, "MiB", "lower",
            text=f"{snap.peak / 1024:.0f} MiB (sum of the nodes' peaks)" if nodes else None)
    run.add("load generator CPU", sum(r["cpu"] for r in ready), "s", "none",
            text=(f"{sum(r['cpu'] for r in ready):.1f} s in {len(specs)} processes × 4 source "
                  "addresses") if nodes else None)
    run.add("other processes on the machine meanwhile", None, "", "none",
            text=snap.others(sum(r["cpu"] for r in ready)))
    run.ok = failed == 0 and still == opened
    if failed:
        run.notes.append(f"connect errors, e.g. {[e for r in ready for e in r.get('errors', [])][:3]}")
    check_server(server, [run])


# ---- F: reconnect storm ------------------------------------------------------------------------

def storm_setup(server: ServerProcess, n: int, n_groups: int, size: int, missed: int
                ) -> list[dict[str, Any]]:
    """F on Steppe: devices and a poster per group sign up, the posters create the groups, the
    devices' states are read, then each poster posts `missed` messages the devices miss."""
    devices = asyncio.run(accounts.sign_up_many(server, n, concurrency=48))
    posters = asyncio.run(accounts.sign_up_many(server, n_groups, first=n + 1))

    async def prepare() -> list[dict[str, Any]]:
        chats = []
        for g in range(n_groups):
            chats.append(await accounts.create_group(
                server, posters[g], devices[g * size:(g + 1) * size], f"storm {g}"))
        states = await accounts.states(server, devices, concurrency=48)

        async def post(conn: accounts.HttpConn, g: int) -> None:
            for k in range(missed):
                await conn.call("messages.sendMessage", posters[g].token,
                                peer={"chat_id": chats[g]}, text=f"missed {k}",
                                random_id=k + 1)

        await accounts.for_each(list(range(n_groups)), post, server, concurrency=n_groups)
        return [{"token": d.token, "seq": s["seq"],
                 "pts": {int(k): v for k, v in s["chats"].items()}, "expect": missed}
                for d, s in zip(devices, states, strict=True)]

    return asyncio.run(prepare())


async def ceiling_storm_setup(server: ServerProcess, n: int, n_groups: int, size: int,
                              missed: int) -> list[dict[str, Any]]:
    """F on the ceiling: group g is chat g + 1; its poster (one socket a group) posts `missed`
    messages, one at a time, which the ceiling keeps; each device's state is pts 0 in its chat."""
    from bench import wsclient

    async def post(g: int) -> None:
        ws = await wsclient.connect(server.host, server.port, timeout=60)
        try:
            await wsclient.call(ws, "connection.authorize", {"token": f"ceil:{n + g + 1}:{g + 1}"})
            for k in range(missed):
                await wsclient.call(ws, "messages.sendMessage",
                                    {"peer": {"chat_id": g + 1}, "text": f"missed {k}",
                                     "random_id": k + 1})
        finally:
            ws.close()

    await asyncio.gather(*(post(g) for g in range(n_groups)))
    return [{"token": p.token, "seq": 0, "pts": {i // size + 1: 0}, "expect": missed}
            for i, p in enumerate(ceiling_people(n, lambda i: [i // size + 1]))]


def scenario_f(opts: Any, target: str) -> list[Run]:
    n, missed, size = opts.f_devices, opts.f_missed, min(opts.f_group, 199)
    limit = raise_nofile()
    if n > limit - 300:
        n = limit - 300
    n_groups = math.ceil(n / size)
    run = Run("F", f"reconnect storm: {n:,} devices in {n_groups} groups of ≤{size}, "
              f"{missed} missed events each, all reconnect at once", target)
    with ServerProcess(target, database=opts.database) as server:
        t0 = time.monotonic()
        if target == "steppe":
            devs = storm_setup(server, n, n_groups, size, missed)
        else:
            devs = asyncio.run(ceiling_storm_setup(server, n, n_groups, size, missed))
        what = "sign-ups, groups, " if target == "steppe" else ""
        run.notes.append(f"set-up ({what}{n_groups * missed:,} posts) took "
                         f"{time.monotonic() - t0:.1f}s")
        procs = max(opts.procs, math.ceil(n / 15000))
        specs = [{"job": "storm", "host": server.host, "port": server.port,
                  "srcs": srcs_for(i, 4), "devices": [devs[k] for k in idx],
                  "concurrency": opts.f_concurrency, "timeout": 300}
                 for i, idx in enumerate(split(n, procs))]
        with Pool(specs) as pool:
            pool.recv_all(120)
            snap = Snapshot(server)
            pool.send_all({"at": time.monotonic_ns() + NS // 2})
            spy = (start_profile(server, opts.profile_path, 120) if opts.profile == "F" else None)
            done = pool.recv_all(360)
            snap.finish()
            if spy is not None:
                finish_profile(spy)
        took = [t for d in done for t in d["took_ms"]]
        caught = sum(d["caught"] for d in done)
        bad = sum(d["bad_count"] for d in done)
        lat = percentiles(took)
        run.add("time until all caught up", lat["max"] / 1000 if took else None, "s", "lower")
        run.add("per-device catch-up p50/p95/p99/max", lat["p50"], "ms", "lower", latency=lat)
        run.add("devices caught up", caught, "", "none",
                text=f"{caught:,} of {n:,}; {sum(d['events'] for d in done):,} events; "
                     + ("all complete, in pts order" if not bad else f"{bad} problems"))
        run.add("events/s delivered", sum(d["events"] for d in done) / max(1e-9, lat["max"] / 1000),
                "/s", "higher")
        run.add("server CPU", snap.cpu, "s", "none")
        run.add("server peak RSS", snap.peak / 1024, "MiB", "lower")
        run.add("load generator CPU", sum(d["cpu"] for d in done), "s", "none")
        run.add("other processes on the machine meanwhile", None, "", "none",
                text=snap.others(sum(d["cpu"] for d in done)))
        run.ok = caught == n and not bad
        if bad:
            run.notes.append(f"problems, e.g. {[d['bad'] for d in done if d['bad']][:2]}")
        check_server(server, [run])
    return [run]


# ---- B: channel ---------------------------------------------------------------------------------

def scenario_b(opts: Any, target: str) -> list[Run]:
    """The owner of a channel with `b_subscribers` subscribers posts to it, `b_online` of them
    online (the others' copies wait in the channel's log): first one post at a time, then with
    `b_inflight` posts in flight. The ceiling has only the online sockets (it keeps no members)."""
    subs, online = opts.b_subscribers, min(opts.b_online, opts.b_subscribers)
    with ServerProcess(target, database=opts.database) as server:
        setup_note = None
        if target == "steppe":
            t0 = time.monotonic()
            users = asyncio.run(accounts.sign_up_many(server, subs + 1, concurrency=48))
            t1 = time.monotonic()
            chat = asyncio.run(accounts.create_channel(server, users[0], users[1:]))
            t2 = time.monotonic()
            setup_note = (f"set-up (not in the figures): {subs + 1:,} sign-ups {t1 - t0:.1f}s, "
                          f"createChannel + {subs:,} subscribers by inviteToChannel (100 a call, "
                          f"4 calls at a time) {t2 - t1:.1f}s")
            people = [Person(u.id, u.token) for u in users[:online + 1]]
        else:
            chat = 1
            people = ceiling_people(online + 1, lambda i: [1])
        # the owner (index 0) sends and watches its own posts; the online subscribers watch
        conns = [{"token": p.token, "user_id": p.id, "watch": [chat],
                  "send_chat": chat if i == 0 else None, "e2e": i != 0}
                 for i, p in enumerate(people)]
        groups = split(len(conns), opts.procs)
        runs = []
        for inflight in dict.fromkeys((1, opts.b_inflight)):
            how = "one post at a time" if inflight == 1 else f"{inflight} posts in flight"
            run = Run("B", f"channel: {subs:,} subscribers, {online} online; the owner posts "
                      f"{how}, closed loop {opts.duration:g}s", target)
            prof = (opts.profile_path if (opts.profile == "B" and target == "steppe"
                                          and inflight == 1) else None)
            r = chat_load(server, conns, groups, opts, mode="closed", duration=opts.duration,
                          inflight=inflight, profile=prof)
            report_chat(run, r)
            runs.append(run)
        if setup_note:
            runs[0].notes.append(setup_note)
        check_server(server, runs)
        return runs


# ---- D: channel fan-out --------------------------------------------------------------------------

def scenario_d(opts: Any, target: str) -> list[Run]:
    if getattr(opts, "nodes_de", False):  # `--only D --nodes K`: over several nodes
        from bench.nodes import scenario_d_nodes

        return scenario_d_nodes(opts, target)
    limit = raise_nofile()
    return [fanout_once(opts, target, n, limit) for n in opts.d_conns]


def fanout_once(opts: Any, target: str, asked: int, limit: int) -> Run:
    """One channel, `n` subscribers all connected (spread over load processes and 127.0.0.x
    source addresses), the owner's socket in the first process; `d_posts` single posts, each
    timed from the owner's send to the last subscriber socket's copy."""
    n = min(asked, limit - 400)  # the server process holds every socket under the same limit
    capped = (f" (asked {asked:,}; one server process holds at most its open-files limit, "
              f"{limit:,})" if n < asked else "")
    run = Run("D", f"fan-out: one channel post to {n:,} connected subscribers{capped}", target)
    with ServerProcess(target, database=opts.database) as server:
        t0 = time.monotonic()
        if target == "steppe":
            users = asyncio.run(accounts.sign_up_many(server, n + 1, concurrency=48))
            t1 = time.monotonic()
            chat = asyncio.run(accounts.create_channel(server, users[0], users[1:]))
            tokens = [u.token for u in users[1:]]
            poster = users[0].token
            run.notes.append(f"set-up (not in the figures): {n + 1:,} sign-ups {t1 - t0:.1f}s, "
                             f"channel + {n:,} subscribers {time.monotonic() - t1:.1f}s")
        else:
            chat = 1
            people = ceiling_people(n + 1, lambda i: [1])
            tokens = [p.token for p in people[1:]]
            poster = people[0].token
        fanout_measure(server, run, opts, tokens, poster, chat, target)
    return run


def fanout_measure(server: ServerProcess, run: Run, opts: Any, tokens: list[str], poster: str,
                   chat: int, target: str, nodes: list[ServerProcess] | None = None) -> None:
    """Connect one socket per subscriber token and the owner's (`poster`) in the first load
    process; `d_posts` single posts, each timed from the owner's send to the last socket's copy.
    With `nodes` (a multi-node run; `server` is their Cluster), subscriber k connects to node
    k mod len(nodes) and the owner to node 1, so the other nodes get each post over the bus."""
    n = len(tokens)
    ports = [node.port for node in nodes] if nodes else None
    procs = max(opts.procs, math.ceil(n / 10000))
    specs = [{"job": "fanout", "host": server.host, "port": server.port,
              "srcs": srcs_for(i, 4), "tokens": [tokens[k] for k in idx], "chat": chat,
              "concurrency": opts.e_concurrency, "poster": poster if i == 0 else None,
              "hold": 900, "ports": [ports[k % len(ports)] for k in idx] if ports else None}
             for i, idx in enumerate(split(n, procs))]
    tc = time.monotonic()
    with Pool(specs) as pool:
        ready = pool.recv_all(600)
        connect_wall = time.monotonic() - tc
        opened = sum(r["opened"] for r in ready)
        failed = sum(r["failed"] for r in ready)
        time.sleep(1.0)  # let the connects' own chatter settle
        snap = Snapshot(server)
        posts = []
        wait = 10 + n / 2000
        for k in range(opts.d_posts):
            pool.send_all({"at": time.monotonic_ns() + NS // 5, "text": f"fan-out post {k + 1}",
                           "timeout": wait})
            got = pool.recv_all(wait + 60)
            posts.append(got)
            time.sleep(0.3)
        snap.finish()
    load_cpu = sum(g["cpu"] for post in posts for g in post)
    lasts, replies, per_device, problems = [], [], [], []
    complete = 0
    for k, got in enumerate(posts):
        sent_at = got[0]["sent_at"]
        if got[0]["error"] or not sent_at:
            problems.append(f"post {k + 1} failed: {got[0]['error']}")
            continue
        replies.append((got[0]["reply_at"] - sent_at) / 1e6)
        arrivals = [a for g in got for a in g["arrivals"]]
        received = len(arrivals)
        dups = sum(g["dups"] for g in got)
        if received == opened and not dups:
            complete += 1
        else:
            problems.append(f"post {k + 1}: {received:,} of {opened:,} sockets got it, "
                            f"{dups} twice or more, {sum(g['lost'] for g in got)} sockets lost")
        if arrivals:
            lasts.append((max(arrivals) - sent_at) / 1e6)
            per_device.extend((a - sent_at) / 1e6 for a in arrivals)
    mid = sorted(lasts)[len(lasts) // 2] if lasts else None
    run.add("connected subscribers", opened, "", "none",
            text=f"{opened:,} of {n:,} ({failed} failed) in {connect_wall:.1f}s, "
                 f"{procs} load processes × 4 source addresses")
    if nodes:
        by_port: dict[int, int] = {}
        for r in ready:
            for port, count in r["by_port"].items():
                by_port[port] = by_port.get(port, 0) + count
        # per node: the median over the posts of the time its last socket had the post
        node_last = []
        for node in nodes:
            times = sorted((max((g["last_by_port"].get(node.port, 0) for g in got), default=0)
                            - got[0]["sent_at"]) / 1e6
                           for got in posts if got[0]["sent_at"] and not got[0]["error"])
            node_last.append(fmt(times[len(times) // 2], "ms") if times else "n/a")
        run.add("subscribers per node, its last device (median of the posts)", None, "", "none",
                text="; ".join(f"node {i + 1}{' (the owner)' if i == 0 else ''} "
                               f"{by_port.get(node.port, 0):,} sockets, last {node_last[i]}"
                               for i, node in enumerate(nodes)))
    run.add("time until the last device has the post", mid, "ms", "lower",
            text=(f"{fmt(mid, 'ms')} (median of {len(lasts)}, max {fmt(max(lasts), 'ms')}; each: "
                  + " / ".join(fmt(x) for x in lasts) + " ms)") if lasts else "n/a")
    run.add("per-device delivery (post → socket) p50/p95/p99/max",
            percentiles(per_device)["p50"], "ms", "lower", latency=percentiles(per_device))
    run.add("post RPC round trip (owner's send → reply)",
            sorted(replies)[len(replies) // 2] if replies else None, "ms", "lower")
    run.add("deliveries/s while fanning out", n / (mid / 1000) if mid else None, "/s",
            "higher")
    run.add("completeness", None, "", "none",
            text=(f"OK: each of {len(posts)} posts reached all {opened:,} sockets once"
                  if not problems else "; ".join(problems[:3])))
    run.add("server CPU (all posts)", snap.cpu, "s", "none",
            text=f"{snap.cpu:.2f} s (sum over the nodes)" if nodes else None)
    run.add("server peak RSS", snap.peak / 1024, "MiB", "lower",
            text=f"{snap.peak / 1024:.0f} MiB (sum of the nodes' peaks)" if nodes else None)
    run.add("load generator CPU (all posts)", load_cpu, "s", "none")
    run.add("other processes on the machine meanwhile", None, "", "none",
            text=snap.others(load_cpu))
    if target == "steppe" and n >= 10_000 and mid is not None:
        run.notes.append(f"target: {n:,} subscribers within 1 s: "
                         + ("met" if mid <= 1000 else "not met"))
    run.ok = not problems and failed == 0
    check_server(server, [run])


# ---- G: Bot API ----------------------------------------------------------------------------------

def scenario_g(opts: Any, target: str) -> list[Run]:
    """sendMessage/s from many bots, then getUpdates latency: bench/botapi.py."""
    from bench.botapi import scenario_g as run

    return run(opts, target)


def check_server(server: ServerProcess, runs: list[Run]) -> None:
    if server.errors:
        for run in runs:
            run.notes.append(f"server logged {server.errors} errors; last lines: "
                             + " | ".join(list(server.tail)[-3:]))
    if not server.alive():
        for run in runs:
            run.ok = False
            run.notes.append("server exited during the scenario")


# ---- profiling ---------------------------------------------------------------------------------

def start_profile(server: ServerProcess, path: Path, duration: float) -> subprocess.Popen[bytes] | None:
    from shutil import which

    spy = which("py-spy") or str(Path(server.command()[0]).parent / "py-spy")
    if not Path(spy).exists() and which("py-spy") is None:
        print("  (py-spy not installed: no profile)")
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    secs = max(1, int(duration))
    assert server.proc is not None
    return subprocess.Popen([spy, "record", "--pid", str(server.proc.pid), "--duration", str(secs),
                             "--rate", "200", "--format", "raw",
                             # BENCH_PYSPY="--native" samples C frames too (pausing the server)
                             *os.environ.get("BENCH_PYSPY", "--nonblocking").split(),
                             "-o", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def finish_profile(proc: subprocess.Popen[bytes]) -> None:
    """Stop py-spy if the phase ended first (on SIGINT it still writes what it sampled)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# ---- the registry ------------------------------------------------------------------------------

SCENARIOS: dict[str, tuple[str, Callable[[Any, str], list[Run]], bool]] = {
    # key: (title, function, has a ceiling run)
    "A": ("group", scenario_a, True),
    "B": ("channel", scenario_b, True),
    "C": ("private chats", scenario_c, True),
    "D": ("channel fan-out", scenario_d, True),
    "E": ("idle connections", scenario_e, True),
    "F": ("reconnect storm", scenario_f, True),
    "G": ("Bot API", scenario_g, True),
}

# scenarios whose server feature has not landed: key -> (title, what it needs)
NOT_YET: dict[str, tuple[str, str]] = {}

ORDER = "ABCDEFG"
