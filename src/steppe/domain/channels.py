"""Supergroups and channels as Telegram has them: admin rights, member restrictions and bans with
until-dates, participants, chat settings, invite links, forum topics, the admin log.

Plain structs and pure functions; the checks that use them live in `access.py`. Rights are stored
as bit masks (bit i = the i-th field) and travel as objects of booleans.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import msgspec

from steppe.domain import limits
from steppe.domain.errors import bad_request
from steppe.domain.models import Member

BIG_KINDS = ("supergroup", "channel")


class AdminRights(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    change_info: bool = False
    post_messages: bool = False  # channels
    edit_messages: bool = False  # channels: edit any post
    delete_messages: bool = False
    ban_users: bool = False
    invite_users: bool = False
    pin_messages: bool = False
    add_admins: bool = False
    manage_topics: bool = False  # forums
    anonymous: bool = False


class BannedRights(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    """What a member may NOT do; `view_messages` set means banned from the chat."""

    view_messages: bool = False
    send_messages: bool = False
    send_media: bool = False
    send_links: bool = False
    send_polls: bool = False
    invite_users: bool = False
    pin_messages: bool = False
    change_info: bool = False
    manage_topics: bool = False


def to_bits(rights: AdminRights | BannedRights) -> int:
    return sum(1 << i for i, name in enumerate(rights.__struct_fields__) if getattr(rights, name))


def admin_rights(bits: int) -> AdminRights:
    names = AdminRights.__struct_fields__
    return AdminRights(**{n: bool(bits >> i & 1) for i, n in enumerate(names)})


def banned_rights(bits: int) -> BannedRights:
    names = BannedRights.__struct_fields__
    return BannedRights(**{n: bool(bits >> i & 1) for i, n in enumerate(names)})


CREATOR_RIGHTS = AdminRights(**{n: n != "anonymous" for n in AdminRights.__struct_fields__})
# What a basic group's admins become when the group is upgraded.
MIGRATED_ADMIN = AdminRights(change_info=True, delete_messages=True, ban_users=True,
                             invite_users=True, pin_messages=True, manage_topics=True)
# A new supergroup's members may send anything and invite, not pin, edit the info or make topics.
DEFAULT_BANNED = BannedRights(pin_messages=True, change_info=True, manage_topics=True)
FOREVER = 0


class Participant(msgspec.Struct, omit_defaults=True):
    """A user as a supergroup or channel sees them; `status` is
    creator | admin | member | restricted | banned | left."""

    user_id: int
    status: str
    inviter_id: int = 0
    joined: int = 0
    admin_rights: AdminRights | None = None
    rank: str = ""
    promoted_by: int = 0
    banned_rights: BannedRights | None = None
    until_date: int = 0
    kicked_by: int = 0
    is_bot: bool = False

    @property
    def in_chat(self) -> bool:
        return self.status in ("creator", "admin", "member", "restricted")


class RightsRow(NamedTuple):
    """A `chat_participants` row: admin rights, or a restriction or ban (kept after leaving)."""

    admin_bits: int
    rank: str
    promoted_by: int
    banned_bits: int
    until_date: int
    kicked_by: int


def active(until_date: int, now: int) -> bool:
    return until_date == FOREVER or until_date > now


def make_participant(user_id: int, member: Member | None, row: RightsRow | None, now: int,
                     *, is_bot: bool = False) -> Participant:
    """Fold the membership and the rights row into one view; expired restrictions are gone."""
    p = Participant(user_id=user_id, status="left", is_bot=is_bot)
    if member is not None:
        p.inviter_id, p.joined = member.inviter_id, member.joined
    if member is not None and member.role == "creator":
        p.status, p.admin_rights, p.rank = "creator", CREATOR_RIGHTS, row.rank if row else ""
        return p
    if member is not None and member.role == "admin" and row is not None:
        p.status, p.admin_rights = "admin", admin_rights(row.admin_bits)
        p.rank, p.promoted_by = row.rank, row.promoted_by
        return p
    restricted = row is not None and row.banned_bits != 0 and active(row.until_date, now)
    if restricted and row is not None:
        rights = banned_rights(row.banned_bits)
        if rights.view_messages or member is not None:
            p.status = "banned" if rights.view_messages else "restricted"
            p.banned_rights, p.until_date, p.kicked_by = rights, row.until_date, row.kicked_by
            return p
    if member is not None:
        p.status = "member"
    return p


def until(value: int, now: int) -> int:
    """Telegram's rule: less than 30 seconds or more than 366 days ahead means forever."""
    if value <= 0 or value - now < 30 or value - now > 366 * 86400:
        return FOREVER
    return value


class ChatInfo(msgspec.Struct, omit_defaults=True):
    """Settings of a chat beyond its row: the supergroup/channel ones, and reactions for all."""

    chat_id: int
    about: str = ""
    username: str | None = None
    signatures: bool = False
    slowmode_seconds: int = 0
    forum: bool = False
    linked_chat_id: int | None = None
    default_banned_rights: BannedRights = msgspec.field(default_factory=BannedRights)
    available_reactions: list[str] | None = None  # None: every standard reaction
    reactions_limit: int = 1
    migrated_from_chat_id: int | None = None
    migrated_from_max_id: int | None = None
    migrated_to: int | None = None


class InviteLink(msgspec.Struct, omit_defaults=True):
    link: str
    chat_id: int
    admin_id: int
    date: int
    title: str = ""
    expire_date: int = 0
    usage_limit: int = 0
    usage: int = 0
    requested: int = 0
    request_needed: bool = False
    revoked: bool = False
    permanent: bool = False

    def usable(self, now: int) -> bool:
        if self.revoked:
            return False
        if self.expire_date and self.expire_date <= now:
            return False
        return not (self.usage_limit and self.usage >= self.usage_limit)


class JoinRequest(msgspec.Struct, omit_defaults=True):
    chat_id: int
    user_id: int
    date: int
    link: str | None = None
    about: str = ""


class ForumTopic(msgspec.Struct, omit_defaults=True):
    chat_id: int
    id: int  # the id of the service message that created it
    title: str
    creator_id: int
    date: int
    icon_color: int = 0
    closed: bool = False
    pinned: bool = False
    hidden: bool = False


class AdminLogEntry(msgspec.Struct, omit_defaults=True):
    id: int
    chat_id: int
    user_id: int
    date: int
    action: str
    data: dict[str, Any] = {}


SLOWMODE_VALUES = (0, 10, 30, 60, 300, 900, 3600)
PARTICIPANT_FILTERS = ("recent", "admins", "restricted", "banned", "search", "bots")
LOG_ACTIONS = ("info", "settings", "admin", "ban", "restrict", "delete", "edit", "pin", "invite",
               "join", "leave", "topic")

STANDARD_REACTIONS = (
    "👍", "👎", "❤", "🔥", "🥰", "👏", "😁", "🤔", "🤯", "😱", "🤬", "😢", "🎉", "🤩", "🤮", "💩",
    "🙏", "👌", "🕊", "🤡", "🥱", "🥴", "😍", "🐳", "❤‍🔥", "🌚", "🌭", "💯", "🤣", "⚡", "🍌",
    "🏆", "💔", "🤨", "😐", "🍓", "🍾", "💋", "😈", "😴", "😭", "🤓", "👻", "👀", "🎃", "🙈",
    "😇", "😨", "🤝", "✍", "🤗", "🫡", "🎅", "🎄", "☃", "💅", "🤪", "🗿", "🆒", "💘", "🦄",
    "😘", "😎", "👾", "🤷", "😡",
)


def clean_reactions(values: list[str] | None) -> list[str] | None:
    """A chat's allowed set: None (all), or a subset of the standard reactions."""
    if values is None:
        return None
    out = list(dict.fromkeys(values))
    if any(v not in STANDARD_REACTIONS for v in out):
        raise bad_request("REACTION_INVALID")
    return out


def check_schedule_date(date: int, now: int) -> None:
    if date <= now:
        raise bad_request("SCHEDULE_DATE_INVALID")
    if date - now > limits.SCHEDULE_MAX_AHEAD:
        raise bad_request("SCHEDULE_DATE_TOO_LATE")
