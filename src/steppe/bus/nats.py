"""The bus on NATS (core publish/subscribe, no JetStream): `--bus nats://host:4222`.

Every node publishes `steppe.<topic>` and subscribes to `steppe.>`. The connection is opened with
`no_echo`, so a node never hears itself: its own events reach its handlers at publish time (see
`steppe.bus.wire`). nats-py reconnects by itself and buffers what is published meanwhile; what
it cannot deliver is lost, which the update sequence makes good.
"""

from __future__ import annotations

import logging
from typing import Any

import nats
from nats.aio.msg import Msg

from steppe.bus.wire import WireBus

log = logging.getLogger("steppe.bus")


class NatsBus(WireBus):
    def __init__(self, url: str, *, prefix: str | None = None, outbox: int = 100_000):
        super().__init__(url, prefix=prefix, outbox=outbox)
        self._nc: Any = None

    async def _connect(self) -> None:
        # A few tries at start-up, so a wrong address fails the start loudly; once connected,
        # reconnect for ever (nats-py reads the option on every reconnect).
        self._nc = await nats.connect(
            self.url, name="steppe", no_echo=True, connect_timeout=3, reconnect_time_wait=1,
            max_reconnect_attempts=2, error_cb=self._error, disconnected_cb=self._disconnected,
            reconnected_cb=self._reconnected)
        self._nc.options["max_reconnect_attempts"] = -1
        await self._nc.subscribe(self.prefix + ">", cb=self._on_msg)
        await self._nc.flush()  # the subscription is live on the server before start() returns

    async def _send(self, batch: list[tuple[str, bytes]]) -> None:
        nc = self._nc
        for topic, data in batch:
            await nc.publish(self.prefix + topic, data)

    async def _disconnect(self) -> None:
        nc, self._nc = self._nc, None
        if nc is None or nc.is_closed:
            return
        try:
            await nc.flush(timeout=1)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        await nc.close()

    async def _on_msg(self, msg: Msg) -> None:
        self._received(msg.subject, msg.data)

    async def _error(self, exc: Exception) -> None:
        log.warning("NATS %s: %s", self.where, exc)

    async def _disconnected(self) -> None:
        log.warning("NATS %s: disconnected", self.where)

    async def _reconnected(self) -> None:
        log.info("NATS %s: reconnected", self.where)
