"""Steppe against Matrix Synapse on the same machine: scenarios A (group) and C (private chats).

    .venv/bin/python -m bench.synapse                       # A and C, Synapse (PostgreSQL) and Steppe
    .venv/bin/python -m bench.synapse --only C              # one scenario
    .venv/bin/python -m bench.synapse --synapse-db sqlite   # Synapse on SQLite instead
    .venv/bin/python -m bench.synapse --no-steppe           # Synapse only
    .venv/bin/python -m bench.synapse --install-only        # just make the Synapse venv

Synapse (`matrix-synapse==1.163.2`, pinned below) lives in its own venv, `bench/.synapse-venv`
(gitignored), made with `python -m venv` and pip on first use. Nothing of Synapse is in this
repository: each scenario writes a fresh homeserver.yaml, log config and signing key into a
temporary folder, creates a fresh PostgreSQL database (`ENCODING UTF8 LC_COLLATE C LC_CTYPE C
TEMPLATE template0`, dropped afterwards) and starts `python -m synapse.app.homeserver` as its own
process: server_name `localhost`, one plain HTTP client listener on 127.0.0.1, no federation
listener and an empty federation whitelist, presence off, report_stats off, every `rc_*` rate
limit at a million a second, users made through the admin register API (shared secret, HMAC).

The load (bench/synapse_load.py, in `--procs` processes) is a Matrix client per user: a
keep-alive connection long-polling `/sync` (timeout 30 s, since token, a filter keeping only
`m.room.message`), and for senders `--a-inflight` / `--c-inflight` more connections sending
`PUT /rooms/{room}/send/m.room.message/{txnId}`. As in Steppe's own A and C, every online member
receives every message (a sender's own client syncs too); end-to-end latency counts only the
copies another member receives.

Each Synapse scenario first runs an unmeasured warm-up (`--warmup` s of the closed loop), then
the measured runs. Steppe then runs the same shapes through bench.scenarios (its own server
process on SQLite, exactly as `python -m bench.run --only A,C --no-ceiling` would). A's open loop
runs on both at one offered rate, `--a-rate` (5 msg/s, which Synapse kept up with on the 2-core
development machine; at 10 msg/s its sends waited over a second; Steppe's own benchmark offers
1,000).

Flags (`--help` lists them with defaults): `--only A,C`, `--duration S` (8 per measured run),
`--warmup S` (5), `--drain S` (max wait for the last deliveries, 30), `--procs N` (load
processes, 2), `--pad N` (filler characters per message, 32), `--a-members/--a-senders/
--a-receivers/--a-inflight` (50/10/10/8), `--a-rate R` (msg/s offered in A's open loop, 5; 0
skips it), `--c-pairs/--c-inflight` (200/1), `--synapse-db postgres|sqlite`, `--pg URL`
(`postgresql://postgres@127.0.0.1:5432`), `--synapse-venv DIR`, `--synapse-log-level`
(WARNING), `--sync-limit N` (timeline limit of the sync filter, 500), `--no-steppe`,
`--install-only`, `--out FILE`, `--no-write`.

The table and the set-up go to bench/results/<date>-<host>-synapse.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from collections import Counter, deque
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

if __package__ in (None, ""):  # `python bench/synapse.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import synapse_load  # noqa: E402
from bench.pool import Pool  # noqa: E402
from bench.scenarios import NS, Figure, Run, Snapshot, split, srcs_for  # noqa: E402
from bench.server import ROOT, TICK, free_port, raise_nofile  # noqa: E402
from bench.stats import fmt, lat, percentiles  # noqa: E402
from bench.synapse_load import MatrixConn, room_path  # noqa: E402

SYNAPSE_VERSION = "1.163.2"
VENV = ROOT / "bench" / ".synapse-venv"
HIGH = {"per_second": 1_000_000, "burst_count": 1_000_000}
RATE_LIMITS = {
    "rc_message": HIGH, "rc_registration": HIGH, "rc_registration_token_validity": HIGH,
    "rc_login": {"address": HIGH, "account": HIGH, "failed_attempts": HIGH},
    "rc_admin_redaction": HIGH, "rc_joins": {"local": HIGH, "remote": HIGH},
    "rc_joins_per_room": HIGH, "rc_3pid_validation": HIGH,
    "rc_invites": {"per_room": HIGH, "per_user": HIGH, "per_issuer": HIGH},
    "rc_third_party_invite": HIGH, "rc_media_create": HIGH, "rc_presence": {"per_user": HIGH},
    "rc_delayed_event_mgmt": HIGH, "rc_room_creation": HIGH, "rc_reports": HIGH,
    "rc_user_directory": HIGH, "rc_profile": HIGH, "rc_key_requests": HIGH,
}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench.synapse", description="Steppe against Matrix Synapse",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--only", default="A,C", help="scenarios: A, C or A,C")
    p.add_argument("--duration", type=float, default=8.0, help="seconds per measured run")
    p.add_argument("--warmup", type=float, default=5.0,
                   help="seconds of unmeasured closed loop on Synapse before the measured runs")
    p.add_argument("--drain", type=float, default=30.0,
                   help="longest wait for the last deliveries after the last send")
    p.add_argument("--procs", type=int, default=2, help="load-generator processes")
    p.add_argument("--pad", type=int, default=32, help="filler characters per message")
    p.add_argument("--a-members", type=int, default=50)
    p.add_argument("--a-senders", type=int, default=10)
    p.add_argument("--a-receivers", type=int, default=10)
    p.add_argument("--a-inflight", type=int, default=8, help="sends in flight per sender")
    p.add_argument("--a-rate", type=float, default=5.0,
                   help="msg/s offered in A's open loop, on both servers (0 skips it); at 10 "
                        "msg/s Synapse's sends waited over a second on the 2-core machine")
    p.add_argument("--c-pairs", type=int, default=200)
    p.add_argument("--c-inflight", type=int, default=1)
    p.add_argument("--synapse-db", choices=["postgres", "sqlite"], default="postgres")
    p.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432",
                   help="PostgreSQL server for Synapse (a database is created per scenario, "
                        "then dropped)")
    p.add_argument("--synapse-venv", type=Path, default=VENV)
    p.add_argument("--synapse-log-level", default="WARNING")
    p.add_argument("--sync-limit", type=int, default=500,
                   help="timeline limit in the /sync filter (a longer gap comes back `limited` "
                        "and is filled from /messages)")
    p.add_argument("--no-steppe", action="store_true", help="run Synapse only")
    p.add_argument("--install-only", action="store_true", help="make the Synapse venv and stop")
    p.add_argument("--out", type=Path, help="result file (default bench/results/DATE-HOST-synapse.md)")
    p.add_argument("--no-write", action="store_true",
                   help="write no file to bench/results (only to --out, when given)")
    args = p.parse_args(argv)
    args.only = [s.strip().upper() for s in args.only.split(",") if s.strip()]
    bad = [s for s in args.only if s not in ("A", "C")]
    if bad:
        p.error(f"unknown scenario {bad}: A and C are measured against Synapse")
    return args


# ---- the Synapse venv ---------------------------------------------------------------------------

def synapse_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def installed_version(venv: Path) -> str | None:
    py = synapse_python(venv)
    if not py.exists():
        return None
    out = subprocess.run([str(py), "-c", "import importlib.metadata as m; "
                          "print(m.version('matrix-synapse'))"],
                         capture_output=True, text=True, timeout=60)
    return out.stdout.strip() if out.returncode == 0 else None


def ensure_synapse(venv: Path) -> str:
    """Make the venv and install the pinned Synapse (with its PostgreSQL driver) when missing."""
    have = installed_version(venv)
    if have == SYNAPSE_VERSION:
        return have
    if not synapse_python(venv).exists():
        print(f"making {venv} ...", flush=True)
        base = getattr(sys, "_base_executable", None) or sys.executable
        subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=300)
    print(f"installing matrix-synapse=={SYNAPSE_VERSION} into {venv} (pip) ...", flush=True)
    subprocess.run([str(synapse_python(venv)), "-m", "pip", "install", "--quiet",
                    f"matrix-synapse[postgres]=={SYNAPSE_VERSION}"], check=True, timeout=1200)
    have = installed_version(venv)
    if have != SYNAPSE_VERSION:
        raise SystemExit(f"matrix-synapse {SYNAPSE_VERSION} did not install (found {have})")
    return have


def venv_versions(venv: Path) -> dict[str, str]:
    py = synapse_python(venv)
    code = ("import importlib.metadata as m, json, sys\nout = {'python': sys.version.split()[0]}\n"
            "for d in ('matrix-synapse', 'Twisted', 'psycopg2', 'psycopg2-binary'):\n"
            "    try: out[d] = m.version(d)\n    except Exception: pass\nprint(json.dumps(out))")
    out = subprocess.run([str(py), "-c", code], capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout) if out.returncode == 0 else {}


# ---- PostgreSQL ---------------------------------------------------------------------------------

async def pg_admin(pg: str, *statements: str) -> list[Any]:
    import asyncpg

    conn = await asyncpg.connect(pg.rstrip("/") + "/postgres", timeout=10)
    try:
        out = []
        for sql in statements:
            out.append(await conn.fetchval(sql) if sql.lstrip().upper().startswith(("SELECT", "SHOW"))
                       else await conn.execute(sql))
        return out
    finally:
        await conn.close()


def pg_info(pg: str) -> str:
    try:
        version, fsync, sync_commit, shared = asyncio.run(pg_admin(
            pg, "SELECT version()", "SHOW fsync", "SHOW synchronous_commit", "SHOW shared_buffers"))
    except Exception as exc:  # noqa: BLE001 - printed instead
        return f"unknown ({type(exc).__name__}: {exc})"
    return (f"{' '.join(str(version).split()[:2])} (fsync {fsync}, synchronous_commit "
            f"{sync_commit}, shared_buffers {shared})")


class PgStats:
    """CPU of the PostgreSQL backends serving one database (found by their process title)."""

    def __init__(self, database: str):
        self.needle = f" {database} ".encode()

    def pids(self) -> list[int]:
        out = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if cmd.startswith(b"postgres:") and self.needle in cmd.replace(b"\0", b" ") + b" ":
                out.append(int(name))
        return out

    def cpu_by_pid(self) -> dict[int, float]:
        out = {}
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                out[pid] = (int(fields[11]) + int(fields[12])) / TICK
            except (OSError, IndexError):
                pass
        return out

    def start(self) -> None:
        self.before = self.cpu_by_pid()

    def finish(self) -> float:
        after = self.cpu_by_pid()
        self.backends = len(after)
        return sum(v - self.before.get(pid, 0.0) for pid, v in after.items())


# ---- the Synapse process ------------------------------------------------------------------------

class TreeStats:
    """bench.server.ProcStats over a process and its children (Synapse's workers, if any)."""

    def __init__(self, pid: int):
        self.pid = pid

    def tree(self) -> list[int]:
        parent: dict[int, int] = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat") as f:
                        parent[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass
        out, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(p for p, pp in parent.items() if pp == pid)
        return out

    def cpu(self) -> float:
        total = 0.0
        for pid in self.tree():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / TICK
            except OSError:
                pass
        return total

    def status(self) -> dict[str, int]:
        out = {"VmHWM": 0, "VmRSS": 0}
        for pid in self.tree():
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        key, _, value = line.partition(":")
                        if key in out:
                            out[key] += int(value.split()[0])
            except OSError:
                pass
        return out

    def rss_kb(self) -> int:
        return self.status()["VmRSS"]

    def reset_peak(self) -> bool:
        ok = True
        for pid in self.tree():
            try:
                with open(f"/proc/{pid}/clear_refs", "w") as f:
                    f.write("5")
            except OSError:
                ok = False
        return ok


def redacted(config: dict[str, Any], folder: str, port: int) -> str:
    """The generated homeserver.yaml for the results file: no secrets, placeholders for the
    temporary folder, the port and the database's name."""
    out = json.loads(json.dumps(config))
    for key in ("registration_shared_secret", "macaroon_secret_key", "form_secret"):
        out[key] = "<random>"
    out["listeners"][0]["port"] = "<port>"
    out["public_baseurl"] = "http://127.0.0.1:<port>/"
    if out["database"]["name"] == "psycopg2":
        out["database"]["args"]["database"] = "<fresh database>"
    body = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in out.items())
    return ("{\n" + body + "\n}").replace(folder, "<tmp>")


def signing_key() -> str:
    """A fresh ed25519 signing key in Synapse's key-file format: algorithm, key id, seed."""
    seed = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    return f"ed25519 a_{secrets.token_hex(2)} {seed}\n"


class SynapseServer:
    """One Synapse homeserver on a fresh config folder and a fresh database."""

    def __init__(self, opts: argparse.Namespace, label: str):
        self.opts = opts
        self.host = "127.0.0.1"
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix=f"steppe-bench-synapse-{label}-"))
        self.secret = secrets.token_hex(24)
        self.pg_db = f"synapse_bench_{os.getpid()}_{label.lower()}" if opts.synapse_db == "postgres" else None
        self.pg = PgStats(self.pg_db) if self.pg_db else None
        self.proc: subprocess.Popen[bytes] | None = None
        self.stats: TreeStats | None = None
        self.tail: deque[str] = deque(maxlen=200)
        self.errors = 0
        self.startup = 0.0
        self.version = ""
        self._reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def config(self) -> dict[str, Any]:
        if self.pg_db:
            u = urlparse(self.opts.pg)
            args: dict[str, Any] = {"user": u.username or "postgres", "host": u.hostname or "127.0.0.1",
                                    "port": u.port or 5432, "database": self.pg_db,
                                    "cp_min": 5, "cp_max": 10}
            if u.password:
                args["password"] = u.password
            database = {"name": "psycopg2", "args": args}
        else:
            database = {"name": "sqlite3", "args": {"database": str(self.dir / "homeserver.db")}}
        return {
            "server_name": "localhost",
            "public_baseurl": f"{self.url}/",
            "pid_file": str(self.dir / "homeserver.pid"),
            "listeners": [{"port": self.port, "bind_addresses": [self.host], "type": "http",
                           "tls": False, "x_forwarded": False,
                           "resources": [{"names": ["client"], "compress": False}]}],
            "database": database,
            "log_config": str(self.dir / "log.yaml"),
            "media_store_path": str(self.dir / "media"),
            "signing_key_path": str(self.dir / "signing.key"),
            "registration_shared_secret": self.secret,
            "enable_registration": False,
            "macaroon_secret_key": secrets.token_hex(32),
            "form_secret": secrets.token_hex(32),
            "report_stats": False,
            "presence": {"enabled": False},
            "federation_domain_whitelist": [],
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "enable_metrics": False,
            "bcrypt_rounds": 4,  # set-up speed only: users are made once, never log in again
            **RATE_LIMITS,
        }

    def write_config(self) -> Path:
        log = {"version": 1, "disable_existing_loggers": False,
               "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
               "handlers": {"out": {"class": "logging.StreamHandler", "formatter": "plain",
                                    "stream": "ext://sys.stdout"}},
               "root": {"level": self.opts.synapse_log_level, "handlers": ["out"]}}
        # JSON is YAML: Synapse reads both files with yaml.safe_load
        (self.dir / "log.yaml").write_text(json.dumps(log, indent=2))
        (self.dir / "signing.key").write_text(signing_key())
        path = self.dir / "homeserver.yaml"
        config = self.config()
        path.write_text(json.dumps(config, indent=2))
        self.opts.synapse_config = redacted(config, str(self.dir), self.port)
        return path

    def start(self, timeout: float = 300.0) -> None:
        raise_nofile()
        if self.pg_db:
            asyncio.run(pg_admin(self.opts.pg, f'DROP DATABASE IF EXISTS "{self.pg_db}"',
                                 f'CREATE DATABASE "{self.pg_db}" ENCODING \'UTF8\' '
                                 "LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"))
        cfg = self.write_config()
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [str(synapse_python(self.opts.synapse_venv)), "-m", "synapse.app.homeserver", "-c", str(cfg)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            # its venv sits inside this repository: without a git folder of its own, Synapse would
            # append this repository's branch and commit to the version it reports
            cwd=self.dir, env=dict(os.environ, PYTHONUNBUFFERED="1", GIT_DIR=str(self.dir / "no-git")))
        self.stats = TreeStats(self.proc.pid)
        self._reader = threading.Thread(target=self._read, name="synapse-log", daemon=True)
        self._reader.start()
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("Synapse exited at start:\n" + "\n".join(list(self.tail)[-15:]))
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"Synapse not ready within {timeout:.0f}s:\n" + "\n".join(self.tail))
        self.startup = time.monotonic() - t0
        with urllib.request.urlopen(f"{self.url}/_synapse/admin/v1/server_version", timeout=10) as r:
            self.version = json.loads(r.read())["server_version"]

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            self.tail.append(line)
            if " ERROR " in line or "Traceback" in line or " CRITICAL " in line:
                self.errors += 1

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self._reader is not None:
            self._reader.join(5)
        if self.pg_db:
            try:
                asyncio.run(pg_admin(self.opts.pg, f'DROP DATABASE IF EXISTS "{self.pg_db}" WITH (FORCE)'))
            except Exception as exc:  # noqa: BLE001 - a leftover database is reported, not fatal
                print(f"  (could not drop {self.pg_db}: {exc})", flush=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> SynapseServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---- set-up over the client and admin APIs ------------------------------------------------------

class Api:
    """Keep-alive connections for set-up calls; `concurrency` requests at a time."""

    def __init__(self, server: SynapseServer, concurrency: int = 8):
        self.server = server
        self.free: asyncio.Queue[MatrixConn] = asyncio.Queue()
        self.count = 0
        self.limit = concurrency

    async def call(self, method: str, path: str, body: Any = None, token: str = "") -> Any:
        if self.free.empty() and self.count < self.limit:
            self.count += 1
            conn = await synapse_load.connect(self.server.host, self.server.port)
        else:
            conn = await self.free.get()
        try:
            for _ in range(5):
                if conn.lost:
                    conn = await synapse_load.connect(self.server.host, self.server.port)
                conn.auth = token.encode()
                status, data = await asyncio.wait_for(
                    conn.call(method.encode(), path.encode(),
                              None if body is None else json.dumps(body).encode()), 120)
                if status == 429:
                    await asyncio.sleep(json.loads(data).get("retry_after_ms", 100) / 1000)
                    continue
                if status != 200:
                    raise RuntimeError(f"{method} {path}: HTTP {status} {data[:300]!r}")
                return json.loads(data)
            raise RuntimeError(f"{method} {path}: still rate limited")
        finally:
            self.free.put_nowait(conn)

    async def close(self) -> None:
        while not self.free.empty():
            self.free.get_nowait().close()
        await asyncio.sleep(0)


async def gather_bounded(items: list[Any], fn: Any, limit: int) -> list[Any]:
    sem = asyncio.Semaphore(limit)

    async def one(x: Any) -> Any:
        async with sem:
            return await fn(x)

    return await asyncio.gather(*(one(x) for x in items))


async def register(api: Api, secret: str, count: int) -> list[dict[str, str]]:
    async def one(i: int) -> dict[str, str]:
        nonce = (await api.call("GET", "/_synapse/admin/v1/register"))["nonce"]
        name, password = f"bench{i:05d}", secrets.token_hex(8)
        mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), name.encode(), password.encode(), b"notadmin"]))
        got = await api.call("POST", "/_synapse/admin/v1/register",
                             {"nonce": nonce, "username": name, "password": password,
                              "admin": False, "mac": mac.hexdigest()})
        return {"user_id": got["user_id"], "token": got["access_token"]}

    return await gather_bounded(list(range(count)), one, api.limit)


def sync_filter(limit: int) -> dict[str, Any]:
    return {"presence": {"types": []}, "account_data": {"types": []},
            "room": {"timeline": {"types": ["m.room.message"], "limit": limit},
                     "state": {"types": []}, "ephemeral": {"types": []},
                     "account_data": {"types": []}}}


async def upload_filters(api: Api, users: list[dict[str, str]], limit: int) -> None:
    async def one(u: dict[str, str]) -> None:
        got = await api.call("POST", f"/_matrix/client/v3/user/{quote(u['user_id'], safe='')}/filter",
                             sync_filter(limit), u["token"])
        u["filter_id"] = got["filter_id"]

    await gather_bounded(users, one, api.limit)


async def join(api: Api, user: dict[str, str], room: str) -> None:
    await api.call("POST", f"/_matrix/client/v3/join/{room_path(room).decode()}", {}, user["token"])


# ---- a load over worker processes ---------------------------------------------------------------

class MatrixPool(Pool):
    """bench.pool.Pool's protocol, with processes running bench/synapse_load.py."""

    def __init__(self, specs: list[dict[str, Any]]):
        super().__init__(specs, target=synapse_load.main)


def run_phase(server: SynapseServer, pool: MatrixPool, cmd: dict[str, Any],
              opts: argparse.Namespace) -> dict[str, Any]:
    """One phase of the load: returns the figures in the shape of bench.scenarios.chat_load."""
    snap = Snapshot(server)  # type: ignore[arg-type]
    if server.pg:
        server.pg.start()
    pool.send_all(dict(cmd, at=time.monotonic_ns() + NS // 5, drain=opts.drain))
    sent = pool.recv_all(cmd["duration"] + 300)
    accepted: dict[str, list[str]] = {}
    failed: dict[int, list[int]] = {}
    for s in sent:
        for room, ids in s["accepted"].items():
            accepted.setdefault(room, []).extend(ids)
        failed.update(s["failed"])
    pool.send_all({"expect": accepted, "failed": failed})
    done = pool.recv_all(opts.drain + 300)
    snap.finish()
    pg_cpu = server.pg.finish() if server.pg else 0.0
    first = min((s["first_send"] for s in sent if s["first_send"]), default=0)
    last_reply = max(s["last_reply"] for s in sent)
    last_delivery = max(d["last_delivery"] for d in done)
    n_accepted = sum(len(v) for v in accepted.values())
    errors: Counter[str] = Counter()
    for s in sent:
        errors.update(s["errors"])
    e2e: list[float] = []
    send_lat: list[float] = []
    for d in done:
        e2e.extend(d["e2e"])
        send_lat.extend(d["send_lat"])
    # one order per room: every syncing member saw the same sequence
    digests: dict[str, list[str]] = {}
    for d in done:
        for room, ds in d["digests"].items():
            digests.setdefault(room, []).extend(ds)
    order = sum(len(ds) - Counter(ds).most_common(1)[0][1] for ds in digests.values() if ds)
    check = {k: sum(d[k] for d in done) for k in ("missing", "dups", "extra", "causal")}
    check["order"] = order
    check["unanswered"] = sum(s["unanswered"] for s in sent)
    check["errors"] = sum(errors.values())
    check["sync_errors"] = sum(d["sync_errors"] for d in done)
    span = max(1e-9, (last_reply - first) / NS)
    load_cpu = sum(d["cpu"] for d in done)
    return {
        "accepted": n_accepted, "sent": sum(s["sent"] for s in sent), "span": span,
        "throughput": n_accepted / span, "deliveries": sum(d["deliveries"] for d in done),
        "deliveries_per_s": sum(d["deliveries"] for d in done) / max(1e-9, (last_delivery - first) / NS),
        "send_lat": percentiles(send_lat), "e2e": percentiles(e2e), "check": check,
        "ok": not any(check.values()), "error_types": dict(errors),
        "limited": sum(d["limited"] for d in done), "backfilled": sum(d["backfilled"] for d in done),
        "stale": sum(d["stale"] for d in done), "reconnects": sum(d["reconnects"] for d in done),
        "server_cpu": snap.cpu, "server_wall": snap.wall, "server_peak_mb": snap.peak / 1024,
        "pg_cpu": pg_cpu, "pg_backends": getattr(server.pg, "backends", 0),
        "load_cpu": load_cpu, "others": snap.others(load_cpu + pg_cpu),
        "max_lag_ms": max(s["max_lag_ms"] for s in sent),
        "new_conns": sum(s["new_conns"] for s in sent),
        "duration": cmd["duration"],
        "syncs": sum(d["syncs"] for d in done), "empty_syncs": sum(d["empty_syncs"] for d in done),
    }


# common figure names (Steppe's own names map onto these)
SEND = "send latency (request → answer) p50/p95/p99/max"
E2E = "end-to-end (send → another member has it) p50/p95/p99/max"
DELIV = "deliveries/s (to every online member, the sender included)"
PER_MSG = "server + database CPU per 1,000 messages"
RENAME = {
    "send latency (RPC round trip) p50/p95/p99/max": SEND,
    "end-to-end (send → other member's update) p50/p95/p99/max": E2E,
    "deliveries/s (new_message frames, all sockets)": DELIV,
}


def pct(cpu: float, wall: float) -> str:
    return f"{cpu:.1f} s ({cpu / max(1e-9, wall) * 100:.0f}% of a core)"


def report(run: Run, r: dict[str, Any], *, offered: float | None = None) -> None:
    if offered is not None:
        run.add("offered", offered, "msg/s", "none")
    run.add("accepted messages/s", r["throughput"], "msg/s", "higher")
    run.add(SEND, r["send_lat"]["p50"], "ms", "lower", latency=r["send_lat"])
    run.add(E2E, r["e2e"]["p50"], "ms", "lower", latency=r["e2e"])
    run.add("end-to-end p99", r["e2e"]["p99"], "ms", "lower")
    run.add(DELIV, r["deliveries_per_s"], "/s", "higher")
    run.add("/sync answers (with no new event)", r["syncs"], "", "none",
            text=f"{r['syncs']:,} ({r['empty_syncs']:,})")
    c = r["check"]
    run.add("completeness", None, "", "none",
            text=("OK: every member got every accepted message once, one order per room, "
                  "none before one its sender had had answered"
                  if r["ok"] else ", ".join(f"{k} {v}" for k, v in c.items() if v)))
    run.add("messages accepted", r["accepted"], "", "none")
    run.add("server CPU", r["server_cpu"], "s", "none", text=pct(r["server_cpu"], r["server_wall"]))
    run.add("database CPU", r["pg_cpu"], "s", "none",
            text=(pct(r["pg_cpu"], r["server_wall"]) + f", {r['pg_backends']} PostgreSQL backends"
                  if run.target == "synapse-pg" else "in the server process (SQLite)"))
    per = (r["server_cpu"] + r["pg_cpu"]) / max(1, r["accepted"]) * 1000
    run.add(PER_MSG, per, "s", "lower")
    run.add("server peak RSS", r["server_peak_mb"], "MiB", "lower")
    run.add("load generator CPU", r["load_cpu"], "s", "none", text=pct(r["load_cpu"], r["server_wall"]))
    run.add("other processes on the machine meanwhile", None, "", "none", text=r["others"])
    run.ok = run.ok and r["ok"]
    if r["error_types"]:
        run.notes.append(f"send errors: {r['error_types']}")
    if r["limited"]:
        run.notes.append(f"{r['limited']} /sync answers were `limited` (more than --sync-limit new "
                         f"events); {r['backfilled']} events filled from /messages")
    if r["reconnects"]:
        run.notes.append(f"{r['reconnects']} sync connections re-opened")
    if r["new_conns"]:
        run.notes.append(f"open loop: {r['new_conns']} extra send connections opened (all busy)")
    if r["span"] > r["duration"] * 1.25:
        run.notes.append(f"the sends were answered over {r['span']:.1f}s (first send → last answer; "
                         f"no send starts after {r['duration']:g}s, and the rate is taken over the "
                         "whole span)")
    if r["max_lag_ms"] > 50:
        run.notes.append(f"load generator fell {r['max_lag_ms']:.0f} ms behind its schedule")


def check_synapse(server: SynapseServer, runs: list[Run]) -> None:
    if server.errors:
        for run in runs:
            run.notes.append(f"Synapse logged {server.errors} errors; last lines: "
                             + " | ".join(list(server.tail)[-3:]))
    if not server.alive():
        for run in runs:
            run.ok = False
            run.notes.append("Synapse exited during the scenario")


def loaded(server: SynapseServer, users: list[dict[str, Any]], groups: list[list[int]],
           opts: argparse.Namespace, inflight: int) -> tuple[MatrixPool, float]:
    specs = [{"host": server.host, "port": server.port, "srcs": srcs_for(i, 2),
              "users": [users[k] for k in idx], "inflight": inflight, "pad": opts.pad,
              "concurrency": 16} for i, idx in enumerate(groups)]
    pool = MatrixPool(specs)
    try:
        ready = pool.recv_all(600)
    except Exception:
        pool.close()
        raise
    return pool, max(r["initial_sync_s"] for r in ready)


def idle(server: SynapseServer, seconds: float = 3.0) -> str:
    """Synapse's and its database's CPU while every client is online and nobody sends."""
    assert server.stats is not None
    cpu0 = server.stats.cpu()
    if server.pg:
        server.pg.start()
    time.sleep(seconds)
    cpu = server.stats.cpu() - cpu0
    pg = server.pg.finish() if server.pg else 0.0
    return (f"idle for {seconds:g}s with every client online (nobody sending): Synapse "
            f"{cpu / seconds * 100:.0f}% of a core" + (f", PostgreSQL {pg / seconds * 100:.0f}%"
                                                        if server.pg else ""))


def warm_up(server: SynapseServer, pool: MatrixPool, opts: argparse.Namespace, tag: str,
            inflight: int) -> str:
    if opts.warmup <= 0:
        return "no warm-up"
    r = run_phase(server, pool, {"tag": tag, "mode": "closed", "inflight": inflight,
                                 "duration": opts.warmup}, opts)
    return (f"warm-up {opts.warmup:g}s closed loop (not in the figures): {r['throughput']:,.0f} msg/s, "
            f"{'complete' if r['ok'] else 'check: ' + str({k: v for k, v in r['check'].items() if v})}")


def synapse_target(opts: argparse.Namespace) -> str:
    return "synapse-pg" if opts.synapse_db == "postgres" else "synapse-sqlite"


def synapse_a(opts: argparse.Namespace) -> list[Run]:
    members, n_send, n_recv = opts.a_members, opts.a_senders, opts.a_receivers
    target = synapse_target(opts)
    with SynapseServer(opts, "A") as server:
        t0 = time.monotonic()

        async def prepare() -> tuple[list[dict[str, Any]], str, str]:
            api = Api(server, 8)
            users = await register(api, server.secret, members)
            t1 = time.monotonic()
            room = (await api.call("POST", "/_matrix/client/v3/createRoom",
                                   {"preset": "public_chat", "name": "bench group"},
                                   users[0]["token"]))["room_id"]
            await gather_bounded(users[1:], lambda u: join(api, u, room), 8)
            t2 = time.monotonic()
            await upload_filters(api, users[:n_send + n_recv], opts.sync_limit)
            await api.close()
            return users, room, (f"{members} registrations {t1 - t0:.1f}s, room + {members - 1} "
                                 f"joins {t2 - t1:.1f}s, {n_send + n_recv} sync filters "
                                 f"{time.monotonic() - t2:.1f}s")

        users, room, setup = asyncio.run(prepare())
        opts.synapse_reported = server.version
        online = [{**u, "index": i, "sync": True, "rooms": [room],
                   "send_room": room if i < n_send else None}
                  for i, u in enumerate(users[:n_send + n_recv])]
        order = [k for pair in zip(range(n_send), range(n_send, n_send + n_recv), strict=False)
                 for k in pair]
        order += [k for k in range(n_send + n_recv) if k not in order]
        groups = [[order[j] for j in g] for g in split(len(order), opts.procs)]
        pool, initial = loaded(server, online, groups, opts, opts.a_inflight)
        runs = []
        with pool:
            notes = [f"set-up (not in the figures): Synapse start {server.startup:.1f}s (fresh "
                     f"database and schema), {setup}, initial /sync of {len(online)} clients "
                     f"{initial:.1f}s", idle(server),
                     warm_up(server, pool, opts, "wA", opts.a_inflight), idle(server)]
            closed = Run("A", f"group {members} members, {n_send} senders × {opts.a_inflight} in "
                         f"flight, {n_recv} receivers, closed loop {opts.duration:g}s", target)
            r = run_phase(server, pool, {"tag": "cA", "mode": "closed", "inflight": opts.a_inflight,
                                         "duration": opts.duration}, opts)
            report(closed, r)
            closed.notes = notes + closed.notes
            runs.append(closed)
            rate = opts.a_rate
            if rate > 0:
                opened = Run("A", f"group, open loop at {rate:g} msg/s offered", target)
                r = run_phase(server, pool, {"tag": "oA", "mode": "open", "inflight": opts.a_inflight,
                                             "rate": rate / n_send, "duration": opts.duration}, opts)
                report(opened, r, offered=rate)
                runs.append(opened)
        check_synapse(server, runs)
        return runs


def synapse_c(opts: argparse.Namespace) -> list[Run]:
    pairs = opts.c_pairs
    target = synapse_target(opts)
    with SynapseServer(opts, "C") as server:
        t0 = time.monotonic()

        async def prepare() -> tuple[list[dict[str, Any]], list[str], str]:
            api = Api(server, 8)
            users = await register(api, server.secret, 2 * pairs)
            t1 = time.monotonic()

            async def pair(i: int) -> str:
                a, b = users[2 * i], users[2 * i + 1]
                room = (await api.call("POST", "/_matrix/client/v3/createRoom",
                                       {"preset": "trusted_private_chat", "is_direct": True,
                                        "invite": [b["user_id"]]}, a["token"]))["room_id"]
                await join(api, b, room)
                return room

            rooms = await gather_bounded(list(range(pairs)), pair, 8)
            t2 = time.monotonic()
            await upload_filters(api, users, opts.sync_limit)
            await api.close()
            return users, rooms, (f"{2 * pairs} registrations {t1 - t0:.1f}s, {pairs} direct rooms "
                                  f"(createRoom with invite, then join) {t2 - t1:.1f}s, "
                                  f"{2 * pairs} sync filters {time.monotonic() - t2:.1f}s")

        users, rooms, setup = asyncio.run(prepare())
        opts.synapse_reported = server.version
        online = [{**u, "index": i, "sync": True, "rooms": [rooms[i // 2]], "send_room": rooms[i // 2]}
                  for i, u in enumerate(users)]
        groups = split(len(online), opts.procs, unit=2)
        pool, initial = loaded(server, online, groups, opts, opts.c_inflight)
        with pool:
            notes = [f"set-up (not in the figures): Synapse start {server.startup:.1f}s (fresh "
                     f"database and schema), {setup}, initial /sync of {len(online)} clients "
                     f"{initial:.1f}s", idle(server),
                     warm_up(server, pool, opts, "wC", opts.c_inflight), idle(server)]
            run = Run("C", f"private chats: {2 * pairs} users in {pairs} pairs, all online, "
                      f"{opts.c_inflight} in flight each, closed loop {opts.duration:g}s", target)
            r = run_phase(server, pool, {"tag": "cC", "mode": "closed", "inflight": opts.c_inflight,
                                         "duration": opts.duration}, opts)
            report(run, r)
            run.notes = notes + run.notes
        check_synapse(server, [run])
        return [run]


# ---- Steppe, through its own scenarios ----------------------------------------------------------

def steppe_options(opts: argparse.Namespace) -> argparse.Namespace:
    from bench import run as bench_run

    so = bench_run.parse(["--only", "A,C", "--no-ceiling", "--no-write",
                          "--duration", str(opts.duration), "--procs", str(opts.procs),
                          "--pad", str(opts.pad), "--drain", str(min(opts.drain, 15.0)),
                          "--a-members", str(opts.a_members), "--a-senders", str(opts.a_senders),
                          "--a-receivers", str(opts.a_receivers),
                          "--a-inflight", str(opts.a_inflight),
                          "--c-pairs", str(opts.c_pairs), "--c-inflight", str(opts.c_inflight)])
    return so


def steppe_runs(opts: argparse.Namespace, key: str) -> list[Run]:
    from bench.scenarios import scenario_a, scenario_c

    so = steppe_options(opts)
    so.a_rate = float(opts.a_rate)
    runs = scenario_a(so, "steppe") if key == "A" else scenario_c(so, "steppe")
    for run in runs:
        for f in run.figures:
            f.name = RENAME.get(f.name, f.name)
            if f.name == "completeness" and run.ok:
                f.text = "OK: every socket got every accepted message once, pts in order"
        accepted, cpu = run.get("messages accepted"), run.get("server CPU")
        if accepted and cpu and accepted.value:
            at = next(i for i, f in enumerate(run.figures) if f.name == "server CPU") + 1
            run.figures.insert(at, Figure("database CPU", None, "", "none",
                                          text="in the server process (SQLite)"))
            run.figures.insert(at + 1, Figure(PER_MSG, cpu.value / accepted.value * 1000, "s", "lower"))
    return runs


# ---- the table and the file ---------------------------------------------------------------------

def value(f: Figure | None) -> str:
    if f is None:
        return ""
    if f.text is not None:
        return f.text
    if f.latency is not None:
        return lat(f.latency)
    if f.name == PER_MSG:
        return f"{f.value * 1000:,.0f} ms" if f.value is not None else "—"
    return fmt(f.value, f.unit)


def times(a: float, b: float) -> str:
    r = a / b
    return f"×{r:,.0f}" if r >= 100 else f"×{r:.1f}" if r >= 10 else f"×{r:.2f}"


def ratio(s: Figure | None, m: Figure | None) -> str:
    """How many times better Steppe's figure is (rates: Steppe ÷ Synapse; latency, CPU per message
    and memory: Synapse ÷ Steppe)."""
    if s is None or m is None or s.better == "none":
        return ""
    if s.latency is not None and m.latency is not None:
        parts = []
        for k in ("p50", "p99"):
            a, b = s.latency[k], m.latency[k]
            if a and b and a == a and b == b:
                parts.append(f"{k} {times(b, a)}")
        return " · ".join(parts)
    if not s.value or not m.value:
        return ""
    return times(s.value, m.value) if s.better == "higher" else times(m.value, s.value)


def table(pairs: list[tuple[Run | None, Run | None]], synapse_name: str) -> str:
    rows = [f"| Scenario | Figure | Steppe | {synapse_name} | Steppe's advantage |",
            "|---|---|---|---|---|"]
    for steppe, syn in pairs:
        base = steppe or syn
        assert base is not None
        bad = [name for name, run in (("Steppe", steppe), ("Synapse", syn)) if run and not run.ok]
        status = f" **(check failed: {', '.join(bad)})**" if bad else ""
        label = base.label if steppe is None or syn is None or steppe.label == syn.label else \
            f"{steppe.label}; Synapse: {syn.label}"
        rows.append(f"| **{base.scenario}** | *{label}*{status} | | | |")
        names: list[str] = []
        for run in (steppe, syn):
            for f in run.figures if run else []:
                if f.name not in names:
                    names.append(f.name)
        for name in names:
            s = steppe.get(name) if steppe else None
            m = syn.get(name) if syn else None
            paced = base.get("offered") is not None and name in ("accepted messages/s", DELIV)
            rows.append(f"| | {name} | {value(s)} | {value(m)} | {'' if paced else ratio(s, m)} |")
        for who, run in (("Steppe", steppe), ("Synapse", syn)):
            for note in run.notes if run else []:
                note = " / ".join(x.strip() for x in note.splitlines() if x.strip()).replace("|", "¦")
                rows.append(f"| | note ({who}) | {note} | | |")
    return "\n".join(rows)


def short(run: Run) -> str:
    offered = run.get("offered")
    if offered is not None:
        return f"{run.scenario} group, open loop at {offered.value:g} msg/s"
    kind = "group" if run.scenario == "A" else "private chats"
    return f"{run.scenario} {kind}, closed loop"


def summary(pairs: list[tuple[Run | None, Run | None]]) -> str:
    rows = ["| scenario | figure | Steppe | Synapse | Steppe's advantage |", "|---|---|---|---|---|"]
    for steppe, syn in pairs:
        if steppe is None or syn is None:
            continue
        open_loop = steppe.get("offered") is not None
        for name, what in (("accepted messages/s", "messages/s"), ("end-to-end p99", "end-to-end p99"),
                           (PER_MSG, "server + database CPU per 1,000 messages")):
            if open_loop and name != "end-to-end p99":
                continue  # the rate is the offered one; CPU per message at a few msg/s is mostly idle
            s, m = steppe.get(name), syn.get(name)
            if s is None or m is None or not s.value or not m.value:
                continue
            rows.append(f"| {short(steppe)} | {what} | {value(s)} | {value(m)} | {ratio(s, m)} |")
    return "\n".join(rows)


def render(pairs: list[tuple[Run | None, Run | None]], opts: argparse.Namespace, info: dict[str, str],
           elapsed: float) -> str:
    db = (info["pg"] + f" at {opts.pg} (a fresh database per scenario, UTF8, "
          "C collation, dropped afterwards; psycopg2, cp_min 5, cp_max 10)"
          if opts.synapse_db == "postgres" else "SQLite (Synapse's sqlite3 engine, a fresh file)")
    syn = f"Synapse {info['synapse']}"
    venv = (opts.synapse_venv.relative_to(ROOT) if opts.synapse_venv.is_relative_to(ROOT)
            else opts.synapse_venv)
    command = " ".join(shlex.quote(a) for a in ["python", "-m", "bench.synapse", *sys.argv[1:]])
    lines = [
        f"# Steppe and Matrix Synapse — {dt.datetime.now():%Y-%m-%d %H:%M} on {info['host']}",
        "",
        f"- **Machine**: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, "
        f"Linux {info['kernel']}; open-files limit {info['nofile']}",
        f"- **Steppe**: Python {info['python']}, SQLite {info['sqlite']}, {info['libs']}; "
        "`steppe --data TMP --rate-limit 0 serve --port P` (its own process, SQLite in WAL), "
        "driven by bench.scenarios exactly as `python -m bench.run --only A,C --no-ceiling`",
        f"- **Synapse**: matrix-synapse {info['synapse']} (server_version answered by the server; "
        f"pip: {info['synapse_pip']}), Twisted {info.get('twisted', '?')}, "
        f"Python {info.get('synapse_python', '?')}, in `{venv}`; "
        "one process (`python -m synapse.app.homeserver`, no workers), default Twisted reactor",
        f"- **Synapse's database**: {db}",
        "- **Synapse's config** (generated per scenario): server_name localhost; one plain HTTP "
        "`client` listener on 127.0.0.1, no federation listener, `federation_domain_whitelist: []`, "
        "`trusted_key_servers: []`; presence disabled; report_stats false; metrics off; "
        f"log level {opts.synapse_log_level}; caches at their defaults; bcrypt_rounds 4 (set-up "
        "only); users made by the admin register API (shared secret, HMAC-SHA1); every rate "
        "limit at 1,000,000/s with a burst of 1,000,000: "
        + ", ".join(f"`{k}`" for k in RATE_LIMITS),
        "- **Synapse's clients** (bench/synapse_load.py, "
        f"{opts.procs} processes, uvloop, keep-alive HTTP/1.1 through httptools): each online "
        "member long-polls `/sync?timeout=30000&since=…` with an uploaded filter keeping only "
        f"`m.room.message` (timeline limit {opts.sync_limit}; no state, presence, ephemeral or "
        "account data); senders `PUT /rooms/{room}/send/m.room.message/{txnId}`, one request per "
        f"connection at a time. Each scenario has {opts.warmup:g}s of unmeasured warm-up on "
        "Synapse before the measured runs; Steppe runs as in its own benchmark (none)",
        f"- **Command**: `{command}` — took {elapsed:.0f}s",
        f"- **Load average** (1 min) at start → end: {info['load_start']} → {info['load_end']}. "
        "Servers, PostgreSQL and the load generators share the machine's cores: the load "
        "generator's CPU is shown, PostgreSQL's (its backends serving the run's database) too, and "
        "the CPU every other process on the machine used during each measured phase.",
        "- Latencies are p50 / p95 / p99 / max. \"Steppe's advantage\": Steppe ÷ Synapse for "
        "rates, Synapse ÷ Steppe for latencies, CPU per message and memory (×1 = the same; below 1 "
        "Synapse is better). \"server + database CPU per 1,000 messages\": Steppe's process; "
        "Synapse's process plus its PostgreSQL backends.",
        "",
        summary(pairs),
        "",
        table(pairs, syn),
        "",
    ]
    if getattr(opts, "synapse_config", None):
        lines += ["<details><summary>The generated homeserver.yaml (JSON is YAML; secrets left out)"
                  "</summary>", "", "```json", opts.synapse_config, "```", "", "</details>", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    raise_nofile()
    opts.synapse_venv = opts.synapse_venv.resolve()
    pip_version = ensure_synapse(opts.synapse_venv)
    if opts.install_only:
        print(f"matrix-synapse {pip_version} in {opts.synapse_venv}")
        return 0
    from bench.run import machine

    info = machine()
    vv = venv_versions(opts.synapse_venv)
    info.update(synapse_pip=pip_version, synapse=pip_version, twisted=vv.get("Twisted", "?"),
                synapse_python=vv.get("python", "?"),
                pg=pg_info(opts.pg) if opts.synapse_db == "postgres" else "")
    info["load_start"] = f"{os.getloadavg()[0]:.2f}"
    started = time.monotonic()
    pairs: list[tuple[Run | None, Run | None]] = []
    failed = False
    target = synapse_target(opts)
    for key in opts.only:
        got: dict[str, list[Run]] = {}
        for who in ([target] + ([] if opts.no_steppe else ["steppe"])):
            print(f"[{time.monotonic() - started:5.0f}s] {key} against {who} ...", flush=True)
            try:
                if who == "steppe":
                    got[who] = steppe_runs(opts, key)
                else:
                    got[who] = synapse_a(opts) if key == "A" else synapse_c(opts)
            except Exception as exc:  # noqa: BLE001 - reported in the table, the run goes on
                traceback.print_exc()
                bad = Run(key, "failed", who, ok=False)
                bad.notes.append(f"{type(exc).__name__}: {str(exc)[-600:]}")
                got[who] = [bad]
            for run in got[who]:
                print(f"         {run.label}: " + "; ".join(
                    f"{f.name.split(' (')[0]} {value(f)}" for f in run.figures[:5]), flush=True)
                for note in run.notes:
                    print(f"           {note}", flush=True)
                failed = failed or not run.ok
        syn_runs, st_runs = got.get(target, []), got.get("steppe", [])
        for i in range(max(len(syn_runs), len(st_runs))):
            pairs.append((st_runs[i] if i < len(st_runs) else None,
                          syn_runs[i] if i < len(syn_runs) else None))
    info["load_end"] = f"{os.getloadavg()[0]:.2f}"
    info["synapse"] = getattr(opts, "synapse_reported", "") or pip_version
    text = render(pairs, opts, info, time.monotonic() - started)
    from bench.run import publish

    publish(text, opts.out, None if opts.no_write else f"{info['host']}-synapse.md")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
