"""What the NATS and Redis buses share: local delivery at once, and an outbox for the others.

`publish` is synchronous (services call it right after a commit), so a networked bus cannot send
there. It does two things instead:

- it calls this node's handlers at once, exactly as `MemoryBus` does, so devices on the node that
  committed an event see it with no round trip and even while the pub/sub server is away;
- it appends the event to a bounded outbox that one task sends to the server in publish order.

Messages coming back from the server are never this node's own (NATS is told `no_echo`; Redis
frames carry the sending node's id and a node skips its own), so every handler gets every event
exactly once: this node's at publish time, other nodes' when they arrive. Per topic (in fact per
publishing node) order is kept end to end: one outbox, one connection, one subscription.

Several deployments can share one server: `?prefix=acme.` in the URL (default `steppe.`) puts
this one's subjects or channels under its own prefix.

The bus is a wake-up: when the outbox is full or the server is unreachable, events are dropped,
counted in `dropped` and logged; devices recover them through the update sequence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import deque
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from steppe.bus.base import Handler

log = logging.getLogger("steppe.bus")

PREFIX = "steppe."
OUTBOX = 100_000
BATCH = 512
_PREFIX_OK = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.")


def split_bus_url(url: str) -> tuple[str, str | None, str]:
    """`nats://h:4222?prefix=acme.` -> (the server URL, the prefix or None, `h:4222` for logs)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((v for k, v in query if k == "prefix"), None)
    where = f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or parts.path)
    if prefix is None:
        return url, None, where
    rest = urlencode([(k, v) for k, v in query if k != "prefix"])
    return urlunsplit(parts._replace(query=rest)), prefix, where


class WireBus:
    def __init__(self, url: str, *, prefix: str | None = None, outbox: int = OUTBOX):
        self.url, from_url, self.where = split_bus_url(url)
        self.prefix = prefix or from_url or PREFIX
        if not self.prefix.endswith("."):
            self.prefix += "."
        if not _PREFIX_OK.fullmatch(self.prefix):
            raise ValueError(f"bus prefix {self.prefix!r}: letters, digits, _ and - between dots")
        self.outbox_limit = outbox
        self.dropped = 0
        self.sent = 0
        self.received = 0
        self._handlers: list[Handler] = []
        self._outbox: deque[tuple[str, bytes]] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    # ---- what a backend provides ---------------------------------------------------------------

    async def _connect(self) -> None:
        raise NotImplementedError

    async def _send(self, batch: list[tuple[str, bytes]]) -> None:
        raise NotImplementedError

    async def _disconnect(self) -> None:
        raise NotImplementedError

    # ---- the Bus protocol ----------------------------------------------------------------------

    async def start(self) -> None:
        await self._connect()
        self._task = asyncio.get_running_loop().create_task(self._flush_loop())
        if self._outbox:
            self._wake.set()

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def publish(self, topic: str, data: bytes) -> None:
        self._deliver(topic, data)
        if self._closed:
            return
        if len(self._outbox) >= self.outbox_limit:
            self._outbox.popleft()
            self._drop(1, "the outbox is full")
        self._outbox.append((topic, data))
        self._idle.clear()
        self._wake.set()

    async def close(self, timeout: float = 2.0) -> None:
        """Send what is queued (waiting at most `timeout`), then disconnect."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), timeout)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._outbox:
            self._drop(len(self._outbox), "closing")
            self._outbox.clear()
        self._handlers.clear()
        await self._disconnect()

    # ---- inside --------------------------------------------------------------------------------

    def _deliver(self, topic: str, data: bytes) -> None:
        for handler in self._handlers:
            try:
                handler(topic, data)
            except Exception:  # a subscriber's failure never reaches the publisher
                log.exception("bus handler failed on %s", topic)

    def _received(self, subject: str, data: bytes) -> None:
        """A message from another node."""
        if not subject.startswith(self.prefix):
            return
        self.received += 1
        self._deliver(subject[len(self.prefix):], data)

    def _drop(self, n: int, why: str) -> None:
        if self.dropped == 0 or (self.dropped + n) // 1000 > self.dropped // 1000:
            log.warning("bus %s dropped %d event(s) (%s); devices will catch up", self.where, n, why)
        self.dropped += n

    async def _flush_loop(self) -> None:
        backoff = 0.05
        while True:
            if not self._outbox:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            n = min(len(self._outbox), BATCH)
            batch = [self._outbox.popleft() for _ in range(n)]
            try:
                await self._send(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the server is away; the events are dropped
                self._drop(len(batch), f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
            else:
                self.sent += len(batch)
                backoff = 0.05
