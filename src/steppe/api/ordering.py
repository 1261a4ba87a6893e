"""Chat events in pts order, whatever order the bus brings them in.

With PostgreSQL, or several nodes, two events of one chat can reach this node in the opposite
order of their pts (each was published when its own transaction committed). A device would see a
gap and fetch the difference: correct, but a round trip for every device of the chat. So an event
that arrives early waits here, briefly, for the ones before it; after `wait` seconds it goes on
anyway and devices recover through the difference as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import msgspec


class _Pts(msgspec.Struct):
    pts: int = 0


_peek = msgspec.json.Decoder(_Pts)


class ChatOrder:
    def __init__(self, deliver: Callable[[int, bytes], None], *, wait: float = 0.05,
                 max_chats: int = 200_000):
        self.deliver = deliver
        self.wait = wait
        self.max_chats = max_chats
        self.last: dict[int, int] = {}
        self.held: dict[int, dict[int, bytes]] = {}
        self.timers: dict[int, asyncio.TimerHandle] = {}
        self.held_total = 0  # events that had to wait, for the curious

    def accept(self, chat_id: int, data: bytes) -> None:
        pts = _peek.decode(data).pts
        last = self.last.get(chat_id)
        if last is None or pts == last + 1:
            self._pass(chat_id, pts, data)
        elif pts <= last:
            self.deliver(chat_id, data)  # a late repeat: devices skip what they have
        else:
            self.held.setdefault(chat_id, {})[pts] = data
            self.held_total += 1
            if chat_id not in self.timers:
                loop = asyncio.get_running_loop()
                self.timers[chat_id] = loop.call_later(self.wait, self._give_up, chat_id)

    def _pass(self, chat_id: int, pts: int, data: bytes) -> None:
        if len(self.last) >= self.max_chats and chat_id not in self.last:
            self.last.clear()
        self.deliver(chat_id, data)
        self.last[chat_id] = pts
        held = self.held.get(chat_id)
        while held and pts + 1 in held:
            pts += 1
            self.deliver(chat_id, held.pop(pts))
            self.last[chat_id] = pts
        if held is not None and not held:
            del self.held[chat_id]
            timer = self.timers.pop(chat_id, None)
            if timer is not None:
                timer.cancel()

    def _give_up(self, chat_id: int) -> None:
        """The missing events did not come in time: send on what waited, in order."""
        self.timers.pop(chat_id, None)
        held = self.held.pop(chat_id, {})
        for pts in sorted(held):
            self.deliver(chat_id, held[pts])
            self.last[chat_id] = max(self.last.get(chat_id, 0), pts)
