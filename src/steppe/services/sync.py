"""getState and getDifference: exactly what a device missed, in order."""

from __future__ import annotations

import msgspec

from steppe.domain import limits
from steppe.domain.errors import bad_request
from steppe.services.core import Core

Raw = msgspec.Raw


class _Peek(msgspec.Struct):
    """Just enough of an account event to see whether it let the user into a chat."""

    type: str
    pts: int = 0
    chat: dict[str, object] = {}


_peek = msgspec.json.Decoder(_Peek)


def _joined(user_events: list[str]) -> dict[int, int]:
    """Chats the device learns of in these events, with the pts it starts from in each."""
    out: dict[int, int] = {}
    for payload in user_events:
        if '"join_chat"' in payload:
            ev = _peek.decode(payload)
            if ev.type == "join_chat":
                out[int(ev.chat["id"])] = ev.pts  # type: ignore[call-overload]
    return out


class ChatDifference(msgspec.Struct, omit_defaults=True):
    chat_id: int
    pts: int
    events: list[Raw] = []
    too_long: bool = False


class Difference(msgspec.Struct, omit_defaults=True):
    seq: int
    user_events: list[Raw]
    chats: list[ChatDifference]
    left: list[int] = []
    more: bool = False


class SyncService:
    def __init__(self, core: Core):
        self.core = core

    async def state(self, user_id: int) -> dict[str, object]:
        account = await self.core.store.get_account(user_id)
        assert account is not None
        chats = await self.core.chats.member_chats(user_id)
        return {"seq": account.seq, "date": self.core.clock.now(),
                "chats": {str(k): v for k, v in chats.items()}}

    async def difference(self, user_id: int, seq: int, known: dict[int, int]) -> Difference:
        account = await self.core.store.get_account(user_id)
        assert account is not None
        if seq < 0 or seq > account.seq:
            raise bad_request("PERSISTENT_TIMESTAMP_INVALID")
        budget = limits.DIFFERENCE_TOTAL_LIMIT
        user_events = await self.core.chats.user_events(user_id, seq, budget)
        budget -= len(user_events)
        more = seq + len(user_events) < account.seq
        current = await self.core.chats.member_chats(user_id)
        joined = _joined(user_events)
        chats = []
        for chat_id, pts in sorted(current.items()):
            have = known.get(chat_id, joined.get(chat_id, pts))
            if have >= pts:
                continue
            if pts - have > limits.DIFFERENCE_CHAT_LIMIT:
                chats.append(ChatDifference(chat_id, pts, too_long=True))
                continue
            if budget <= 0:
                more = True
                break
            events = await self.core.chats.chat_events(chat_id, have, min(budget, pts - have))
            budget -= len(events)
            got = have + len(events)
            more = more or got < pts
            chats.append(ChatDifference(chat_id, got, [Raw(e.encode()) for e in events]))
        left = sorted(set(known) - set(current))
        return Difference(seq=seq + len(user_events), user_events=[Raw(e.encode()) for e in user_events],
                          chats=chats, left=left, more=more)

    async def chat_difference(self, user_id: int, chat_id: int, pts: int, limit: int
                              ) -> ChatDifference:
        chat, member = await self.core.chats.chat_and_member(chat_id, user_id)
        if chat is None or member is None:
            raise bad_request("PEER_ID_INVALID")
        current = chat.pts
        if pts < 0 or pts > current:
            raise bad_request("PERSISTENT_TIMESTAMP_INVALID")
        limit = max(1, min(limit, limits.DIFFERENCE_CHAT_LIMIT))
        if current - pts > limits.DIFFERENCE_CHAT_LIMIT:
            return ChatDifference(chat_id, current, too_long=True)
        events = await self.core.chats.chat_events(chat_id, pts, limit)
        return ChatDifference(chat_id, pts + len(events), [Raw(e.encode()) for e in events])
