"""Bot API methods about chats and their members: lookups, bans, restrictions, promotion, pins."""

from __future__ import annotations

from typing import Any

import msgspec

from steppe.botapi.context import Ctx, method
from steppe.botapi.errors import bad
from steppe.botapi.render import PERMISSIONS, member_obj
from steppe.domain import access
from steppe.domain.errors import RpcError
from steppe.domain.models import Chat, Member
from steppe.services.chats import Peer

_perms = msgspec.json.Decoder(dict[str, bool])


async def _member_obj(c: Ctx, chat: Chat, user_id: int, member: Member | None) -> dict[str, Any]:
    user = await c.render.user(user_id)
    rule = await c.api.suite.accounts.rule(chat.id, user_id) if chat.kind != "private" else None
    if member is None:
        if rule and rule[0] == "banned":
            return member_obj("kicked", user, until=rule[1])
        return member_obj("left", user)
    if member.role == "creator" or (chat.kind == "private"):
        return member_obj("creator" if member.role == "creator" else "member", user)
    if member.role == "admin":
        return member_obj("administrator", user)
    if rule and rule[0] == "restricted":
        return member_obj("restricted", user, until=rule[1],
                          permissions=_perms.decode(rule[2]) if rule[2] else {})
    return member_obj("member", user)


@method("getChat")
async def get_chat(c: Ctx) -> Any:
    chat, _ = await c.chat()
    return await c.render.full_chat(chat)


@method("getChatMember")
async def get_chat_member(c: Ctx) -> Any:
    chat, _ = await c.chat()
    user_id = c.p.need_int("user_id")
    if not await c.api.core.store.get_users([user_id]):
        raise bad("user not found")
    _, member = await c.api.core.chats.chat_and_member(chat.id, user_id)
    return await _member_obj(c, chat, user_id, member)


@method("getChatAdministrators")
async def get_chat_administrators(c: Ctx) -> Any:
    chat, _ = await c.chat()
    if chat.kind == "private":
        raise bad("there are no administrators in the private chat")
    members = await c.api.core.chats.members(chat.id)
    return [await _member_obj(c, chat, m.user_id, m) for m in members if access.is_admin(m)]


@method("getChatMemberCount", "getChatMembersCount")
async def get_chat_member_count(c: Ctx) -> Any:
    chat, _ = await c.chat()
    return chat.member_count


@method("banChatMember", "kickChatMember")
async def ban_chat_member(c: Ctx) -> Any:
    chat, member = await c.chat()
    user_id = c.p.need_int("user_id")
    if user_id == c.bot_id:
        raise bad("can't remove self")
    await c.api.suite.accounts.ban(chat, member, user_id, c.p.int("until_date", default=0) or 0)
    return True


@method("unbanChatMember")
async def unban_chat_member(c: Ctx) -> Any:
    chat, member = await c.chat()
    await c.api.suite.accounts.unban(chat, member, c.p.need_int("user_id"),
                                     c.p.bool("only_if_banned"))
    return True


@method("restrictChatMember")
async def restrict_chat_member(c: Ctx) -> Any:
    chat, member = await c.chat()
    perms = c.p.json("permissions")
    if not isinstance(perms, dict):
        raise bad("can't parse chat permissions")
    clean = {k: bool(v) for k, v in perms.items() if k in PERMISSIONS}
    if "can_send_media_messages" in perms:
        for k in ("can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
                  "can_send_video_notes", "can_send_voice_notes"):
            clean.setdefault(k, bool(perms["can_send_media_messages"]))
    full = {k: clean.get(k, False) for k in PERMISSIONS}
    await c.api.suite.accounts.restrict(chat, member, c.p.need_int("user_id"), full,
                                        c.p.int("until_date", default=0) or 0)
    return True


@method("promoteChatMember")
async def promote_chat_member(c: Ctx) -> Any:
    chat, member = await c.chat()
    flags = [k for k in c.p.values if k.startswith("can_") or k == "is_anonymous"]
    admin = any(c.p.bool(k) for k in flags)
    await c.api.suite.accounts.promote(chat, member, c.p.need_int("user_id"), admin)
    return True


@method("pinChatMessage")
async def pin_chat_message(c: Ctx) -> Any:
    chat, member = await c.chat()
    await _pin(c, chat, member, c.p.need_int("message_id"), True)
    return True


@method("unpinChatMessage")
async def unpin_chat_message(c: Ctx) -> Any:
    chat, member = await c.chat()
    msg_id = c.p.int("message_id")
    if msg_id is None:
        raise bad("message_id is empty")
    await _pin(c, chat, member, msg_id, False)
    return True


async def _pin(c: Ctx, chat: Chat, member: Member, msg_id: int, pinned: bool) -> None:
    if chat.kind != "private" and not access.is_admin(member):
        raise bad("not enough rights to manage pinned messages in the chat")
    try:
        await c.api.suite.accounts.pin(chat, member, msg_id, pinned)
    except RpcError as err:
        if err.type == "MESSAGE_ID_INVALID":
            raise bad("message to pin not found" if pinned else "message to unpin not found") \
                from None
        raise


@method("leaveChat")
async def leave_chat(c: Ctx) -> Any:
    chat, _ = await c.chat()
    await c.api.suite.accounts.leave(chat, c.bot_id)
    return True


@method("setChatTitle")
async def set_chat_title(c: Ctx) -> Any:
    chat, member = await c.chat()
    if chat.kind == "private":
        raise bad("chat title can't be changed in private chats")
    if not access.is_admin(member):
        raise bad("not enough rights to change chat title")
    await c.api.services.chats.rename(c.bot_id, Peer(chat_id=chat.id), c.p.need("title"))
    return True
