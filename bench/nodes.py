"""Multi-node runs (issue 8): scenario A (or C) against 1, 2, 3 ... `steppe serve` processes that
share one PostgreSQL database and one NATS (or Redis) bus, the devices spread over the nodes.

    .venv/bin/python -m bench.run --only A --nodes 1,2,3 [--nodes-scenario C]
        [--pg postgresql://postgres@127.0.0.1:5432] [--bus nats://127.0.0.1:4222]

Each node count gets a fresh database (`steppe_bench_<pid>_<n>`, created on the PostgreSQL server
and dropped afterwards) and its nodes, started as in docs/deploy.md:
`steppe --data DIR --rate-limit 0 --database postgresql://.../DB serve --port P --bus URL`
(node 1 first, so it applies the migrations; then the others). Users sign in on node 1 (the
login codes are in its log); the load's sockets go to the nodes round-robin, so most deliveries
cross the bus. When PostgreSQL or the bus cannot be reached, or a node refuses the URLs, the
runs are skipped with the reason in the table.

D and E run over nodes too (`--only D --nodes 3 --d-conns 50000`, `--only E --nodes 6 --e-conns
100000`): the accounts, their tokens and D's channel are written by bench/fill.py before the
nodes start; each node holds at most NODE_SOCKETS sockets (socket k on node k mod K), D's owner
posts on node 1 and the other nodes get the post over the bus.
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import socket
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

from bench import accounts
from bench.fill import run_fill
from bench.scenarios import (
    Person,
    Run,
    chat_load,
    check_server,
    fanout_measure,
    idle_measure,
    report_chat,
    split,
)
from bench.server import ServerProcess, raise_nofile

# Sockets one node is given at most in D and E: its open-files limit (20,000 here) less room for
# its PostgreSQL pool, the bus, the log pipe and the listening socket.
NODE_SOCKETS = 18_000


class MultiStats:
    """ProcStats over several processes: CPU and memory summed (peak RSS: the sum of peaks)."""

    def __init__(self, nodes: list[ServerProcess]):
        self.parts = [n.stats for n in nodes]

    def cpu(self) -> float:
        return sum(p.cpu() for p in self.parts)  # type: ignore[union-attr]

    def status(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.parts:
            for k, v in p.status().items():  # type: ignore[union-attr]
                out[k] = out.get(k, 0) + v
        return out

    def rss_kb(self) -> int:
        return self.status()["VmRSS"]

    def reset_peak(self) -> bool:
        return all(p.reset_peak() for p in self.parts)  # type: ignore[union-attr]

    def fds(self) -> int:
        return sum(p.fds() for p in self.parts)  # type: ignore[union-attr]


class Cluster:
    """Several nodes seen as one server by the scenarios (host/port: node 1)."""

    def __init__(self, nodes: list[ServerProcess]):
        self.nodes = nodes
        self.host, self.port = nodes[0].host, nodes[0].port
        self.stats = MultiStats(nodes)
        self.proc = nodes[0].proc

    @property
    def errors(self) -> int:
        return sum(n.errors for n in self.nodes)

    @property
    def tail(self) -> deque[str]:
        out: deque[str] = deque(maxlen=200)
        for i, n in enumerate(self.nodes):
            out.extend(f"node {i + 1}: {line}" for line in list(n.tail)[-3:])
        return out

    def code(self, phone: str) -> str | None:
        for n in self.nodes:
            got = n.code(phone)
            if got is not None:
                return got
        return None

    def alive(self) -> bool:
        return all(n.alive() for n in self.nodes)


def reachable(url: str, default_port: int) -> str | None:
    """None when a TCP connection to the URL's host and port opens, else why not."""
    u = urlparse(url)
    host, port = u.hostname or "127.0.0.1", u.port or default_port
    try:
        with socket.create_connection((host, port), timeout=2):
            return None
    except OSError as exc:
        return f"{host}:{port} unreachable ({exc.strerror or exc})"


async def _admin(pg: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(pg.rstrip("/") + "/postgres", timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def skipped(why: str, counts: list[int], scenario: str) -> Run:
    run = Run("N", f"multi-node {scenario} on {','.join(map(str, counts))} "
              f"node{'s' if counts != [1] else ''}: skipped", "steppe")
    run.add("skipped", None, "", "none", text=why)
    return run


def preflight(opts: Any) -> str | None:
    """Why the multi-node runs cannot run here, or None."""
    bus_port = 6379 if opts.bus.startswith("redis") else 4222
    for url, port, what in ((opts.pg, 5432, "PostgreSQL"), (opts.bus, bus_port, "the bus")):
        why = reachable(url, port)
        if why:
            return f"{what} at {url}: {why}"
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        return "asyncpg is not installed"
    return None


def scenario_nodes(opts: Any) -> list[Run]:
    counts = opts.nodes
    which = opts.nodes_scenario
    why = preflight(opts)
    if why:
        return [skipped(why, counts, which)]
    runs: list[Run] = []
    per_count: list[tuple[int, float]] = []
    for n in counts:
        db = f"steppe_bench_{__import__('os').getpid()}_{n}"
        try:
            asyncio.run(_admin(opts.pg, f'DROP DATABASE IF EXISTS "{db}"'))
            asyncio.run(_admin(opts.pg, f'CREATE DATABASE "{db}"'))
        except Exception as exc:  # noqa: BLE001 - reported as a skip
            runs.append(skipped(f"cannot create database {db} on {opts.pg}: "
                                f"{type(exc).__name__}: {exc}", [n], which))
            continue
        try:
            run = run_on_nodes(opts, n, which, opts.pg.rstrip("/") + "/" + db)
            runs.append(run)
            thr = run.get("accepted messages/s")
            if thr is not None and thr.value:
                per_count.append((n, thr.value))
        except NodeRefused as exc:
            runs.append(skipped(str(exc), [n], which))
        finally:
            try:
                asyncio.run(_admin(opts.pg, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            except Exception:  # noqa: BLE001 - best effort
                pass
    if per_count:
        summary = Run("N", f"multi-node {which}: throughput per node count (PostgreSQL + "
                      f"{urlparse(opts.bus).scheme.upper()}, same machine)", "steppe")
        base = per_count[0][1]
        for n, value in per_count:
            summary.add(f"{n} node{'s' if n > 1 else ''}", value, "msg/s", "none",
                        text=f"{value:,.0f} msg/s (×{value / base:.2f} of {per_count[0][0]} "
                             f"node{'s' if per_count[0][0] > 1 else ''})")
        summary.notes.append("every node, PostgreSQL, NATS and the load generator share this "
                             "machine's cores: more nodes add CPU contention, not CPU")
        runs.append(summary)
    return runs


class NodeRefused(RuntimeError):
    pass


def start_nodes(opts: Any, n: int, db_url: str, data: str, nodes: list[ServerProcess]) -> None:
    """Start `n` nodes on one database and bus, node 1 first (it applies the migrations); each
    started node is appended to `nodes` (the caller stops them)."""
    for i in range(n):
        node = ServerProcess("steppe", database=db_url, serve_args=["--bus", opts.bus],
                             data=data)
        try:
            node.start(timeout=90)
        except RuntimeError as exc:
            lines = [x.strip() for x in str(exc).splitlines()
                     if x.strip() and not set(x.strip()) <= set("^~ ")]
            raise NodeRefused(f"node {i + 1} of {n} refused `--database {db_url} --bus "
                              f"{opts.bus}`: {' / '.join(lines[-2:])[-400:]}") from None
        nodes.append(node)


def run_on_nodes(opts: Any, n: int, which: str, db_url: str) -> Run:
    data = tempfile.mkdtemp(prefix="steppe-bench-nodes-")
    nodes: list[ServerProcess] = []
    try:
        start_nodes(opts, n, db_url, data, nodes)
        cluster = Cluster(nodes)
        ports = [node.port for node in nodes]
        label = (f"on {n} node{'s' if n > 1 else ''} (PostgreSQL + "
                 f"{urlparse(opts.bus).scheme.upper()}), sockets round-robin over the nodes")
        t0 = time.monotonic()
        if which == "C":
            pairs = opts.c_pairs
            users = asyncio.run(accounts.sign_up_many(cluster, 2 * pairs))  # type: ignore[arg-type]
            chats = asyncio.run(accounts.create_private_chats(
                cluster, [(users[2 * i], users[2 * i + 1]) for i in range(pairs)]))  # type: ignore[arg-type]
            conns = [{"token": u.token, "user_id": u.id, "watch": [chats[i // 2]],
                      "send_chat": chats[i // 2], "port": ports[i % n]}
                     for i, u in enumerate(users)]
            groups = split(len(conns), opts.procs, unit=2)
            run = Run("N", f"C private chats, {pairs} pairs, 1 in flight, closed loop "
                      f"{opts.duration:g}s, {label}", "steppe")
            inflight = opts.c_inflight
        else:
            members, n_send, n_recv = opts.a_members, opts.a_senders, opts.a_receivers
            users = asyncio.run(accounts.sign_up_many(cluster, members))  # type: ignore[arg-type]
            chat = asyncio.run(accounts.create_group(cluster, users[0], users[1:]))  # type: ignore[arg-type]
            people = [Person(u.id, u.token) for u in users]
            conns = []
            for i, p in enumerate(people[:n_send + n_recv]):
                k = i if i < n_send else i - n_send
                conns.append({"token": p.token, "user_id": p.id, "watch": [chat],
                              "send_chat": chat if i < n_send else None,
                              "port": ports[k % n]})
            order = [k for pair in zip(range(n_send), range(n_send, n_send + n_recv),
                                       strict=False) for k in pair]
            order += [k for k in range(n_send + n_recv) if k not in order]
            groups = [[order[j] for j in g] for g in split(len(order), opts.procs)]
            run = Run("N", f"A group {members} members, {n_send} senders × {opts.a_inflight} "
                      f"in flight, {n_recv} receivers, closed loop {opts.duration:g}s, {label}",
                      "steppe")
            inflight = opts.a_inflight
        run.notes.append(f"set-up (sign-ups on node 1, chats) {time.monotonic() - t0:.1f}s")
        r = chat_load(cluster, conns, groups, opts, mode="closed",  # type: ignore[arg-type]
                      duration=opts.duration, inflight=inflight)
        report_chat(run, r)
        run.figures = [f for f in run.figures if f.name != "server peak RSS"]
        run.add("server peak RSS (sum over nodes)", r["server_peak_mb"], "MiB", "none")
        check_server(cluster, [run])  # type: ignore[arg-type]
        return run
    finally:
        for node in nodes:
            node.stop()
        shutil.rmtree(data, ignore_errors=True)


# ---- D and E over several nodes ------------------------------------------------------------------

@contextmanager
def fresh_database(opts: Any, tag: str) -> Iterator[str]:
    """A new database `steppe_bench_<pid>_<tag>` on the --pg server, dropped afterwards."""
    db = f"steppe_bench_{os.getpid()}_{tag}"
    asyncio.run(_admin(opts.pg, f'DROP DATABASE IF EXISTS "{db}"'))
    asyncio.run(_admin(opts.pg, f'CREATE DATABASE "{db}"'))
    try:
        yield opts.pg.rstrip("/") + "/" + db
    finally:
        try:
            asyncio.run(_admin(opts.pg, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        except Exception:  # noqa: BLE001 - best effort
            pass


def pooled(db_url: str, n: int) -> str:
    """The nodes' database URL: each node's asyncpg pool capped so that n nodes stay well under
    PostgreSQL's max_connections (100 by default), which other users of the server share."""
    return f"{db_url}?pool_max={max(4, min(20, 72 // n))}"


def _node_cap() -> int:
    return min(NODE_SOCKETS, raise_nofile() - 2000)


def _skip(key: str, title: str, why: str) -> Run:
    run = Run(key, f"{title}: skipped", "steppe")
    run.add("skipped", None, "", "none", text=why)
    return run


def scenario_d_nodes(opts: Any, target: str) -> list[Run]:
    """D (`--only D --nodes K[,K...]`): each node count × each `--d-conns` size, on a fresh
    database filled by bench/fill.py."""
    if target != "steppe":
        return []  # the ceiling is one process: it stays under its own open-files limit
    why = preflight(opts)
    if why:
        return [_skip("D", f"fan-out on {opts.nodes} nodes", why)]
    return [fanout_on_nodes(opts, k, asked) for k in opts.nodes for asked in opts.d_conns]


def scenario_e_nodes(opts: Any, target: str) -> list[Run]:
    """E (`--only E --nodes K[,K...]`): `--e-conns` idle sockets over each node count."""
    if target != "steppe":
        return []
    why = preflight(opts)
    if why:
        return [_skip("E", f"idle connections on {opts.nodes} nodes", why)]
    return [idle_on_nodes(opts, k) for k in opts.nodes]


def _where(opts: Any, k: int) -> str:
    return (f"{k} node{'s' if k > 1 else ''} (PostgreSQL + "
            f"{urlparse(opts.bus).scheme.upper()})")


@contextmanager
def filled_nodes(opts: Any, k: int, key: str, accounts: int, *, channel: bool
                 ) -> Iterator[tuple[list[ServerProcess], dict[str, Any], str]]:
    """A fresh database filled by bench/fill.py (`accounts` with a token each, and with
    `channel` a channel the first owns and the others are in), then `k` nodes on it: yields the
    nodes, what fill.py wrote and a note on the set-up's time. The nodes stop and the database
    goes afterwards."""
    with fresh_database(opts, key) as db_url:
        data = tempfile.mkdtemp(prefix="steppe-bench-nodes-")
        nodes: list[ServerProcess] = []
        try:
            t0 = time.monotonic()
            filled = run_fill(sys.executable, data, db_url, accounts, channel=channel)
            t1 = time.monotonic()
            start_nodes(opts, k, pooled(db_url, k), data, nodes)
            what = (f"{accounts:,} accounts with a token each, the channel and its "
                    f"{accounts - 1:,} subscribers" if channel
                    else f"{accounts:,} accounts with a token each")
            yield nodes, filled, (
                f"set-up (not in the figures): {what} written by bench/fill.py (Steppe's store,"
                f" its bulk fast path) {t1 - t0:.1f}s; {k} nodes started"
                f" {time.monotonic() - t1:.1f}s")
        finally:
            for node in nodes:
                node.stop()
            shutil.rmtree(data, ignore_errors=True)


def fanout_on_nodes(opts: Any, k: int, asked: int) -> Run:
    cap = _node_cap()
    n = min(asked, k * cap - 1)  # node 1 also holds the owner's socket
    capped = (f" (asked {asked:,}; {k} node{'s' if k > 1 else ''} × {cap:,} sockets at most)"
              if n < asked else "")
    run = Run("D", f"fan-out: one channel post to {n:,} connected subscribers{capped} on "
              f"{_where(opts, k)}, subscribers round-robin over the nodes, the owner on node 1",
              "steppe")
    try:
        with filled_nodes(opts, k, f"d{k}_{n}", n + 1, channel=True) as (nodes, filled, note):
            run.notes.append(note)
            tokens = filled["tokens"]
            fanout_measure(Cluster(nodes), run, opts, tokens[1:], tokens[0],  # type: ignore[arg-type]
                           int(filled["chat"]), "steppe", nodes=nodes)
    except NodeRefused as exc:
        return _skip("D", run.label, str(exc))
    return run


def idle_on_nodes(opts: Any, k: int) -> Run:
    cap = _node_cap()
    n = min(opts.e_conns, k * cap)
    procs = max(opts.procs, math.ceil(n / 15000))
    capped = (f" (asked {opts.e_conns:,}; {k} node{'s' if k > 1 else ''} × {cap:,} sockets at "
              "most)" if n < opts.e_conns else "")
    run = Run("E", f"idle authorized WebSockets: {n:,}{capped} on {_where(opts, k)}, "
              "round-robin over the nodes", "steppe")
    try:
        with filled_nodes(opts, k, f"e{k}_{n}", n, channel=False) as (nodes, filled, note):
            run.notes.append(note)
            time.sleep(1.0)
            idle_measure(Cluster(nodes), run, opts, filled["tokens"], procs,  # type: ignore[arg-type]
                         nodes=nodes)
    except NodeRefused as exc:
        return _skip("E", run.label, str(exc))
    return run
