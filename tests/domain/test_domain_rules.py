"""Pure rules: who may do what, the sequence rule, rate limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steppe.domain import access, validate
from steppe.domain.errors import RpcError
from steppe.domain.models import Action, Chat, Member, Message
from steppe.domain.ratelimit import RateLimiter
from steppe.domain.updates import is_next

NOW = 1_800_000_000


def member(user_id: int, role: str = "member", inviter: int = 1) -> Member:
    return Member(chat_id=9, user_id=user_id, role=role, inviter_id=inviter, joined=NOW)


GROUP = Chat(id=9, kind="group", title="g", creator_id=1, member_count=3)
PRIVATE = Chat(id=8, kind="private", user_ids=[1, 2])
SAVED = Chat(id=7, kind="private", user_ids=[1])


def msg(sender: int, date: int = NOW, action: Action | None = None) -> Message:
    return Message(chat_id=9, id=1, sender_id=sender, date=date, text="x", action=action)


def refused(fn, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(RpcError) as err:
        fn(*args)
    return err.value.type


def test_access_never_reveals_existence() -> None:
    assert refused(access.access_chat, None, None) == "PEER_ID_INVALID"
    assert refused(access.access_chat, GROUP, None) == "PEER_ID_INVALID"


@pytest.mark.parametrize(("actor", "target", "allowed"), [
    (member(1, "creator"), member(2), True),
    (member(1, "creator"), member(2, "admin"), True),
    (member(3, "admin"), member(2), True),
    (member(3, "admin"), member(4, "admin"), False),
    (member(3), member(2, inviter=3), True),
    (member(3), member(2, inviter=1), False),
    (member(3, "admin"), member(1, "creator"), False),
])
def test_remove_member_matrix(actor: Member, target: Member, allowed: bool) -> None:
    if allowed:
        access.check_remove_member(GROUP, actor, target)
    else:
        assert refused(access.check_remove_member, GROUP, actor, target) == "CHAT_ADMIN_REQUIRED"


def test_edit_rules() -> None:
    access.check_edit(GROUP, member(2), msg(2), NOW + 100)
    assert refused(access.check_edit, GROUP, member(3), msg(2), NOW) == "MESSAGE_AUTHOR_REQUIRED"
    late = NOW + 48 * 3600 + 1
    assert refused(access.check_edit, GROUP, member(2), msg(2), late) == "MESSAGE_EDIT_TIME_EXPIRED"
    access.check_edit(SAVED, member(1), msg(1), late)  # Saved Messages: no time limit
    service = msg(2, action=Action("chat_create"))
    assert refused(access.check_edit, GROUP, member(2), service, NOW) == "MESSAGE_EDIT_FORBIDDEN"


def test_delete_for_everyone_rules() -> None:
    access.check_delete_for_all(PRIVATE, member(1), msg(2))  # either side in a private chat
    access.check_delete_for_all(GROUP, member(2), msg(2))
    access.check_delete_for_all(GROUP, member(1, "creator"), msg(2))
    assert refused(access.check_delete_for_all, GROUP, member(3), msg(2)) == "MESSAGE_DELETE_FORBIDDEN"


def test_group_size_limit() -> None:
    full = Chat(id=9, kind="group", member_count=199)
    access.check_add_members(full, member(1), 1)
    assert refused(access.check_add_members, full, member(1), 2) == "USERS_TOO_MUCH"
    assert refused(access.check_add_members, PRIVATE, member(1), 1) == "CHAT_ID_INVALID"


@pytest.mark.parametrize("name", ["abcd", "a" * 33, "1abcde", "_abcde", "abcde_", "ab__cd", "abc-de",
                                  "абвгде"])
def test_bad_usernames(name: str) -> None:
    assert refused(validate.username, name) == "USERNAME_INVALID"


def test_good_username_keeps_case() -> None:
    assert validate.username("@Alice_99") == "Alice_99"


def test_message_text_limits() -> None:
    assert refused(validate.message_text, " ", []) == "MESSAGE_EMPTY"
    assert refused(validate.message_text, "x" * 4097, []) == "MESSAGE_TOO_LONG"
    assert refused(validate.message_text, "😀" * 2049, []) == "MESSAGE_TOO_LONG"  # UTF-16 units
    validate.message_text("x" * 4096, [])


@given(st.lists(st.integers(min_value=1, max_value=30), max_size=80))
def test_sequence_rule_applies_each_event_once_in_order(deliveries: list[int]) -> None:
    """Live events arrive in any order, repeated or missing; with the difference filling gaps,
    a device applies 1..N exactly once, in order."""
    log = list(range(1, 31))
    local, applied = 0, []
    for pts in deliveries:
        verdict = is_next(local, pts)
        if verdict == "apply":
            local = pts
            applied.append(pts)
        elif verdict == "gap":
            for missed in log[local:]:
                applied.append(missed)
            local = log[-1]
    for missed in log[local:]:  # the final catch-up on reconnect
        applied.append(missed)
    assert applied == log


def test_rate_limiter_refuses_with_flood_wait() -> None:
    limiter = RateLimiter(rate=1, burst=2)
    limiter.take("u", 0)
    limiter.take("u", 0)
    with pytest.raises(RpcError) as err:
        limiter.take("u", 0)
    assert err.value.code == 420 and err.value.type == "FLOOD_WAIT_1" and err.value.retry_after == 1
    limiter.take("u", 1.0)  # refilled
    RateLimiter(rate=0, burst=0).take("anyone", 0)  # 0 means off
