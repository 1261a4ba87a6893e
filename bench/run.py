"""Steppe benchmarks: run the scenarios against Steppe and the ceiling, print and save the table.

    .venv/bin/python -m bench.run                 # the quick set (≤ 5 minutes)
    .venv/bin/python -m bench.run --only A,C      # some scenarios
    .venv/bin/python -m bench.run --full          # the issue's sizes
    .venv/bin/python -m bench.run --only E --e-conns 100000
    .venv/bin/python -m bench.run --only D --d-conns 1000,10000,50000
    .venv/bin/python -m bench.run --only A --nodes 1,2,3     # PostgreSQL + NATS, see bench/nodes.py
    .venv/bin/python -m bench.run --only D --nodes 3 --d-conns 50000   # D (or E) over 3 nodes

Every server (Steppe as `steppe --data TMP --rate-limit 0 serve --port P`, or bench/ceiling.py)
runs as its own process on a fresh temporary data folder; each scenario starts its own.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import os
import platform
import shlex
import shutil
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

if __package__ in (None, ""):  # `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scenarios import NOT_YET, ORDER, SCENARIOS, Figure, Run  # noqa: E402
from bench.server import ROOT, raise_nofile  # noqa: E402
from bench.stats import fmt, lat  # noqa: E402

QUICK = dict(duration=8.0, a_members=50, a_senders=10, a_receivers=10, a_inflight=8,
             a_rate=1000.0, c_pairs=200, c_inflight=1, e_conns=5000, f_devices=1000,
             b_subscribers=1000, b_online=50, b_inflight=10, d_conns="1000", d_posts=3,
             g_bots=1000, g_users=32, g_pollers=4, g_poll_seconds=5.0)
FULL = dict(duration=30.0, a_members=50, a_senders=10, a_receivers=10, a_inflight=8,
            a_rate=1000.0, c_pairs=500, c_inflight=1, e_conns=100_000, f_devices=10_000,
            b_subscribers=1000, b_online=50, b_inflight=10, d_conns="1000,10000,50000",
            d_posts=5, g_bots=1000, g_users=32, g_pollers=8, g_poll_seconds=15.0)


def _ints(text: str) -> list[int]:
    out = []
    for part in str(text).split(","):
        part = part.strip().lower().replace("_", "")
        if part:
            out.append(int(float(part[:-1]) * 1000) if part.endswith("k") else int(part))
    return out


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench.run", description="Steppe benchmarks",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="the quick set (default)")
    size.add_argument("--full", action="store_true", help="the issue's full sizes")
    p.add_argument("--only", default="", help="scenarios to run, e.g. A,C (default: all)")
    p.add_argument("--database", default=None, help="passed to `steppe --database`")
    p.add_argument("--no-ceiling", action="store_true", help="skip the ceiling runs")
    p.add_argument("--ceiling", default="uvicorn,steppe",
                   help="ceiling transports: uvicorn (websockets-sansio), steppe (Steppe's own)")
    p.add_argument("--procs", type=int, default=2, help="load-generator processes")
    p.add_argument("--duration", type=float, help="seconds per load run (quick 8, full 30)")
    p.add_argument("--pad", type=int, default=32, help="filler characters per message text")
    p.add_argument("--drain", type=float, default=15.0,
                   help="seconds to wait for the last deliveries after the last send")
    p.add_argument("--a-members", type=int)
    p.add_argument("--a-senders", type=int)
    p.add_argument("--a-receivers", type=int)
    p.add_argument("--a-inflight", type=int, help="sends in flight per sender (closed loop)")
    p.add_argument("--a-rate", type=float, help="msg/s offered in the open loop (0: skip it)")
    p.add_argument("--c-pairs", type=int)
    p.add_argument("--c-inflight", type=int)
    p.add_argument("--e-conns", type=int, help="idle connections to open (capped by open-files)")
    p.add_argument("--e-concurrency", type=int, default=256,
                   help="connects in progress per load process")
    p.add_argument("--f-devices", type=int)
    p.add_argument("--f-missed", type=int, default=100, help="events each device misses")
    p.add_argument("--f-group", type=int, default=100, help="devices per group in F")
    p.add_argument("--f-concurrency", type=int, default=0,
                   help="reconnects in progress per load process (0: all at once)")
    p.add_argument("--b-subscribers", type=int, help="B: channel subscribers")
    p.add_argument("--b-online", type=int, help="B: subscribers online")
    p.add_argument("--b-inflight", type=int, help="B: posts in flight in the second run")
    p.add_argument("--d-conns", help="D: connected subscribers, one run each, e.g. 1000,10000,50000 "
                   "(capped by the server's open-files limit)")
    p.add_argument("--d-large", action="store_true", help="D: 1k, 10k and 50k (= --d-conns "
                   "1000,10000,50000)")
    p.add_argument("--d-posts", type=int, help="D: posts per run (the median is the figure)")
    p.add_argument("--g-bots", type=int, help="G: bots sending (enough that bots × --g-rate "
                   "is more than Steppe and the ceiling answer)")
    p.add_argument("--g-users", type=int, help="G: private chats (users) per sending bot")
    p.add_argument("--g-rate", type=float, default=28.0,
                   help="G: sendMessage/s per bot (the server allows 30)")
    p.add_argument("--g-inflight", type=int, default=2, help="G: keep-alive connections per bot")
    p.add_argument("--g-procs", type=int, default=2, help="G: sending processes")
    p.add_argument("--g-pollers", type=int, help="G: bots long-polling getUpdates")
    p.add_argument("--g-poll-seconds", type=float, help="G: seconds of getUpdates latency samples")
    p.add_argument("--nodes", default="", help="multi-node runs: node counts, e.g. 1,2,3 "
                   "(PostgreSQL + bus; skipped with the reason when unreachable)")
    p.add_argument("--nodes-scenario", default="A", choices=["A", "C"],
                   help="the load shape of the multi-node runs")
    p.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432",
                   help="multi-node: PostgreSQL server URL (without database); a fresh database "
                   "is created on it per node count and dropped afterwards")
    p.add_argument("--bus", default="nats://127.0.0.1:4222",
                   help="multi-node: `steppe serve --bus` URL (nats:// or redis://)")
    p.add_argument("--profile", nargs="?", const="A", choices=["A", "B", "C", "F", "G"],
                   help="py-spy the server during A's, B's (one at a time) or C's closed loop, "
                   "F's storm or G's sendMessage load")
    p.add_argument("--out", type=Path, help="result file (default bench/results/DATE-HOST.md)")
    p.add_argument("--no-write", action="store_true",
                   help="write no file to bench/results (only to --out, when given)")
    args = p.parse_args(argv)
    preset = FULL if args.full else QUICK
    for key, value in preset.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.d_large:
        args.d_conns = "1000,10000,50000"
    args.d_conns = _ints(args.d_conns)
    args.nodes = _ints(args.nodes)
    only = [s.strip().upper() for s in args.only.split(",") if s.strip()]
    # `--only A --nodes 1,2,3` runs the multi-node runs (and A); `--only N` just them
    args.run_nodes = bool(args.nodes) and (not only or "N" in only or args.nodes_scenario in only)
    # `--only D --nodes 3` (or E): D and E themselves run over the nodes (bench/nodes.py)
    args.nodes_de = bool(args.nodes) and any(k in only for k in "DE")
    args.only = [k for k in only if k != "N"] if only else list(ORDER)
    if only == ["N"]:
        args.only = []
    args.profile_path = None
    names = {"uvicorn": "ceiling", "steppe": "ceiling-steppe"}
    try:
        args.ceilings = [names[c.strip()] for c in args.ceiling.split(",") if c.strip()]
    except KeyError as exc:
        p.error(f"--ceiling: {exc.args[0]!r} is not uvicorn or steppe")
    if args.profile:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        args.profile_path = ROOT / "bench" / "results" / f"profile-{args.profile}-{stamp}.txt"
    return args


# ---- the machine -------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    versions = []
    for mod in ("uvicorn", "websockets", "uvloop", "msgspec"):
        try:
            versions.append(f"{mod} {__import__(mod).__version__}")
        except Exception:  # noqa: BLE001
            pass
    return {
        "host": socket.gethostname(),
        "cpu": cpu,
        "cores": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                     else os.cpu_count()),
        "ram": mem,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
        "nofile": str(raise_nofile()),
        "libs": ", ".join(versions),
    }


def yardstick() -> str:
    """How fast this machine is right now, in two fixed measures, best of three each: a plain
    Python loop, and a 100-byte send and receive over a socket pair (the system calls every
    scenario is made of). Shared virtual machines of one type differ in both from one hour to
    the next (seen 2026-11-28: the scenarios and their ceilings ran 2.5 times slower on a host
    with slower system calls), so figures from different runs compare only alongside it; the
    ceilings, measured in the same run, do not need it."""
    loop = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        total = 0
        for i in range(5_000_000):
            total += i
        loop = min(loop, time.perf_counter() - t0)
    a, b = socket.socketpair()
    data, calls = b"x" * 100, math.inf
    try:
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(20_000):
                a.send(data)
                b.recv(100)
            calls = min(calls, (time.perf_counter() - t0) / 20_000)
    finally:
        a.close()
        b.close()
    return (f"Python loop of 5,000,000 additions {loop:.2f} s; socket-pair send + receive of"
            f" 100 bytes {calls * 1e6:.2f} µs (best of 3 each; lower is faster)")


def durability_floor() -> str:
    """What every acknowledged write costs before any of Steppe's own work, measured here: one
    flush to disk (40 KiB appended to a file in the folder the servers' data goes to, then
    fdatasync: about what a commit of one message adds to the write-ahead log), and one round
    trip from the event loop to a thread and back (how the server hands a commit to its flush
    thread and gets the result). The ceilings keep nothing, so they pay neither; a scenario
    that waits for each write in turn (B one post at a time, G's getUpdates) pays both on every
    step."""
    folder = tempfile.mkdtemp(prefix="steppe-bench-floor-")
    path = os.path.join(folder, "log")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    flushes = []
    try:
        block = b"x" * 40960
        for _ in range(100):
            os.write(fd, block)
            t0 = time.perf_counter()
            os.fdatasync(fd)
            flushes.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
    import uvloop  # the server's event loop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        hops = runner.run(_hand_offs(500))
    flushes.sort()
    return (f"fdatasync after a 40 KiB append p50 {flushes[len(flushes) // 2] * 1e3:.2f} ms, p90"
            f" {flushes[len(flushes) * 9 // 10] * 1e3:.2f} ms; event loop → thread → event loop"
            f" p50 {hops * 1e6:.0f} µs (the floor every acknowledged write pays; the ceilings"
            " keep nothing)")


async def _hand_offs(count: int) -> float:
    """The median round trip loop → thread (a Condition, as the flush thread is woken) → loop
    (call_soon_threadsafe, as its results come back)."""
    loop = asyncio.get_running_loop()
    cond = threading.Condition()
    queue: list[asyncio.Future[None] | None] = []

    def worker() -> None:
        while True:
            with cond:
                while not queue:
                    cond.wait()
                fut = queue.pop()
            if fut is None:
                return
            loop.call_soon_threadsafe(fut.set_result, None)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    times = []
    try:
        for _ in range(count):
            fut = loop.create_future()
            t0 = time.perf_counter()
            with cond:
                queue.append(fut)
                cond.notify()
            await fut
            times.append(time.perf_counter() - t0)
            await asyncio.sleep(0.0002)
    finally:
        with cond:
            queue.append(None)
            cond.notify()
        thread.join(5)
    times.sort()
    return times[len(times) // 2]


# ---- the table ---------------------------------------------------------------------------------

def _value(f: Figure) -> str:
    if f.text is not None:
        return f.text
    if f.latency is not None:
        return lat(f.latency)
    return fmt(f.value, f.unit)


def _fraction(s: Figure, c: Figure | None) -> str:
    if c is None or s.better == "none":
        return ""
    if s.latency is not None and c.latency is not None:
        parts = []
        for k in ("p50", "p99"):
            a, b = s.latency[k], c.latency[k]
            if a and b and a == a and b == b:
                parts.append(f"{k} {b / a * 100:.0f}%")
        return " · ".join(parts)
    if not s.value or not c.value:
        return ""
    ratio = s.value / c.value if s.better == "higher" else c.value / s.value
    return f"{ratio * 100:.0f}%"


CEILINGS = {"ceiling": "uvicorn + websockets", "ceiling-steppe": "Steppe's WebSocket layer"}


def table(results: list[tuple[Run, dict[str, Run]]], skipped: list[str]) -> str:
    kinds = [k for k in CEILINGS if any(k in ceils for _, ceils in results)] or ["ceiling"]
    head = ["Scenario", "Figure", "Steppe"]
    for k in kinds:
        head += [f"Ceiling: {CEILINGS[k]}", "Steppe as % of it"]
    blank = " |" * (len(head) - 2)
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run, ceils in results:
        status = "" if run.ok else " **(check failed)**"
        rows.append(f"| **{run.scenario}** | *{run.label}*{status} |" + blank[:-2] + " |")
        for f in run.figures:
            cells = [f.name, _value(f)]
            for k in kinds:
                c = ceils[k].get(f.name) if k in ceils else None
                cells += [_value(c) if c else "", _fraction(f, c)]
            rows.append("| | " + " | ".join(cells) + " |")
        notes = list(run.notes)
        for k in kinds:
            notes += [f"ceiling ({CEILINGS[k]}): {n}" for n in (ceils[k].notes if k in ceils else [])]
        for note in notes:
            note = " / ".join(x.strip() for x in note.splitlines() if x.strip()).replace("|", "¦")
            rows.append(f"| | note | {note} |" + blank[:-4] + " |")
    for key in skipped:
        title, why = NOT_YET[key]
        rows.append(f"| **{key}** | *{title}* | not yet: {why} |" + blank[:-4] + " |")
    return "\n".join(rows)


def render(results: list[tuple[Run, dict[str, Run]]], skipped: list[str], info: dict[str, str],
           args: argparse.Namespace, elapsed: float, profile: str | None) -> str:
    mode = "full" if args.full else "quick"
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [
        f"# Steppe benchmarks — {when} on {info['host']} ({mode} set)",
        "",
        f"- **Machine**: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, "
        f"Linux {info['kernel']}; open-files limit {info['nofile']}",
        f"- **Software**: Python {info['python']}, SQLite {info['sqlite']}, {info['libs']}",
        f"- **Database**: {args.database or 'SQLite (default, WAL)'}; server: "
        "`steppe --data TMP --rate-limit 0 serve --port P` (uvicorn + httptools for HTTP,"
        " Steppe's own WebSocket protocol, uvloop)"
        + (f"; multi-node runs (D and E over nodes too): PostgreSQL at {args.pg}, bus {args.bus}"
           if args.nodes_de or args.run_nodes else ""),
        f"- **Command**: `{' '.join(shlex.quote(a) for a in ['python', '-m', 'bench.run', *sys.argv[1:]])}`"
        f" — took {elapsed:.0f}s",
        f"- **Machine speed** before the scenarios: {info['yardstick']}",
        f"- **Durability floor**: {info['floor']}",
        f"- **Load average** (1 min) at start → end: {info['load_start']} → {info['load_end']}. "
        "Server and load generator share the machine's cores: the load generator's CPU is shown, "
        "and so is the CPU other processes on the machine used during each measured phase.",
        "- Latencies are p50 / p95 / p99 / max. \"% of ceiling\": Steppe ÷ ceiling for rates, "
        "ceiling ÷ Steppe for latencies and memory (100% = as good as the bare transport). Two "
        "ceilings, the same minimal server on two transports (bench/ceiling.py): uvicorn's "
        "WebSocket (websockets-sansio), and Steppe's own WebSocket layer, which `steppe serve` "
        "uses.",
        "",
        table(results, skipped),
        "",
    ]
    if profile:
        lines += [f"## Profile of the server under {args.profile}", "", "```", profile.rstrip(),
                  "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    raise_nofile()
    info = machine()
    info["load_start"] = f"{os.getloadavg()[0]:.2f}"
    info["yardstick"] = yardstick()
    info["floor"] = durability_floor()
    started = time.monotonic()
    results: list[tuple[Run, dict[str, Run]]] = []
    skipped = [k for k in args.only if k in NOT_YET]
    failed = False
    for key in args.only:
        if key not in SCENARIOS:
            continue
        title, func, has_ceiling = SCENARIOS[key]
        over_nodes = args.nodes_de and key in "DE"  # the ceiling is one process: not over nodes
        targets = ["steppe"] + (args.ceilings if has_ceiling and not args.no_ceiling
                                and not over_nodes else [])
        got: dict[str, list[Run]] = {}
        for target in targets:
            print(f"[{time.monotonic() - started:5.0f}s] {key} ({title}) against {target} ...",
                  flush=True)
            try:
                got[target] = func(args, target)
            except Exception as exc:  # noqa: BLE001 - reported in the table, the run goes on
                traceback.print_exc()
                bad = Run(key, f"{title}: failed", target, ok=False)
                bad.notes.append(f"{type(exc).__name__}: {str(exc)[-600:]}")
                got[target] = [bad]
            for run in got[target]:
                print(f"         {run.label}: " + "; ".join(
                    f"{f.name.split(' (')[0]} {_value(f)}" for f in run.figures[:4]), flush=True)
        for i, run in enumerate(got.get("steppe", [])):
            results.append((run, {k: got[k][i] for k in args.ceilings
                                  if k in got and i < len(got[k])}))
            failed = failed or not run.ok
    if args.run_nodes:
        from bench.nodes import scenario_nodes

        print(f"[{time.monotonic() - started:5.0f}s] multi-node {args.nodes_scenario} on "
              f"{args.nodes} nodes ...", flush=True)
        try:
            node_runs = scenario_nodes(args)
        except Exception as exc:  # noqa: BLE001 - reported in the table
            traceback.print_exc()
            bad = Run("N", "multi-node: failed", "steppe", ok=False)
            bad.notes.append(f"{type(exc).__name__}: {str(exc)[-600:]}")
            node_runs = [bad]
        for run in node_runs:
            print(f"         {run.label}: " + "; ".join(
                f"{f.name.split(' (')[0]} {_value(f)}" for f in run.figures[:4]), flush=True)
            results.append((run, {}))
            failed = failed or not run.ok
    info["load_end"] = f"{os.getloadavg()[0]:.2f}"
    profile = None
    if args.profile_path and Path(args.profile_path).exists():
        from bench.profile import summarize

        profile = summarize(Path(args.profile_path), 20)
        Path(args.profile_path).with_suffix(".summary.txt").write_text(profile)
    text = render(results, skipped, info, args, time.monotonic() - started, profile)
    publish(text, args.out, None if args.no_write else f"{info['host']}.md")
    return 1 if failed else 0


def publish(text: str, out: Path | None, suffix: str | None) -> None:
    """Print the results and write them to `out`, or, with no `out`, unless `suffix` is None,
    to bench/results/<date>-<suffix>."""
    print()
    print(text)
    if suffix is None and out is None:
        return
    out = out or ROOT / "bench" / "results" / f"{dt.date.today().isoformat()}-{suffix}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"written to {out}")


if __name__ == "__main__":
    sys.exit(main())
