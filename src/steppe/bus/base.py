from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Handler = Callable[[str, bytes], None]


class Bus(Protocol):
    """Publish bytes on a topic; every subscriber on every node gets them, in publish order."""

    async def start(self) -> None: ...
    async def close(self) -> None: ...
    def publish(self, topic: str, data: bytes) -> None: ...
    def subscribe(self, handler: Handler) -> None: ...
