from __future__ import annotations

import logging

from steppe.bus.base import Handler

log = logging.getLogger(__name__)


class MemoryBus:
    """One process: publish calls each subscriber at once, in order."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._handlers.clear()

    def publish(self, topic: str, data: bytes) -> None:
        for handler in self._handlers:
            try:
                handler(topic, data)
            except Exception:  # a subscriber's failure never reaches the publisher
                log.exception("bus handler failed on %s", topic)

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)
