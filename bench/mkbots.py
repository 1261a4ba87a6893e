"""Create bots the way an operator does, with `steppe admin bot create`, before the server starts.

    .venv/bin/python -m bench.mkbots --data DIR [--database URL] --count N [--prefix bench]

Runs the `steppe` command's own entry point once per bot in this one process (so N bots cost one
interpreter start, not N) and prints the tokens as a JSON list. Run before `steppe serve` starts
on the same data folder or database: a running server learns of a bot made elsewhere only at its
next start (the wake-up a new bot sends goes over the creating process's own bus).
"""

from __future__ import annotations

import argparse
import contextlib
import io
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
    from steppe.cli import main as steppe

    base = ["--data", args.data] + (["--database", args.database] if args.database else [])
    tokens = []
    for i in range(args.count):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            steppe([*base, "admin", "bot", "create", f"{args.prefix}{i:05d}bot"])
        text = out.getvalue()
        if "token:" not in text:
            raise SystemExit(f"`steppe admin bot create` printed no token: {text!r}")
        tokens.append(text.split("token:", 1)[1].split()[0])
    print(json.dumps(tokens))


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
