"""Who may do what. One condition a line; never reveals whether a chat the actor is not in exists."""

from __future__ import annotations

from steppe.domain import limits
from steppe.domain.channels import (
    BIG_KINDS,
    STANDARD_REACTIONS,
    AdminRights,
    ChatInfo,
    ForumTopic,
    Participant,
)
from steppe.domain.errors import RpcError, bad_request, forbidden
from steppe.domain.markup import Poll
from steppe.domain.models import Chat, Member, Message


def access_chat(chat: Chat | None, member: Member | None) -> tuple[Chat, Member]:
    """The actor must be in the chat; an unknown chat and a foreign one look the same."""
    if chat is None or member is None:
        raise bad_request("PEER_ID_INVALID")
    return chat, member


def is_admin(member: Member) -> bool:
    return member.role in ("creator", "admin")


def check_send(chat: Chat, member: Member) -> None:
    """Basic chats only: a supergroup or channel needs its rights (`check_post`)."""
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


# ---- supergroups and channels (issue 5) -----------------------------------------------------
# `p` is a user as the chat sees them (domain/channels.Participant); `info` the chat's settings.

_ADMIN_TOO = frozenset({"pin_messages", "change_info", "invite_users", "manage_topics"})


def check_channel(chat: Chat) -> None:
    if chat.kind not in BIG_KINDS:
        raise bad_request("CHANNEL_INVALID")


def check_megagroup(chat: Chat) -> None:
    if chat.kind != "supergroup":
        raise bad_request("MEGAGROUP_REQUIRED")


def check_broadcast(chat: Chat) -> None:
    if chat.kind != "channel":
        raise bad_request("BROADCAST_REQUIRED")


def access_channel(chat: Chat | None, p: Participant | None, info: ChatInfo | None,
                   *, preview: bool = False) -> Participant:
    """Members read a supergroup or channel; with `preview` anyone not banned reads a public one.
    An unknown chat and a foreign private one look the same."""
    if chat is None or p is None or info is None:
        raise bad_request("PEER_ID_INVALID")
    if chat.kind not in BIG_KINDS:
        raise bad_request("CHANNEL_INVALID")
    if p.status == "banned":
        raise bad_request("CHANNEL_PRIVATE")
    if p.in_chat:
        return p
    if preview and info.username:
        return p
    raise bad_request("PEER_ID_INVALID")


def has_right(p: Participant, right: str) -> bool:
    """An admin right: the creator has them all, an admin those granted."""
    if p.status == "creator":
        return True
    return p.status == "admin" and p.admin_rights is not None and bool(getattr(p.admin_rights, right))


def may(p: Participant, info: ChatInfo, right: str) -> bool:
    """A member right in a supergroup (a `BannedRights` name): an admin granted the same right
    has it; admins are never restricted from sending; otherwise neither the member's own
    restriction nor the chat's defaults may forbid it."""
    if right in _ADMIN_TOO and has_right(p, right):
        return True
    if right not in _ADMIN_TOO and p.status in ("creator", "admin"):
        return True
    if p.banned_rights is not None and getattr(p.banned_rights, right):
        return False
    return not getattr(info.default_banned_rights, right)


def check_admin(p: Participant, right: str) -> None:
    require(has_right(p, right), forbidden("CHAT_ADMIN_REQUIRED"))


def check_any_admin(p: Participant) -> None:
    require(p.status in ("creator", "admin"), forbidden("CHAT_ADMIN_REQUIRED"))


def check_can(chat: Chat, info: ChatInfo, p: Participant, right: str) -> None:
    """Pin, change the info, invite, make topics: in a channel admins with the right; in a
    supergroup also members the restrictions and defaults allow."""
    allowed = has_right(p, right) if chat.kind == "channel" else may(p, info, right)
    require(allowed, forbidden("CHAT_ADMIN_REQUIRED"))


def check_post(chat: Chat, info: ChatInfo, p: Participant, content: frozenset[str]) -> None:
    """Posting to a channel, or sending to a supergroup a message holding `content`
    (any of media, poll, public_poll, link)."""
    if chat.kind == "channel":
        require(has_right(p, "post_messages"), forbidden("CHAT_WRITE_FORBIDDEN"))
        require("public_poll" not in content, bad_request("BROADCAST_PUBLIC_VOTERS_FORBIDDEN"))
        return
    require(may(p, info, "send_messages"), forbidden("CHAT_WRITE_FORBIDDEN"))
    require("media" not in content or may(p, info, "send_media"),
            forbidden("CHAT_SEND_MEDIA_FORBIDDEN"))
    require("poll" not in content or may(p, info, "send_polls"), forbidden("CHAT_SEND_POLL_FORBIDDEN"))
    require("link" not in content or may(p, info, "send_links"),
            forbidden("CHAT_SEND_LINKS_FORBIDDEN"))


def slowmode_wait(chat: Chat, info: ChatInfo, p: Participant, last_sent: int | None, now: int
                  ) -> int:
    """Seconds a supergroup member must still wait in slow mode; admins never wait."""
    if chat.kind != "supergroup" or not info.slowmode_seconds or last_sent is None:
        return 0
    if p.status in ("creator", "admin"):
        return 0
    return max(0, last_sent + info.slowmode_seconds - now)


def check_slowmode(wait: int) -> None:
    if wait > 0:
        raise RpcError(420, f"SLOWMODE_WAIT_{wait}", "slow mode is on", retry_after=wait)


def check_topic(info: ChatInfo, p: Participant, topic: ForumTopic | None, thread_id: int | None
                ) -> None:
    """A message to a forum topic: the topic must exist; a closed one takes only its managers."""
    if thread_id is None:
        return
    require(info.forum and topic is not None, bad_request("TOPIC_ID_INVALID"))
    require(topic is None or not topic.closed or has_right(p, "manage_topics"),
            bad_request("TOPIC_CLOSED"))


def check_edit_post(chat: Chat, p: Participant, message: Message, now: int) -> None:
    """Editing in a channel takes the edit right (posts are the channel's, not an admin's);
    in a supergroup one's own messages within the edit window."""
    require(message.action is None, bad_request("MESSAGE_EDIT_FORBIDDEN"))
    if chat.kind == "channel":
        require(has_right(p, "edit_messages"), forbidden("MESSAGE_AUTHOR_REQUIRED"))
        return
    require(message.sender_id == p.user_id, forbidden("MESSAGE_AUTHOR_REQUIRED"))
    require(now - message.date <= limits.EDIT_WINDOW_SECONDS, bad_request("MESSAGE_EDIT_TIME_EXPIRED"))


def check_delete_post(chat: Chat, p: Participant, message: Message) -> None:
    if chat.kind == "supergroup" and message.sender_id == p.user_id:
        return
    require(has_right(p, "delete_messages"), forbidden("MESSAGE_DELETE_FORBIDDEN"))


def check_promote(actor: Participant, target: Participant, rights: AdminRights) -> None:
    check_admin(actor, "add_admins")
    require(target.status != "creator", bad_request("USER_CREATOR"))
    require(target.in_chat or target.is_bot, bad_request("USER_NOT_PARTICIPANT"))
    require(target.status != "admin" or actor.status == "creator"
            or target.promoted_by == actor.user_id, forbidden("CHAT_ADMIN_REQUIRED"))
    require(actor.status == "creator" or _within(rights, actor.admin_rights),
            forbidden("RIGHT_FORBIDDEN"))


def _within(rights: AdminRights, held: AdminRights | None) -> bool:
    return held is not None and all(getattr(held, f) or not getattr(rights, f)
                                    for f in rights.__struct_fields__)


def check_restrict(actor: Participant, target: Participant) -> None:
    check_admin(actor, "ban_users")
    require(target.status not in ("creator", "admin"), bad_request("USER_ADMIN_INVALID"))


def check_join(chat: Chat, p: Participant, *, allowed: bool) -> None:
    """Joining by username (`allowed` when the chat is public) or by a working invite link."""
    require(not p.is_bot, bad_request("BOT_METHOD_INVALID"))
    require(p.status != "banned", bad_request("USER_BANNED_IN_CHANNEL"))
    require(not p.in_chat, bad_request("USER_ALREADY_PARTICIPANT"))
    require(allowed, bad_request("PEER_ID_INVALID"))
    require(chat.kind != "supergroup" or chat.member_count < limits.SUPERGROUP_MAX_MEMBERS,
            bad_request("USERS_TOO_MUCH"))


def check_invite_user(chat: Chat, info: ChatInfo, actor: Participant, target: Participant) -> None:
    check_can(chat, info, actor, "invite_users")
    require(target.status != "banned" or has_right(actor, "ban_users"), bad_request("USER_KICKED"))
    require(not target.in_chat, bad_request("USER_ALREADY_PARTICIPANT"))
    require(not (target.is_bot and chat.kind == "channel"), bad_request("USER_BOT"))
    require(chat.kind != "supergroup" or chat.member_count < limits.SUPERGROUP_MAX_MEMBERS,
            bad_request("USERS_TOO_MUCH"))


def check_leave(p: Participant) -> None:
    require(p.status != "creator", bad_request("USER_CREATOR"))


def check_participants(chat: Chat, p: Participant, filter: str) -> None:
    """A channel's subscribers are for its admins; a supergroup's members for its members; the
    restricted and banned lists for those who may ban."""
    require(chat.kind != "channel" or p.status in ("creator", "admin"),
            forbidden("CHAT_ADMIN_REQUIRED"))
    require(filter not in ("restricted", "banned") or has_right(p, "ban_users"),
            forbidden("CHAT_ADMIN_REQUIRED"))


def check_react(info: ChatInfo, reactions: list[str]) -> None:
    allowed = info.available_reactions
    require(len(reactions) <= info.reactions_limit, bad_request("REACTIONS_TOO_MANY"))
    require(all(r in (allowed if allowed is not None else STANDARD_REACTIONS) for r in reactions),
            bad_request("REACTION_INVALID"))


def check_reactors_visible(chat: Chat) -> None:
    """Who reacted is shown in groups and private chats, not in broadcast channels."""
    require(chat.kind != "channel", forbidden("BROADCAST_FORBIDDEN"))


def check_vote(poll: Poll, options: list[int], voted: bool, *, is_bot: bool) -> None:
    require(not is_bot, bad_request("BOT_METHOD_INVALID"))
    require(not poll.is_closed, bad_request("MESSAGE_POLL_CLOSED"))
    require(all(0 <= o < len(poll.options) for o in options), bad_request("OPTION_INVALID"))
    require(len(set(options)) == len(options), bad_request("OPTION_INVALID"))
    require(len(options) <= 1 or poll.allows_multiple_answers, bad_request("OPTION_INVALID"))
    require(poll.type != "quiz" or not voted, bad_request("REVOTE_NOT_ALLOWED"))
    require(poll.type != "quiz" or bool(options), bad_request("OPTION_INVALID"))


def check_close_poll(chat: Chat, actor: int, p: Participant | None, message: Message) -> None:
    """The poll's sender closes it; in a channel an admin who may edit posts."""
    if chat.kind == "channel":
        require(p is not None and has_right(p, "edit_messages"), forbidden("MESSAGE_AUTHOR_REQUIRED"))
        return
    require(message.sender_id == actor, forbidden("MESSAGE_AUTHOR_REQUIRED"))


def check_topic_create(chat: Chat, info: ChatInfo, p: Participant) -> None:
    require(info.forum, bad_request("CHANNEL_FORUM_MISSING"))
    check_can(chat, info, p, "manage_topics")


def check_topic_edit(p: Participant, topic: ForumTopic, *, pin: bool) -> None:
    """A topic's creator renames and closes it; its managers do anything, pinning included."""
    if topic.creator_id == p.user_id and not pin:
        return
    check_admin(p, "manage_topics")


def check_migrate(chat: Chat, member: Member) -> None:
    check_group(chat)
    require(member.role == "creator", forbidden("CHAT_ADMIN_REQUIRED"))


def check_scheduled(chat: Chat, p: Participant | None, sender_id: int, actor: int) -> None:
    """A channel's scheduled posts are shared by the admins who may post; elsewhere one's own."""
    if chat.kind == "channel" and p is not None and has_right(p, "post_messages"):
        return
    require(sender_id == actor, bad_request("MESSAGE_ID_INVALID"))
