"""Create bots the way an operator does, with `steppe admin bot create`, before the server starts.

    .venv/bin/python -m bench.mkbots --data DIR [--database URL] --count N [--prefix bench]

Opens the data folder (or database) once, as the `steppe admin` commands do, and makes each bot
through the service `steppe admin bot create` calls (`BotAccounts.create`: the username checked,
the bot user and its hashed secret written, the token returned), so N bots cost one start of the
app, not N (500 bots in about a second instead of 15-40 s). Prints the tokens as a JSON list.
Run before `steppe serve` starts on the same data folder or database: a running server learns of
a bot made elsewhere only at its next start (the wake-up a new bot sends goes over the creating
process's own bus).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--database")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--prefix", default="bench")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(make(args.data, args.database, args.count, args.prefix))))


async def make(data: str, database: str | None, count: int, prefix: str) -> list[str]:
    from steppe.app import Steppe
    from steppe.services.core import Settings

    app = Steppe(Settings(data_dir=data), database_url=database)
    await app.core.store.open()  # applies the migrations when the folder is fresh
    try:
        tokens = []
        for i in range(count):
            name = f"{prefix}{i:05d}bot"
            _, token = await app.services.bots.accounts.create(0, name, name)
            tokens.append(token)
        return tokens
    finally:
        await app.core.store.close()


def create_bots(python: str, data: str, count: int, database: str | None = None,
                timeout: float = 300.0) -> tuple[list[str], float]:
    """Run this module in a subprocess; returns the tokens and the seconds it took."""
    t0 = time.monotonic()
    cmd = [python, "-m", "bench.mkbots", "--data", data, "--count", str(count)]
    if database:
        cmd += ["--database", database]
    from bench.server import ROOT

    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))
    if done.returncode != 0:
        raise RuntimeError(f"creating bots failed: {done.stderr[-800:] or done.stdout[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), time.monotonic() - t0


if __name__ == "__main__":
    sys.exit(main())
