"""The harness side of the load processes: spawn, exchange phase messages, stop (all bounded)."""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from typing import Any

from bench import workers


class WorkerFailed(RuntimeError):
    pass


class Pool:
    """Load processes, each running `target(pipe, spec)` (bench/workers.py by default)."""

    def __init__(self, specs: list[dict[str, Any]], target: Callable[..., Any] = workers.main):
        ctx = mp.get_context("spawn")
        self.pipes = []
        self.procs = []
        for spec in specs:
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=target, args=(theirs, spec), daemon=True)
            proc.start()
            theirs.close()
            self.pipes.append(ours)
            self.procs.append(proc)

    def recv_all(self, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        out = []
        for i, pipe in enumerate(self.pipes):
            left = deadline - time.monotonic()
            if left <= 0 or not pipe.poll(left):
                raise WorkerFailed(f"load process {i} did not answer within {timeout:.0f}s")
            try:
                msg = pipe.recv()
            except EOFError:
                raise WorkerFailed(f"load process {i} exited") from None
            if msg.get("phase") == "failed":
                raise WorkerFailed(f"load process {i}: {msg['error']}")
            out.append(msg)
        return out

    def send_all(self, msg: dict[str, Any] | list[dict[str, Any]]) -> None:
        for i, pipe in enumerate(self.pipes):
            try:
                pipe.send(msg[i] if isinstance(msg, list) else msg)
            except (BrokenPipeError, OSError):
                pass

    def close(self, timeout: float = 20.0) -> None:
        self.send_all({"cmd": "close"})
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            proc.join(max(0.1, deadline - time.monotonic()))
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
        for pipe in self.pipes:
            pipe.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
