"""Summarize a py-spy `--format raw` profile (collapsed stacks) as text: top self and total time.

    python -m bench.profile /tmp/a.txt [--top 25]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_LINE = re.compile(r"^(.*) (\d+)$")
# the frames every sample passes through on the way to the event loop
ENTRY = ("<module> ", "main (steppe/cli.py", "serve (steppe/cli.py", "run (uvicorn/main.py",
         "Server.run (uvicorn", "asyncio_run (uvicorn", "Runner.run (asyncio", "run (asyncio/runners")
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _name(frame: str) -> str:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    file = m.group("file")
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{m.group('func')} ({file})"


def summarize(path: Path, top: int = 25) -> str:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        count = int(m.group(2))
        frames = [_name(f) for f in m.group(1).split(";") if f]
        if frames and frames[0].startswith("process "):
            frames = frames[1:]
        if frames and frames[0].startswith("thread "):
            frames = frames[1:]
        if not frames:
            continue
        samples += count
        own[frames[-1]] += count
        for name in set(frames):
            if not name.startswith(ENTRY):
                total[name] += count
    if not samples:
        return "no samples\n"
    out = [f"{samples} samples (py-spy --nonblocking, server process)", "",
           "top self time:"]
    out += [f"  {c / samples * 100:5.1f}%  {name}" for name, c in own.most_common(top)]
    out += ["", "top total time (function and what it calls):"]
    out += [f"  {c / samples * 100:5.1f}%  {name}" for name, c in total.most_common(top)]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(summarize(args.path, args.top), end="")


if __name__ == "__main__":
    main()
