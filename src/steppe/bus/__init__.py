"""The bus carries committed events between nodes as bytes on topics. It is a wake-up only:
a dropped message is recovered by devices through the update sequence."""

from steppe.bus.base import Bus, Handler
from steppe.bus.memory import MemoryBus

__all__ = ["Bus", "Handler", "MemoryBus", "make_bus"]


def make_bus(url: str) -> Bus:
    if url in ("", "memory", "memory://"):
        return MemoryBus()
    raise ValueError(f"unsupported bus {url!r} (this build has: memory)")
