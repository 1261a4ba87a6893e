"""Fast set-up for the large multi-node runs (D and E over nodes): accounts, their tokens and a
broadcast channel written straight into the database, before the nodes start.

    .venv/bin/python -m bench.fill --data DIR --database URL --users N [--channel]

Signing up 50,000–100,000 accounts through the API (sendCode, the code from the log, signIn,
signUp) takes minutes on this machine; here it takes seconds, through Steppe's own store in this
one process, the way `steppe admin` commands reach the database:

- the accounts: `ChannelStore.bulk_users` (the store's fast path for tests and benchmarks, one
  transaction), no phone numbers (on PostgreSQL it moves the `users` id sequence past them);
- one authorization per account: a fresh random token (`secrets.token_urlsafe(32)`, as
  `auth.signIn` makes) whose SHA-256 is inserted into `authorizations` as the server stores it,
  with the same columns. What is left out is the `new_authorization` account event a sign-in
  also writes (the devices start from a fresh state anyway);
- with `--channel`: the first account creates a broadcast channel through the channel service
  (as `channels.createChannel` does), and `ChannelStore.bulk_subscribe` (the fast path again)
  makes every other account a subscriber, with no join events: their devices learn of the
  channel when they authorize, from the membership itself.

Prints one JSON object: {"tokens": [...], "user_ids": [...], "chat": id or null, "took": s}.
Run it before `steppe serve` starts on the database: a running node would not know of accounts
and members written behind its back until it reads them again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import subprocess
import sys
import time
from typing import Any


async def fill(data: str, database: str, users: int, channel: bool) -> dict[str, Any]:
    from steppe.app import Steppe
    from steppe.services.auth import token_hash
    from steppe.services.core import Settings

    t0 = time.monotonic()
    app = Steppe(Settings(data_dir=data), database_url=database)
    await app.core.store.open()  # applies the migrations when the database is fresh
    try:
        now = app.core.clock.now()
        channels = app.services.channels.channels
        ids = await channels.store.bulk_users(users, now, prefix="Bench")
        tokens = [secrets.token_urlsafe(32) for _ in ids]

        async def authorize(db: Any) -> None:
            await db.executemany(
                "INSERT INTO authorizations (user_id, token_hash, device, app, ip, created,"
                " last_active) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                [(uid, token_hash(tok), "bench", "bench.fill", "127.0.0.1", now)
                 for uid, tok in zip(ids, tokens, strict=True)])

        await app.core.store.database.write(authorize)
        chat = None
        if channel:
            made = await channels.create(ids[0], "bench fan-out", "", broadcast=True,
                                         megagroup=False, forum=False)
            chat = made.id
            for i in range(1, len(ids), 10_000):
                await channels.store.bulk_subscribe(chat, ids[i:i + 10_000], now)
        return {"tokens": tokens, "user_ids": ids, "chat": chat, "took": time.monotonic() - t0}
    finally:
        await app.core.store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--channel", action="store_true",
                        help="the first account creates a channel; the others subscribe")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(fill(args.data, args.database, args.users, args.channel))))


def run_fill(python: str, data: str, database: str, users: int, channel: bool,
             timeout: float = 900.0) -> dict[str, Any]:
    """Run this module in a subprocess (before the nodes start); returns its JSON."""
    from bench.server import ROOT

    cmd = [python, "-m", "bench.fill", "--data", data, "--database", database,
           "--users", str(users)] + (["--channel"] if channel else [])
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))
    if done.returncode != 0:
        raise RuntimeError(f"bench.fill failed: {done.stderr[-800:] or done.stdout[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


if __name__ == "__main__":
    sys.exit(main())
