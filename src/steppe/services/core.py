"""What every service shares: the stores, the bus, the clock, and publishing after commit."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from steppe.bus import Bus
from steppe.domain import bots
from steppe.domain.models import Message
from steppe.store.chats import ChatStore
from steppe.store.messages import MessageStore
from steppe.store.store import Emitted, Store


class Clock(Protocol):
    def now(self) -> int: ...


class SystemClock:
    def now(self) -> int:
        return int(time.time())


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self, start: int = 1_700_000_000):
        self.value = start

    def now(self) -> int:
        return self.value

    def advance(self, seconds: int) -> None:
        self.value += seconds


@dataclass
class Settings:
    data_dir: str = "./data"
    max_body: int = 1 << 20
    rate_per_second: float = 100.0
    rate_burst: int = 300
    send_queue: int = 1024
    code_sender: str = "log"
    max_file_size: int = 2 << 30  # bytes per uploaded file (issue 6)
    file_gc_interval: int = 600  # seconds between collections of uploads and blobs
    fsync: bool = True  # SQLite: acknowledge a write only once its log is on disk


TOPIC = {"chat": "c", "user": "u", "join": "j", "leave": "l", "bot": "bu"}


def _no_bots(chat_id: int, sender_id: int) -> tuple[int, ...]:
    return ()


@dataclass
class Core:
    store: Store
    chats: ChatStore
    messages: MessageStore
    bus: Bus
    clock: Clock = field(default_factory=SystemClock)
    settings: Settings = field(default_factory=Settings)
    # The bots whose feed step a message to this chat from this sender may take in its own
    # write (the bot feed sets it: the bot of a private chat it knows).
    bots_to_pass: Callable[[int, int], tuple[int, ...]] = _no_bots

    def publish(self, out: list[Emitted]) -> None:
        """Hand committed events to the bus, in the order they were written."""
        for ev in out:
            if ev.kind in ("join", "leave"):
                self.bus.publish(f"{TOPIC[ev.kind]}.{ev.chat_id}", str(ev.target).encode())
            else:
                self.bus.publish(f"{TOPIC[ev.kind]}.{ev.target}", ev.data.encode())

    async def send_as_member(self, template: Message, random_id: int | None) -> Message | None:
        """Store and publish a message to a private chat or basic group whose sender the write
        itself finds in it (on PostgreSQL after locking the chat's row, so a removal committed
        meanwhile comes first); None, and nothing written, when it does not."""
        got = await self.messages.send_as_member(
            template, random_id, self.bots_to_pass(template.chat_id, template.sender_id),
            self.clock.now() + bots.UPDATE_TTL)
        if got is None:
            return None
        self.publish(got[1])
        return got[0]

    def publish_ephemeral(self, topic: str, data: bytes) -> None:
        self.bus.publish(topic, data)
