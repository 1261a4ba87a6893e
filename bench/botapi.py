"""Scenario G, the Bot API: sendMessage/s from many bots over keep-alive HTTP, each bot paced
under Steppe's flood limits; then getUpdates latency from a user's send (over the WebSocket) to
the bot's long poll returning it. The load is the `botsend` and `botpoll` jobs of
bench/workers.py, the same against Steppe and against the ceiling (bench/ceiling.py); only the
set-up differs:

- Steppe: the bots are made with `steppe admin bot create`'s service before the server starts
  (bench/mkbots.py); the users sign up and each opens a private chat with every bot
  (`messages.getChat`), as a client does before /start.
- the ceiling: one `POST /ceiling/setup` hands it the same bots (token, id, name), users and
  private chats, kept in dicts.

Against the ceiling on Steppe's WebSocket layer only the getUpdates part runs: sendMessage is
plain HTTP, served by the same uvicorn + httptools as the uvicorn ceiling's.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from bench import accounts
from bench.pool import Pool
from bench.scenarios import (
    NS,
    Run,
    Snapshot,
    check_server,
    finish_profile,
    split,
    srcs_for,
    start_profile,
)
from bench.server import ServerProcess
from bench.stats import percentiles


@dataclass
class Bots:
    """What the load needs: the sending bots (token and the chat ids it sends to), the long-poll
    pairs (bot token, user token, the chat the user sends to) and a note on the set-up."""

    send: list[dict[str, Any]]
    poll: list[dict[str, Any]]
    note: str


def steppe_bots(server: ServerProcess, tokens: list[str], took: float, opts: Any) -> Bots:
    n_bots, n_users, n_poll = opts.g_bots, opts.g_users, opts.g_pollers
    t0 = time.monotonic()
    users = asyncio.run(accounts.sign_up_many(server, n_users + n_poll, concurrency=48))
    bot_ids = [int(t.split(":", 1)[0]) for t in tokens]
    pairs = [(users[u], bot_ids[b]) for b in range(n_bots) for u in range(n_users)]
    pairs += [(users[n_users + i], bot_ids[n_bots + i]) for i in range(n_poll)]
    chats = asyncio.run(accounts.open_bot_chats(server, pairs, concurrency=48))
    note = (f"set-up (not in the figures): {n_bots + n_poll} bots by `steppe admin bot create`'s "
            f"service (bench/mkbots.py) {took:.1f}s; {n_users + n_poll} sign-ups and "
            f"{len(pairs):,} private chats opened by the users (messages.getChat) "
            f"{time.monotonic() - t0:.1f}s")
    return Bots(
        send=[{"token": tokens[b], "chats": [users[u].id for u in range(n_users)]}
              for b in range(n_bots)],
        poll=[{"bot": tokens[n_bots + i], "user": users[n_users + i].token,
               "chat": chats[n_bots * n_users + i]} for i in range(n_poll)],
        note=note)


def ceiling_bots(server: ServerProcess, opts: Any) -> Bots:
    """The same bots, users and private chats, handed to the ceiling in one request."""
    n_bots, n_users, n_poll = opts.g_bots, opts.g_users, opts.g_pollers
    t0 = time.monotonic()
    bots = [{"token": f"{b}:{secrets.token_urlsafe(32)}", "id": b, "name": f"bench{b:05d}bot"}
            for b in range(1, n_bots + n_poll + 1)]
    users = [{"id": 1_000_000 + u, "is_bot": False, "first_name": f"B{u:06d}"}
             for u in range(1, n_users + n_poll + 1)]
    chats = [{"id": b * n_users + u + 1, "bot": bots[b]["id"], "user": users[u]["id"]}
             for b in range(n_bots) for u in range(n_users)]
    poll = []
    for i in range(n_poll):
        chat = {"id": len(chats) + 1, "bot": bots[n_bots + i]["id"], "user": users[n_users + i]["id"]}
        chats.append(chat)
        poll.append({"bot": bots[n_bots + i]["token"], "chat": chat["id"],
                     "user": f"ceil:{chat['user']}:{chat['id']}"})
    body = json.dumps({"bots": bots, "users": users, "chats": chats}).encode()
    request = urllib.request.Request(f"{server.url}/ceiling/setup", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        answer.read()
    return Bots(
        send=[{"token": bots[b]["token"], "chats": [u["id"] for u in users[:n_users]]}
              for b in range(n_bots)],
        poll=poll,
        note=f"set-up: {n_bots + n_poll} bots, {n_users + n_poll} users and {len(chats):,} "
             f"private chats handed over by POST /ceiling/setup {time.monotonic() - t0:.1f}s")


def scenario_g(opts: Any, target: str) -> list[Run]:
    server = ServerProcess(target, database=opts.database)
    tokens: list[str] = []
    took = 0.0
    if target == "steppe":
        from bench.mkbots import create_bots

        try:
            tokens, took = create_bots(sys.executable, server.data, opts.g_bots + opts.g_pollers,
                                       opts.database)
        except BaseException:
            server.stop()
            raise
    with server:
        bots = (steppe_bots(server, tokens, took, opts) if target == "steppe"
                else ceiling_bots(server, opts))
        if target == "ceiling-steppe":
            send = Run("G", "Bot API sendMessage", target)
            send.notes.append("not run again: sendMessage is plain HTTP, served by the same "
                              "uvicorn + httptools as the uvicorn ceiling's")
        else:
            send = measure_send(server, bots, opts, target)
            send.notes.append(bots.note)
        poll = measure_poll(server, bots, opts, target)
        check_server(server, [send, poll])
        return [send, poll]


def measure_send(server: ServerProcess, bots: Bots, opts: Any, target: str) -> Run:
    n_bots, n_users = len(bots.send), opts.g_users
    offered = n_bots * opts.g_rate
    send = Run("G", f"Bot API sendMessage: {n_bots} bots × {opts.g_inflight} keep-alive "
               f"connections in {opts.g_procs} processes, each bot paced at "
               f"{opts.g_rate:g}/s over {n_users} private chats, {opts.duration:g}s", target)
    specs = [{"job": "botsend", "host": server.host, "port": server.port,
              "srcs": srcs_for(i, 2), "rate": opts.g_rate, "inflight": opts.g_inflight,
              "duration": opts.duration, "pad": opts.pad,
              "bots": [bots.send[b] for b in idx]}
             for i, idx in enumerate(split(n_bots, opts.g_procs))]
    with Pool(specs) as pool:
        pool.recv_all(120)
        time.sleep(0.3)
        snap = Snapshot(server)
        pool.send_all({"at": time.monotonic_ns() + NS // 5})
        spy = (start_profile(server, opts.profile_path, opts.duration)
               if opts.profile == "G" and target == "steppe" else None)
        done = pool.recv_all(opts.duration + 120)
        snap.finish()
        if spy is not None:
            finish_profile(spy)
    statuses: dict[int, int] = {}
    errors: dict[str, int] = {}
    for d in done:
        for k, v in d["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
        for k, v in d["errors"].items():
            errors[k] = errors.get(k, 0) + v
    ok = statuses.get(200, 0)
    start = min(d["start"] for d in done)
    span = max(1e-9, (max(d["last_reply"] for d in done) - start) / NS)
    lat = percentiles(x for d in done for x in d["lat"])
    load_cpu = sum(d["cpu"] for d in done)
    send.add("offered (bots × pace)", offered, "req/s", "none")
    send.add("sendMessage answered 200 /s", ok / span, "req/s", "higher")
    send.add("request latency p50/p95/p99/max", lat["p50"], "ms", "lower", latency=lat)
    send.add("answers", None, "", "none",
             text=", ".join(f"{v:,} × HTTP {k}" for k, v in sorted(statuses.items()))
             + (f"; client errors {errors}" if errors else ""))
    send.add("server CPU", snap.cpu, "s", "none",
             text=f"{snap.cpu:.1f} s ({snap.cpu / snap.wall * 100:.0f}% of a core)")
    send.add("server peak RSS", snap.peak / 1024, "MiB", "lower")
    send.add("load generator CPU", load_cpu, "s", "none",
             text=f"{load_cpu:.1f} s ({load_cpu / snap.wall * 100:.0f}% of a core)")
    send.add("other processes on the machine meanwhile", None, "", "none",
             text=snap.others(load_cpu))
    behind = sum(d["behind"] for d in done)
    if ok / span >= 0.97 * offered:
        send.notes.append(f"answered about all that was offered ({offered:,.0f}/s): the figure "
                          "is the offer, not the server's capacity (more bots would show it)")
    elif behind:
        send.notes.append(f"{behind:,} sends left their slot late (the server, or the load "
                          "generator, was behind): the figure is what the server answers at "
                          "most, not the offer")
    if target == "steppe":
        send.notes.append(
            "the server's Bot API flood limits (30 messages/s per bot, 1/s per private chat with "
            "bursts of 20; `--rate-limit 0` does not lift them) hold each bot, so the load paces "
            f"each bot at {opts.g_rate:g}/s round-robin over its {n_users} chats and never catches "
            f"up in a burst; {n_bots} bots offer {offered:,.0f}/s, the same to the ceiling")
    send.ok = ok > 0 and set(statuses) <= {200, 429} and not errors
    if statuses.get(429):
        send.notes.append(f"{statuses[429]:,} answers were 429 (the flood limit) although the "
                          "load paces under it: requests reached the server bunched")
    return send


def measure_poll(server: ServerProcess, bots: Bots, opts: Any, target: str) -> Run:
    n_poll = len(bots.poll)
    poll = Run("G", f"Bot API getUpdates: {n_poll} bots long-polling, their users sending "
               f"over the client API (WebSocket), one at a time per pair, ≤{opts.g_poll_seconds:g}s",
               target)
    spec = {"job": "botpoll", "host": server.host, "port": server.port, "srcs": srcs_for(0, 2),
            "duration": opts.g_poll_seconds, "count": 500, "pairs": bots.poll}
    with Pool([spec]) as pool:
        pool.recv_all(120)
        snap = Snapshot(server)
        pool.send_all({"at": time.monotonic_ns() + NS // 5})
        got = pool.recv_all(opts.g_poll_seconds + 150)[0]
        snap.finish()
    plat = percentiles(got["lat"])
    poll.add("send → getUpdates returns p50/p95/p99/max", plat["p50"], "ms", "lower",
             latency=plat)
    poll.add("samples", len(got["lat"]), "", "none",
             text=f"{len(got['lat']):,} ({got['missed']} not seen within 5 polls, "
                  f"{got['error_count']} errors)")
    poll.add("server CPU", snap.cpu, "s", "none")
    poll.add("other processes on the machine meanwhile", None, "", "none",
             text=snap.others(got["cpu"]))
    if got["errors"]:
        poll.notes.append(f"errors, e.g. {got['errors'][:2]}")
    poll.ok = bool(got["lat"]) and not got["missed"] and not got["error_count"]
    return poll
