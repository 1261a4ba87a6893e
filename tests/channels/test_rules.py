"""Pure rules of supergroups and channels: rights as bits, participants with until-dates, the
member-right fold, slow mode; and the view counter's memory. No server."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from steppe.domain import access
from steppe.domain import channels as ch
from steppe.domain.models import Chat, Member
from steppe.services.views import ViewCounter

NOW = 1_800_000_000
GROUP = Chat(id=5, kind="supergroup", title="g")


@given(st.integers(0, 2 ** len(ch.BannedRights.__struct_fields__) - 1))
def test_banned_rights_round_trip(bits: int) -> None:
    assert ch.to_bits(ch.banned_rights(bits)) == bits


@given(st.integers(0, 2 ** len(ch.AdminRights.__struct_fields__) - 1))
def test_admin_rights_round_trip(bits: int) -> None:
    assert ch.to_bits(ch.admin_rights(bits)) == bits


def member(role: str = "member") -> Member:
    return Member(chat_id=5, user_id=7, role=role, inviter_id=1, joined=NOW)


def rights(banned: ch.BannedRights, until: int = 0) -> ch.RightsRow:
    return ch.RightsRow(0, "", 0, ch.to_bits(banned), until, 1)


def test_participant_statuses_and_expiry() -> None:
    mute = ch.BannedRights(send_messages=True)
    ban = ch.BannedRights(view_messages=True)
    assert ch.make_participant(7, member(), None, NOW).status == "member"
    assert ch.make_participant(7, member(), rights(mute, NOW + 60), NOW).status == "restricted"
    assert ch.make_participant(7, member(), rights(mute, NOW + 60), NOW + 60).status == "member"
    assert ch.make_participant(7, None, rights(ban), NOW).status == "banned"
    assert ch.make_participant(7, None, rights(ban, NOW + 5), NOW + 5).status == "left"
    assert ch.make_participant(7, None, rights(mute), NOW).status == "left"
    creator = ch.make_participant(7, member("creator"), None, NOW)
    assert creator.status == "creator" and access.has_right(creator, "add_admins")


def test_until_dates_follow_telegram() -> None:
    assert ch.until(0, NOW) == ch.FOREVER
    assert ch.until(NOW + 10, NOW) == ch.FOREVER  # under 30 seconds
    assert ch.until(NOW + 400 * 86400, NOW) == ch.FOREVER  # over 366 days
    assert ch.until(NOW + 3600, NOW) == NOW + 3600


def test_member_rights_fold() -> None:
    info = ch.ChatInfo(chat_id=5, default_banned_rights=ch.DEFAULT_BANNED)
    plain = ch.make_participant(7, member(), None, NOW)
    admin = ch.Participant(user_id=8, status="admin", admin_rights=ch.AdminRights(ban_users=True))
    pinner = ch.Participant(user_id=9, status="admin", admin_rights=ch.AdminRights(pin_messages=True))
    assert access.may(plain, info, "send_messages") and access.may(plain, info, "invite_users")
    assert not access.may(plain, info, "pin_messages")  # the defaults forbid it
    assert not access.may(admin, info, "pin_messages")  # an admin without the right is a member
    assert access.may(pinner, info, "pin_messages")
    assert access.may(admin, info, "send_messages")  # admins are never restricted from sending


def test_slow_mode_wait() -> None:
    info = ch.ChatInfo(chat_id=5, slowmode_seconds=60)
    plain = ch.make_participant(7, member(), None, NOW)
    admin = ch.Participant(user_id=8, status="admin", admin_rights=ch.AdminRights(ban_users=True))
    assert access.slowmode_wait(GROUP, info, plain, NOW - 15, NOW) == 45
    assert access.slowmode_wait(GROUP, info, plain, NOW - 60, NOW) == 0
    assert access.slowmode_wait(GROUP, info, plain, None, NOW) == 0
    assert access.slowmode_wait(GROUP, info, admin, NOW, NOW) == 0


class _Posts:
    def __init__(self) -> None:
        self.stored: list[dict[Any, int]] = []

    async def add_views(self, counts: dict[Any, int]) -> None:
        self.stored.append(dict(counts))


async def test_views_count_once_and_memory_is_bounded() -> None:
    posts = _Posts()
    views = ViewCounter(posts, remembered=3)  # type: ignore[arg-type]
    for user in (1, 2, 1, 2):
        views.view(10, 1, user)
    assert views.unsaved(10, 1) == 2
    views.view(10, 2, 1)
    views.view(10, 2, 2)  # four viewers remembered: the oldest post is forgotten
    assert (10, 1) not in views.seen and views.size == 2
    views.view(10, 1, 1)  # so a repeat there counts again
    assert await views.flush() == 2
    assert posts.stored == [{(10, 1): 3, (10, 2): 2}]
    assert await views.flush() == 0
