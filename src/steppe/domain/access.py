"""Who may do what. One condition a line; never reveals whether a chat the actor is not in exists."""

from __future__ import annotations

from steppe.domain import limits
from steppe.domain.errors import RpcError, bad_request, forbidden
from steppe.domain.models import Chat, Member, Message


def access_chat(chat: Chat | None, member: Member | None) -> tuple[Chat, Member]:
    """The actor must be in the chat; an unknown chat and a foreign one look the same."""
    if chat is None or member is None:
        raise bad_request("PEER_ID_INVALID")
    return chat, member


def is_admin(member: Member) -> bool:
    return member.role in ("creator", "admin")


def check_send(chat: Chat, member: Member) -> None:
    if chat.kind not in ("private", "group"):
        raise forbidden("CHAT_WRITE_FORBIDDEN")


def check_edit(chat: Chat, member: Member, message: Message, now: int) -> None:
    if message.action is not None:
        raise bad_request("MESSAGE_EDIT_FORBIDDEN")
    if message.sender_id != member.user_id:
        raise forbidden("MESSAGE_AUTHOR_REQUIRED")
    saved = chat.kind == "private" and chat.user_ids == [member.user_id]
    if not saved and now - message.date > limits.EDIT_WINDOW_SECONDS:
        raise bad_request("MESSAGE_EDIT_TIME_EXPIRED")


def check_delete_for_all(chat: Chat, member: Member, message: Message) -> None:
    if chat.kind == "private":
        return
    if message.sender_id == member.user_id:
        return
    if is_admin(member):
        return
    raise forbidden("MESSAGE_DELETE_FORBIDDEN")


def check_pin(chat: Chat, member: Member) -> None:
    if chat.kind in ("private", "group"):
        return
    raise forbidden("CHAT_ADMIN_REQUIRED")


def check_group(chat: Chat) -> None:
    if chat.kind != "group":
        raise bad_request("CHAT_ID_INVALID", "not a group")


def check_add_members(chat: Chat, member: Member, adding: int) -> None:
    check_group(chat)
    if chat.member_count + adding > limits.GROUP_MAX_MEMBERS:
        raise bad_request("USERS_TOO_MUCH")


def check_remove_member(chat: Chat, actor: Member, target: Member) -> None:
    check_group(chat)
    if target.role == "creator":
        raise forbidden("CHAT_ADMIN_REQUIRED")
    if actor.role == "creator":
        return
    if actor.role == "admin" and target.role == "member":
        return
    if target.inviter_id == actor.user_id and target.role == "member":
        return
    raise forbidden("CHAT_ADMIN_REQUIRED")


def check_rename(chat: Chat, member: Member) -> None:
    check_group(chat)


def require(condition: bool, error: RpcError) -> None:
    if not condition:
        raise error
