"""Bot API methods about chats and their members: lookups, bans, restrictions, promotion, pins,
invite links and join requests, reactions.

In supergroups and channels every one of them is the channel services' own use case, with the
bot as the acting user (services/channels.py, invites.py, reactions.py): their rights, their
state, their events. Basic groups keep Telegram's simpler rules (a ban removes the member).
"""

from __future__ import annotations

from typing import Any

import msgspec

from steppe.botapi.context import Ctx, method
from steppe.botapi.errors import bad
from steppe.botapi.render import PERMISSIONS, member_obj, participant_obj
from steppe.domain import access, bots
from steppe.domain import channels as ch
from steppe.domain.channels import AdminRights, BannedRights, InviteLink
from steppe.domain.errors import RpcError
from steppe.domain.models import Chat, Member
from steppe.services.chats import Peer

ONLY_SUPERGROUPS = "method is available only for supergroups"
BANNED = BannedRights(**{f: True for f in BannedRights.__struct_fields__})
_RIGHTS_ERRORS = {
    "CHAT_ADMIN_REQUIRED": "not enough rights to restrict/unrestrict chat member",
    "USER_ADMIN_INVALID": "user is an administrator of the chat",
    "USER_CREATOR": "can't restrict chat owner",
    "RIGHT_FORBIDDEN": "not enough rights",
    "USER_NOT_PARTICIPANT": "user not found",
    "USER_ID_INVALID": "user not found",
}


def _big(chat: Chat) -> bool:
    return chat.kind in ch.BIG_KINDS


def _peer(chat: Chat) -> Peer:
    return Peer(chat_id=chat.id)


async def _rights_call(coro: Any) -> Any:
    """Run a channel-services call, its refusals in the Bot API's words."""
    try:
        return await coro
    except RpcError as err:
        if err.type in _RIGHTS_ERRORS:
            raise bad(_RIGHTS_ERRORS[err.type]) from None
        raise


async def _member_obj(c: Ctx, chat: Chat, user_id: int, member: Member | None) -> dict[str, Any]:
    user = await c.render.user(user_id)
    if _big(chat):
        p = await c.api.services.channels.channels.store.participant(
            chat.id, user_id, c.api.core.clock.now())
        return participant_obj(p, user, chat.kind, c.bot_id)
    if member is None:
        return member_obj("left", user)
    if member.role == "creator" or (chat.kind == "private"):
        return member_obj("creator" if member.role == "creator" else "member", user)
    if member.role == "admin":
        return member_obj("administrator", user)
    return member_obj("member", user)


def _user_id(c: Ctx) -> int:
    user_id = c.p.need_int("user_id")
    if user_id <= 0:
        raise bad("user not found")
    return user_id


# ---- looking ----------------------------------------------------------------------------------

@method("getChat")
async def get_chat(c: Ctx) -> Any:
    chat, _ = await c.chat()
    info = await c.api.services.channels.channels.store.info(chat.id) if _big(chat) else None
    return await c.render.full_chat(chat, info)


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
    if _big(chat):
        found = await _rights_call(c.api.services.channels.channels.participants(
            c.bot_id, _peer(chat), "admins", "", 0, 200))
        return [participant_obj(p, await c.render.user(p.user_id), chat.kind, c.bot_id)
                for p in found.participants]
    members = await c.api.core.chats.members(chat.id)
    return [await _member_obj(c, chat, m.user_id, m) for m in members if access.is_admin(m)]


@method("getChatMemberCount", "getChatMembersCount")
async def get_chat_member_count(c: Ctx) -> Any:
    chat, _ = await c.chat()
    return chat.member_count


# ---- bans, restrictions, promotion -------------------------------------------------------------

@method("banChatMember", "kickChatMember")
async def ban_chat_member(c: Ctx) -> Any:
    chat, member = await c.chat()
    user_id = _user_id(c)
    if user_id == c.bot_id:
        raise bad("can't remove self")
    if _big(chat):
        await _rights_call(c.api.services.channels.channels.edit_banned(
            c.bot_id, _peer(chat), user_id, BANNED, c.p.int("until_date", default=0) or 0))
        return True
    await c.api.suite.accounts.kick(chat, member, user_id)
    return True


@method("unbanChatMember")
async def unban_chat_member(c: Ctx) -> Any:
    chat, member = await c.chat()
    user_id = _user_id(c)
    if not _big(chat):  # a basic group keeps no bans: "unbanning" a member removes them
        if not c.p.bool("only_if_banned"):
            _, target = await c.api.core.chats.chat_and_member(chat.id, user_id)
            if target is not None and target.role == "member":
                await c.api.suite.accounts.kick(chat, member, user_id)
        return True
    channels = c.api.services.channels.channels
    p = await channels.store.participant(chat.id, user_id, c.api.core.clock.now())
    if p.status == "banned":
        await _rights_call(channels.edit_banned(c.bot_id, _peer(chat), user_id, BannedRights(), 0))
    elif not c.p.bool("only_if_banned") and p.status in ("member", "restricted"):
        # Telegram's unban of a member removes them, free to join again.
        await _rights_call(channels.edit_banned(c.bot_id, _peer(chat), user_id, BANNED, 0))
        await _rights_call(channels.edit_banned(c.bot_id, _peer(chat), user_id, BannedRights(),
                                                0))
    return True


def _permissions(c: Ctx) -> BannedRights:
    perms = c.p.json("permissions")
    if not isinstance(perms, dict):
        raise bad("can't parse chat permissions")
    clean = {k: bool(v) for k, v in perms.items()
             if k in PERMISSIONS or k == "can_send_media_messages"}
    return BannedRights(**bots.banned_from_permissions(clean))


@method("restrictChatMember")
async def restrict_chat_member(c: Ctx) -> Any:
    chat, _ = await c.chat()
    if chat.kind != "supergroup":
        raise bad(ONLY_SUPERGROUPS)
    user_id = _user_id(c)
    if user_id == c.bot_id:
        raise bad("can't restrict self")
    await _rights_call(c.api.services.channels.channels.edit_banned(
        c.bot_id, _peer(chat), user_id, _permissions(c), c.p.int("until_date", default=0) or 0))
    return True


@method("setChatPermissions")
async def set_chat_permissions(c: Ctx) -> Any:
    chat, _ = await c.chat()
    if chat.kind != "supergroup":
        raise bad(ONLY_SUPERGROUPS)
    try:
        await c.api.services.channels.channels.edit_default_rights(c.bot_id, _peer(chat),
                                                                   _permissions(c))
    except RpcError as err:
        if err.type != "CHAT_NOT_MODIFIED":
            raise
    return True


@method("promoteChatMember")
async def promote_chat_member(c: Ctx) -> Any:
    chat, member = await c.chat()
    user_id = _user_id(c)
    flags = {k: c.p.bool(k) for k in c.p.values if k.startswith("can_") or k == "is_anonymous"}
    if not _big(chat):
        await c.api.suite.accounts.promote(chat, member, user_id, any(flags.values()))
        return True
    rights = AdminRights(**bots.admin_from_flags(flags))
    if chat.kind == "supergroup":
        rights = msgspec.structs.replace(rights, post_messages=False, edit_messages=False)
    else:
        rights = msgspec.structs.replace(rights, manage_topics=False)
    await _rights_call(c.api.services.channels.channels.edit_admin(
        c.bot_id, _peer(chat), user_id, rights, ""))
    return True


@method("setChatAdministratorCustomTitle")
async def set_custom_title(c: Ctx) -> Any:
    chat, _ = await c.chat()
    if chat.kind != "supergroup":
        raise bad(ONLY_SUPERGROUPS)
    user_id = _user_id(c)
    channels = c.api.services.channels.channels
    p = await channels.store.participant(chat.id, user_id, c.api.core.clock.now())
    if p.status != "admin" or p.admin_rights is None:
        raise bad("user is not an administrator")
    await _rights_call(channels.edit_admin(c.bot_id, _peer(chat), user_id, p.admin_rights,
                                           c.p.str("custom_title", default="") or ""))
    return True


# ---- pins -------------------------------------------------------------------------------------

@method("pinChatMessage")
async def pin_chat_message(c: Ctx) -> Any:
    chat, member = await c.chat()
    await _pin(c, chat, member, c.p.need_int("message_id"), True)
    return True


@method("unpinChatMessage")
async def unpin_chat_message(c: Ctx) -> Any:
    chat, member = await c.chat()
    msg_id = c.p.int("message_id")
    if msg_id is None:  # the most recent pinned message
        latest = await c.api.services.channels.messages.posts.pinned(chat.id, 1)
        if not latest:
            raise bad("message to unpin not found")
        msg_id = latest[0].id
    await _pin(c, chat, member, msg_id, False)
    return True


@method("unpinAllChatMessages")
async def unpin_all_chat_messages(c: Ctx) -> Any:
    chat, member = await c.chat()
    if chat.kind == "group" and not access.is_admin(member):
        raise bad("not enough rights to manage pinned messages in the chat")
    try:
        await c.api.services.channels.messages.unpin_all(c.bot_id, _peer(chat))
    except RpcError as err:
        if err.type == "CHAT_ADMIN_REQUIRED":
            raise bad("not enough rights to manage pinned messages in the chat") from None
        raise
    return True


async def _pin(c: Ctx, chat: Chat, member: Member, msg_id: int, pinned: bool) -> None:
    if chat.kind == "group" and not access.is_admin(member):
        raise bad("not enough rights to manage pinned messages in the chat")
    try:
        await c.api.suite.accounts.pin(chat, member, msg_id, pinned)
    except RpcError as err:
        if err.type == "MESSAGE_ID_INVALID":
            raise bad("message to pin not found" if pinned else "message to unpin not found") \
                from None
        if err.type == "CHAT_ADMIN_REQUIRED":
            raise bad("not enough rights to manage pinned messages in the chat") from None
        raise


# ---- the chat itself --------------------------------------------------------------------------

@method("leaveChat")
async def leave_chat(c: Ctx) -> Any:
    chat, _ = await c.chat()
    if _big(chat):
        await c.api.services.channels.channels.leave(c.bot_id, _peer(chat))
        return True
    await c.api.suite.accounts.leave(chat, c.bot_id)
    return True


@method("setChatTitle")
async def set_chat_title(c: Ctx) -> Any:
    chat, member = await c.chat()
    if chat.kind == "private":
        raise bad("chat title can't be changed in private chats")
    if _big(chat):
        try:
            await c.api.services.channels.channels.edit_title(c.bot_id, _peer(chat),
                                                              c.p.need("title"))
        except RpcError as err:
            if err.type == "CHAT_ADMIN_REQUIRED":
                raise bad("not enough rights to change chat title") from None
            raise
        return True
    if not access.is_admin(member):
        raise bad("not enough rights to change chat title")
    await c.api.services.chats.rename(c.bot_id, Peer(chat_id=chat.id), c.p.need("title"))
    return True


@method("setChatDescription")
async def set_chat_description(c: Ctx) -> Any:
    chat, _ = await c.chat()
    if not _big(chat):
        raise bad("chat description can't be changed in this chat")
    try:
        await c.api.services.channels.channels.edit_about(
            c.bot_id, _peer(chat), c.p.str("description", default="") or "")
    except RpcError as err:
        if err.type == "CHAT_ADMIN_REQUIRED":
            raise bad("not enough rights to change chat description") from None
        if err.type != "CHAT_ABOUT_NOT_MODIFIED":
            raise
    return True


# ---- invite links and join requests -------------------------------------------------------------

def invite_url(token: str) -> str:
    """How a link is written: Telegram's own join link form (messages.importChatInvite takes
    the token after the `+`)."""
    return f"https://t.me/+{token}"


def _token(c: Ctx) -> str:
    link = c.p.need("invite_link").strip()
    return link.rsplit("/", 1)[-1].lstrip("+").removeprefix("joinchat/")


async def _link_obj(c: Ctx, link: InviteLink) -> dict[str, Any]:
    out: dict[str, Any] = {"invite_link": invite_url(link.link),
                           "creator": await c.render.user(link.admin_id),
                           "creates_join_request": link.request_needed,
                           "is_primary": link.permanent, "is_revoked": link.revoked}
    if link.title:
        out["name"] = link.title
    if link.expire_date:
        out["expire_date"] = link.expire_date
    if link.usage_limit:
        out["member_limit"] = link.usage_limit
    if link.request_needed:
        out["pending_join_request_count"] = link.requested
    return out


async def _big_chat(c: Ctx) -> Chat:
    chat, _ = await c.chat()
    if not _big(chat):
        raise bad(ONLY_SUPERGROUPS + " and channel chats")
    return chat


@method("createChatInviteLink")
async def create_chat_invite_link(c: Ctx) -> Any:
    chat = await _big_chat(c)
    link = await _rights_call(c.api.services.channels.invites.export(
        c.bot_id, _peer(chat), expire_date=c.p.int("expire_date", default=0) or 0,
        usage_limit=c.p.int("member_limit", default=0) or 0,
        request_needed=c.p.bool("creates_join_request"), title=c.p.str("name", default="") or "",
        revoke_permanent=False))
    return await _link_obj(c, link)


@method("exportChatInviteLink")
async def export_chat_invite_link(c: Ctx) -> Any:
    chat = await _big_chat(c)
    link = await _rights_call(c.api.services.channels.invites.export(
        c.bot_id, _peer(chat), expire_date=0, usage_limit=0, request_needed=False, title="",
        revoke_permanent=True))
    return invite_url(link.link)


@method("editChatInviteLink")
async def edit_chat_invite_link(c: Ctx) -> Any:
    chat = await _big_chat(c)
    link = await _rights_call(c.api.services.channels.invites.edit(
        c.bot_id, _peer(chat), _token(c), revoked=None, expire_date=c.p.int("expire_date"),
        usage_limit=c.p.int("member_limit"),
        request_needed=c.p.bool("creates_join_request") if c.p.has("creates_join_request")
        else None, title=c.p.str("name")))
    return await _link_obj(c, link)


@method("revokeChatInviteLink")
async def revoke_chat_invite_link(c: Ctx) -> Any:
    chat = await _big_chat(c)
    link = await _rights_call(c.api.services.channels.invites.edit(
        c.bot_id, _peer(chat), _token(c), revoked=True, expire_date=None, usage_limit=None,
        request_needed=None, title=None))
    return await _link_obj(c, link)


@method("approveChatJoinRequest")
async def approve_chat_join_request(c: Ctx) -> Any:
    return await _decide(c, True)


@method("declineChatJoinRequest")
async def decline_chat_join_request(c: Ctx) -> Any:
    return await _decide(c, False)


async def _decide(c: Ctx, approved: bool) -> Any:
    chat = await _big_chat(c)
    try:
        await c.api.services.channels.invites.decide(c.bot_id, _peer(chat), _user_id(c),
                                                     approved)
    except RpcError as err:
        if err.type == "USER_ALREADY_PARTICIPANT":
            raise bad("USER_ALREADY_PARTICIPANT") from None
        if err.type == "CHAT_ADMIN_REQUIRED":
            raise bad("not enough rights to manage join requests") from None
        raise
    return True


# ---- reactions --------------------------------------------------------------------------------

@method("setMessageReaction")
async def set_message_reaction(c: Ctx) -> Any:
    chat, _ = await c.chat()
    given = c.p.json("reaction") or []
    if not isinstance(given, list):
        raise bad("can't parse reaction types JSON object")
    emoji = []
    for r in given:
        if not isinstance(r, dict) or r.get("type") != "emoji" or not isinstance(r.get("emoji"),
                                                                                  str):
            raise bad("REACTION_INVALID")
        emoji.append(r["emoji"])
    try:
        await c.api.services.channels.reactions.send(c.bot_id, _peer(chat),
                                                     c.p.need_int("message_id"), emoji)
    except RpcError as err:
        if err.type == "MESSAGE_ID_INVALID":
            raise bad("message to react not found") from None
        raise
    return True
