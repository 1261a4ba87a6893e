"""The server under test as its own process: start, log reading (login codes), /proc figures, stop."""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE_LINE = re.compile(r"login code for (\+\d+): (\d+)")
TICK = os.sysconf("SC_CLK_TCK")


def raise_nofile() -> int:
    """Lift the soft open-files limit to the hard one (children inherit it); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def steppe_executable() -> str:
    local = ROOT / ".venv" / "bin" / "steppe"
    if local.exists():
        return str(local)
    found = shutil.which("steppe")
    if not found:
        raise SystemExit("cannot find the `steppe` command (install the package in .venv)")
    return found


class ProcStats:
    """CPU seconds and memory of one process, read from /proc."""

    def __init__(self, pid: int):
        self.pid = pid

    def cpu(self) -> float:
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime (fields 14, 15)

    def status(self) -> dict[str, int]:
        out: dict[str, int] = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS", "Threads"):
                    out[key] = int(value.split()[0])
        return out  # kB (Threads: a count)

    def rss_kb(self) -> int:
        return self.status()["VmRSS"]

    def hwm_kb(self) -> int:
        return self.status()["VmHWM"]

    def reset_peak(self) -> bool:
        """Reset VmHWM to the current RSS (Linux clear_refs 5), so the next peak is this phase's."""
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def fds(self) -> int:
        try:
            return len(os.listdir(f"/proc/{self.pid}/fd"))
        except OSError:
            return -1


class ServerProcess:
    """Steppe (`steppe --data TMP --rate-limit 0 serve --port P`) or the ceiling server."""

    def __init__(self, kind: str = "steppe", *, database: str | None = None, keep_log: int = 200,
                 extra: list[str] | None = None, serve_args: list[str] | None = None,
                 data: str | None = None):
        self.kind = kind
        self.database = database
        self.extra = extra or []  # global options, before `serve`
        self.serve_args = serve_args or []  # `serve` options (e.g. --bus URL)
        self.port = free_port()
        self.host = "127.0.0.1"
        self.own_data = data is None  # a shared folder (several nodes) is the caller's to remove
        self.data = data or tempfile.mkdtemp(prefix=f"steppe-bench-{kind}-")
        self.proc: subprocess.Popen[bytes] | None = None
        self.codes: dict[str, str] = {}
        self._codes_lock = threading.Lock()
        self.tail: deque[str] = deque(maxlen=keep_log)
        self.lines = 0
        self.errors = 0
        self._reader: threading.Thread | None = None
        self.stats: ProcStats | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        if self.kind == "steppe":
            cmd = [steppe_executable(), "--data", self.data, "--rate-limit", "0"]
            if self.database:
                cmd += ["--database", self.database]
            return cmd + [*self.extra, "serve", "--port", str(self.port), *self.serve_args]
        transport = "steppe" if self.kind == "ceiling-steppe" else "uvicorn"
        return [sys.executable, str(ROOT / "bench" / "ceiling.py"), "--port", str(self.port),
                "--transport", transport]

    def start(self, timeout: float = 30.0) -> None:
        raise_nofile()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                     cwd=self.data)
        self.stats = ProcStats(self.proc.pid)
        self._reader = threading.Thread(target=self._read, name="server-log", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"{self.kind} exited at start:\n" + "\n".join(list(self.tail)[-8:]))
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.kind} did not listen within {timeout}s:\n" + "\n".join(self.tail))

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in self.proc.stdout:  # drained all the time, so the server never blocks on its log
            line = raw.decode("utf-8", "replace").rstrip()
            self.lines += 1
            self.tail.append(line)
            if "login code" in line:
                m = CODE_LINE.search(line)
                if m:
                    with self._codes_lock:
                        self.codes[m.group(1)] = m.group(2)
            elif "Traceback" in line or " ERROR " in line:
                self.errors += 1

    def code(self, phone: str) -> str | None:
        with self._codes_lock:
            return self.codes.pop(phone, None)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._reader is not None:
            self._reader.join(5)
        if self.own_data:
            shutil.rmtree(self.data, ignore_errors=True)

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
