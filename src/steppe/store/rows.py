"""Rows to domain structs, and the JSON columns they carry."""

from __future__ import annotations

from typing import Any

import msgspec

from steppe.domain.entities import Entity
from steppe.domain.models import (
    Account,
    Action,
    Authorization,
    Chat,
    Forward,
    LoginCode,
    Member,
    Message,
    User,
)

_entities = msgspec.json.Decoder(list[Entity])
_forward = msgspec.json.Decoder(Forward)
_action = msgspec.json.Decoder(Action)
_enc = msgspec.json.Encoder()


def prefixed(alias: str, columns: str) -> str:
    """`columns` (a SELECT list of bare names) as columns of the table called `alias`."""
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))


USER_COLUMNS = "id, phone, first_name, last_name, username, bio, is_bot, last_seen"
ACCOUNT_COLUMNS = USER_COLUMNS + ", country, password_hash, password_hint, seq"
CHAT_COLUMNS = (
    "id, kind, title, creator_id, user_a, user_b, pts, top_msg_id, last_date, member_count"
)
MEMBER_COLUMNS = "chat_id, user_id, role, inviter_id, joined, read_inbox_max_id, pinned"
MESSAGE_COLUMNS = (
    "chat_id, id, sender_id, date, text, entities, reply_to, fwd, action, edit_date, pinned, extra"
)
BASE_MESSAGE_FIELDS = frozenset({"chat_id", "id", "sender_id", "date", "text", "entities",
                                 "reply_to", "fwd_from", "action", "edit_date", "pinned"})
AUTH_COLUMNS = "id, user_id, device, app, ip, created, last_active"


def json_text(value: Any) -> str | None:
    if value is None or value == []:
        return None
    return _enc.encode(value).decode()


def user(row: Any) -> User:
    return User(
        id=row[0],
        phone=row[1],
        first_name=row[2],
        last_name=row[3],
        username=row[4],
        bio=row[5],
        is_bot=bool(row[6]),
        last_seen=row[7],
    )


def account(row: Any) -> Account:
    return Account(
        user=user(row), country=row[8], password_hash=row[9], password_hint=row[10], seq=row[11]
    )


def chat(row: Any) -> Chat:
    user_ids: list[int] = []
    if row[1] == "private":
        user_ids = [row[4]] if row[4] == row[5] else [row[4], row[5]]
    return Chat(
        id=row[0],
        kind=row[1],
        title=row[2],
        creator_id=row[3],
        pts=row[6],
        top_msg_id=row[7],
        last_date=row[8],
        member_count=row[9],
        user_ids=user_ids,
    )


def member(row: Any) -> Member:
    return Member(*row[:7])


def message_extra(msg: Message) -> str | None:
    """The fields of `msg` beyond the base columns, as JSON (None when there are none)."""
    extra = {k: v for k, v in msgspec.to_builtins(msg).items() if k not in BASE_MESSAGE_FIELDS}
    return _enc.encode(extra).decode() if extra else None


def message(row: Any) -> Message:
    if row[11]:
        base = msgspec.to_builtins(_message_base(row))
        return msgspec.convert({**base, **msgspec.json.decode(row[11])}, Message)
    return _message_base(row)


def _message_base(row: Any) -> Message:
    return Message(
        chat_id=row[0],
        id=row[1],
        sender_id=row[2],
        date=row[3],
        text=row[4],
        entities=_entities.decode(row[5]) if row[5] else [],
        reply_to=row[6],
        fwd_from=_forward.decode(row[7]) if row[7] else None,
        action=_action.decode(row[8]) if row[8] else None,
        edit_date=row[9],
        pinned=bool(row[10]),
    )


def authorization(row: Any) -> Authorization:
    return Authorization(*row[:7])


def login_code(row: Any) -> LoginCode:
    return LoginCode(*row[:6])
