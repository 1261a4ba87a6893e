"""The bus on Redis pub/sub (redis-py asyncio): `--bus redis://host:6379/0`.

Every node publishes on `steppe.<topic>` and pattern-subscribes to `steppe.*`. Redis echoes a
publisher's messages to its own subscription, so each frame starts with the sending node's
random 8-byte id and a node skips its own (they reached its handlers at publish time, see
`steppe.bus.wire`). A lost connection is reopened and resubscribed; what was published in between
is lost, which the update sequence makes good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from steppe.bus.wire import WireBus

log = logging.getLogger("steppe.bus")
NODE_ID_BYTES = 8


class RedisBus(WireBus):
    def __init__(self, url: str, *, prefix: str | None = None, outbox: int = 100_000):
        super().__init__(url, prefix=prefix, outbox=outbox)
        self.node = os.urandom(NODE_ID_BYTES)
        self._client: aioredis.Redis | None = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def _connect(self) -> None:
        self._client = aioredis.Redis.from_url(self.url, socket_connect_timeout=3,
                                               health_check_interval=30,
                                               client_name=f"steppe-{self.node.hex()}")
        await self._client.ping()
        await self._subscribe()
        self._reader = asyncio.get_running_loop().create_task(self._listen())

    async def _subscribe(self) -> None:
        assert self._client is not None
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.psubscribe(self.prefix + "*")

    async def _send(self, batch: list[tuple[str, bytes]]) -> None:
        assert self._client is not None
        pipe = self._client.pipeline(transaction=False)
        for topic, data in batch:
            pipe.publish(self.prefix + topic, self.node + data)
        await pipe.execute()

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            try:
                if self._pubsub is None:
                    await self._subscribe()
                    log.info("Redis %s: resubscribed", self.where)
                msg = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
                backoff = 0.1
            except (RedisError, OSError) as exc:
                log.warning("Redis %s: %s; reconnecting", self.where, exc)
                await self._drop_pubsub()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            if msg is None or msg.get("type") != "pmessage":
                continue
            data: bytes = msg["data"]
            if data[:NODE_ID_BYTES] == self.node:
                continue
            channel = msg["channel"]
            self._received(channel.decode() if isinstance(channel, bytes) else channel,
                           data[NODE_ID_BYTES:])

    async def _drop_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _disconnect(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await self._drop_pubsub()
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
