"""The bus carries committed events between nodes as bytes on topics. It is a wake-up only:
a dropped message is recovered by devices through the update sequence.

`memory` serves one process; `nats://...` and `redis://...` join several nodes. On every backend a
handler gets every event once, this node's own at publish time (see `steppe.bus.wire`)."""

from steppe.bus.base import Bus, Handler
from steppe.bus.memory import MemoryBus

__all__ = ["Bus", "Handler", "MemoryBus", "make_bus"]


def make_bus(url: str) -> Bus:
    if url in ("", "memory", "memory://"):
        return MemoryBus()
    if url.startswith(("nats://", "tls://")):
        from steppe.bus.nats import NatsBus

        return NatsBus(url)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from steppe.bus.redis import RedisBus

        return RedisBus(url)
    raise ValueError(f"unsupported bus {url!r} (this build has memory, nats://HOST:PORT and"
                     " redis://HOST:PORT)")
