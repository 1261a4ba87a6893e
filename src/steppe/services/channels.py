"""Supergroups and channels: creating them, their settings, members and rights, joining and
leaving, the admin log, and upgrading a basic group."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import NamedTuple

import msgspec

from steppe.domain import access, limits, validate
from steppe.domain import channels as ch
from steppe.domain.channels import AdminLogEntry, AdminRights, BannedRights, ChatInfo, Participant
from steppe.domain.errors import bad_request, forbidden
from steppe.domain.models import Chat, User
from steppe.services.chats import ChatService, Peer
from steppe.services.core import Core
from steppe.services.users import UserService
from steppe.store.channels import ChannelStore
from steppe.store.invites import InviteStore

log = logging.getLogger(__name__)
# Told of every change of a user's standing in a supergroup or channel: (chat, actor, before,
# after). The bot feed turns them into chat_member / my_chat_member updates.
MemberHook = Callable[[Chat, int, Participant, Participant], Awaitable[None]]


class Ctx(NamedTuple):
    chat: Chat
    info: ChatInfo
    p: Participant


class FullChannel(msgspec.Struct, omit_defaults=True):
    chat: Chat
    info: ChatInfo
    me: Participant


class Participants(msgspec.Struct):
    count: int
    participants: list[Participant]
    users: list[User]


class AdminLog(msgspec.Struct):
    events: list[AdminLogEntry]
    users: list[User]


def clean_about(value: str) -> str:
    value = value.strip()
    if len(value) > limits.CHAT_ABOUT_MAX:
        raise bad_request("CHAT_ABOUT_TOO_LONG")
    return value


class ChannelService:
    def __init__(self, core: Core, users: UserService, chats: ChatService):
        self.core = core
        self.users = users
        self.chats = chats
        self.store = ChannelStore(core.store.database)
        self.invites = InviteStore(core.store.database)
        self.member_hooks: list[MemberHook] = []

    def now(self) -> int:
        return self.core.clock.now()

    async def changed(self, chat_id: int, actor: int, before: Participant) -> Participant:
        """The user's standing after a change, told to the member hooks."""
        after = await self.store.participant(chat_id, before.user_id, self.now())
        if self.member_hooks and after != before:
            chat = await self.core.chats.get_chat(chat_id)
            for hook in self.member_hooks if chat is not None else []:
                try:
                    await hook(chat, actor, before, after)
                except Exception:
                    log.exception("a member hook failed")
        return after

    async def ctx(self, actor: int, peer: Peer | int, *, preview: bool = False) -> Ctx:
        """The chat, its settings and the actor in it, with the actor's right to read it checked
        (`preview`: a public chat is readable before joining)."""
        chat_id = peer if isinstance(peer, int) else peer.chat_id
        if chat_id is None:
            raise bad_request("CHANNEL_INVALID")
        chat, info, p = await self.store.context(chat_id, actor, self.now())
        p = access.access_channel(chat, p, info, preview=preview)
        assert chat is not None
        return Ctx(chat, info, p)

    # ---- creating and reading ----------------------------------------------------------------

    async def create(self, actor: int, title: str, about: str, *, broadcast: bool,
                     megagroup: bool, forum: bool) -> Chat:
        if broadcast == megagroup:
            raise bad_request("CHANNEL_INVALID", "set exactly one of broadcast and megagroup")
        if forum and not megagroup:
            raise bad_request("MEGAGROUP_REQUIRED")
        kind = "channel" if broadcast else "supergroup"
        chat, out = await self.store.create(actor, kind, validate.chat_title(title),
                                            clean_about(about), forum, self.now())
        self.core.publish(out)
        return chat

    async def full(self, actor: int, peer: Peer | int) -> FullChannel:
        c = await self.ctx(actor, peer, preview=True)
        return FullChannel(chat=c.chat, info=c.info, me=c.p)

    async def resolve(self, actor: int, username: str) -> FullChannel:
        chat_id = await self.store.by_username(username.strip().lstrip("@"))
        if chat_id is None:
            raise bad_request("USERNAME_NOT_OCCUPIED")
        return await self.full(actor, chat_id)

    # ---- settings ----------------------------------------------------------------------------

    async def _settings(self, c: Ctx, actor: int, changes: dict[str, object], log: str,
                        **data: object) -> ChatInfo:
        info, out = await self.store.update_settings(c.chat.id, actor, self.now(), changes, log,
                                                     **data)
        self.core.publish(out)
        return info

    async def edit_title(self, actor: int, peer: Peer, title: str) -> None:
        c = await self.ctx(actor, peer)
        access.check_can(c.chat, c.info, c.p, "change_info")
        title = validate.chat_title(title)
        if title == c.chat.title:
            raise bad_request("CHAT_NOT_MODIFIED")
        self.core.publish(await self.store.edit_title(c.chat.id, actor, title, c.chat.title,
                                                      self.now()))

    async def edit_about(self, actor: int, peer: Peer, about: str) -> ChatInfo:
        c = await self.ctx(actor, peer)
        access.check_can(c.chat, c.info, c.p, "change_info")
        about = clean_about(about)
        if about == c.info.about:
            raise bad_request("CHAT_ABOUT_NOT_MODIFIED")
        return await self._settings(c, actor, {"about": about}, "info", field="about",
                                    prev=c.info.about, new=about)

    async def update_username(self, actor: int, peer: Peer, username: str) -> ChatInfo:
        c = await self.ctx(actor, peer)
        access.check_admin(c.p, "change_info")
        value = validate.username(username) if username else None
        if value == c.info.username:
            raise bad_request("USERNAME_NOT_MODIFIED")
        return await self._settings(c, actor, {"username": value,
                                               "username_lc": value.lower() if value else None},
                                    "info", field="username", prev=c.info.username, new=value)

    async def toggle_signatures(self, actor: int, peer: Peer, enabled: bool) -> ChatInfo:
        c = await self.ctx(actor, peer)
        access.check_broadcast(c.chat)
        access.check_admin(c.p, "change_info")
        if enabled == c.info.signatures:
            raise bad_request("CHAT_NOT_MODIFIED")
        return await self._settings(c, actor, {"signatures": int(enabled)}, "settings",
                                    field="signatures", new=enabled)

    async def toggle_slowmode(self, actor: int, peer: Peer, seconds: int) -> ChatInfo:
        c = await self.ctx(actor, peer)
        access.check_megagroup(c.chat)
        access.check_admin(c.p, "ban_users")
        if seconds not in ch.SLOWMODE_VALUES:
            raise bad_request("SECONDS_INVALID")
        if seconds == c.info.slowmode_seconds:
            raise bad_request("CHAT_NOT_MODIFIED")
        return await self._settings(c, actor, {"slowmode": seconds}, "settings",
                                    field="slowmode", prev=c.info.slowmode_seconds, new=seconds)

    async def toggle_forum(self, actor: int, peer: Peer, enabled: bool) -> ChatInfo:
        c = await self.ctx(actor, peer)
        access.check_megagroup(c.chat)
        access.check_admin(c.p, "change_info")
        if enabled == c.info.forum:
            raise bad_request("CHAT_NOT_MODIFIED")
        return await self._settings(c, actor, {"forum": int(enabled)}, "settings",
                                    field="forum", new=enabled)

    async def edit_default_rights(self, actor: int, peer: Peer, rights: BannedRights
                                  ) -> ChatInfo:
        c = await self.ctx(actor, peer)
        access.check_megagroup(c.chat)
        access.check_admin(c.p, "ban_users")
        if rights.view_messages:
            raise bad_request("RIGHT_FORBIDDEN", "defaults cannot ban everyone")
        if rights == c.info.default_banned_rights:
            raise bad_request("CHAT_NOT_MODIFIED")
        return await self._settings(c, actor, {"default_banned": ch.to_bits(rights)}, "settings",
                                    field="default_banned_rights",
                                    prev=msgspec.to_builtins(c.info.default_banned_rights),
                                    new=msgspec.to_builtins(rights))

    async def set_reactions(self, actor: int, peer: Peer, reactions: list[str] | None,
                            limit: int) -> ChatInfo:
        """Any chat but a private one: which reactions, and how many per user."""
        chat, member = await self.chats.access(actor, peer)
        if chat.kind == "private":
            raise bad_request("CHAT_ID_INVALID")
        if chat.kind in ch.BIG_KINDS:
            c = await self.ctx(actor, peer)
            access.check_admin(c.p, "change_info")
        else:
            access.require(access.is_admin(member), forbidden("CHAT_ADMIN_REQUIRED"))
        if not 1 <= limit <= limits.REACTIONS_LIMIT_MAX:
            raise bad_request("REACTIONS_LIMIT_INVALID")
        allowed = ch.clean_reactions(reactions)
        info, out = await self.store.update_settings(
            chat.id, actor, self.now(),
            {"reactions": None if allowed is None else msgspec.json.encode(allowed).decode(),
             "reactions_limit": limit}, "settings", field="reactions", new=allowed, limit=limit)
        self.core.publish(out)
        return info

    async def set_discussion(self, actor: int, broadcast: Peer, group: Peer | None) -> None:
        """Link a channel to a supergroup where its posts get comments (or unlink it)."""
        c = await self.ctx(actor, broadcast)
        access.check_broadcast(c.chat)
        access.check_admin(c.p, "change_info")
        g = await self.ctx(actor, group) if group is not None and group.chat_id else None
        if g is not None:
            access.check_megagroup(g.chat)
            access.check_admin(g.p, "change_info")
        new_group = g.chat.id if g else None
        if new_group == c.info.linked_chat_id:
            raise bad_request("LINK_NOT_MODIFIED")
        if c.info.linked_chat_id is not None:
            await self._unlink(c.info.linked_chat_id, actor)
        if g is not None and g.info.linked_chat_id not in (None, c.chat.id):
            await self._unlink(g.info.linked_chat_id, actor)
        await self._settings(c, actor, {"linked_chat_id": new_group}, "settings",
                             field="linked_chat_id", new=new_group)
        if g is not None:
            await self._settings(g, actor, {"linked_chat_id": c.chat.id}, "settings",
                                 field="linked_chat_id", new=c.chat.id)

    async def _unlink(self, chat_id: int, actor: int) -> None:
        _, out = await self.store.update_settings(chat_id, actor, self.now(),
                                                  {"linked_chat_id": None}, "settings",
                                                  field="linked_chat_id", new=None)
        self.core.publish(out)

    # ---- participants ------------------------------------------------------------------------

    async def participants(self, actor: int, peer: Peer, filter: str, q: str, offset: int,
                           limit: int) -> Participants:
        c = await self.ctx(actor, peer)
        if filter not in ch.PARTICIPANT_FILTERS:
            raise bad_request("FILTER_INVALID")
        access.check_participants(c.chat, c.p, filter)
        limit = max(1, min(limit, limits.PARTICIPANTS_PAGE_MAX))
        total, found = await self.store.participants(c.chat.id, filter, q.strip()[:64],
                                                     max(0, offset), limit, self.now())
        users = await self.users.view(actor, [p.user_id for p in found])
        return Participants(count=total, participants=found, users=users)

    async def participant(self, actor: int, peer: Peer, user_id: int) -> Participant:
        c = await self.ctx(actor, peer)
        if user_id != actor:
            access.check_participants(c.chat, c.p, "recent")
        found = await self.store.participant(c.chat.id, user_id, self.now())
        if found.status == "left":
            raise bad_request("USER_NOT_PARTICIPANT")
        return found

    async def _target(self, chat_id: int, user_id: int) -> Participant:
        if not await self.core.store.get_users([user_id]):
            raise bad_request("USER_ID_INVALID")
        return await self.store.participant(chat_id, user_id, self.now())

    async def edit_admin(self, actor: int, peer: Peer, user_id: int, rights: AdminRights,
                         rank: str) -> Participant:
        c = await self.ctx(actor, peer)
        target = await self._target(c.chat.id, user_id)
        access.check_promote(c.p, target, rights)
        if len(rank) > limits.ADMIN_RANK_MAX or "\n" in rank:
            raise bad_request("ADMIN_RANK_INVALID")
        self.core.publish(await self.store.set_rights(
            c.chat.id, actor, user_id, self.now(), admin=rights, rank=rank.strip(),
            add=not target.in_chat))
        return await self.changed(c.chat.id, actor, target)

    async def edit_banned(self, actor: int, peer: Peer, user_id: int, rights: BannedRights,
                          until_date: int) -> Participant:
        c = await self.ctx(actor, peer)
        target = await self._target(c.chat.id, user_id)
        access.check_restrict(c.p, target)
        if not rights.view_messages and any(msgspec.structs.astuple(rights)) and not target.in_chat:
            raise bad_request("USER_NOT_PARTICIPANT")
        self.core.publish(await self.store.set_rights(
            c.chat.id, actor, user_id, self.now(), banned=rights,
            until_date=ch.until(until_date, self.now())))
        return await self.changed(c.chat.id, actor, target)

    async def invite(self, actor: int, peer: Peer, user_ids: list[int]) -> None:
        """Add users (channels.inviteToChannel); an admin who may ban lifts a ban doing so."""
        c = await self.ctx(actor, peer)
        ids = list(dict.fromkeys(user_ids))
        if not ids or len(ids) > 100:
            raise bad_request("USER_ID_INVALID")
        for user_id in ids:
            target = await self._target(c.chat.id, user_id)
            chat = await self.core.chats.get_chat(c.chat.id)
            assert chat is not None
            access.check_invite_user(chat, c.info, c.p, target)
            if target.status == "banned":
                self.core.publish(await self.store.set_rights(
                    c.chat.id, actor, user_id, self.now(), banned=BannedRights()))
            self.core.publish(await self.store.join(c.chat.id, user_id, actor, self.now(),
                                                    "invite"))
            await self.changed(c.chat.id, actor, target)

    async def join(self, actor: int, peer: Peer) -> Chat:
        """Join a public supergroup or channel (channels.joinChannel)."""
        if peer.chat_id is None:
            raise bad_request("CHANNEL_INVALID")
        chat, info, p = await self.store.context(peer.chat_id, actor, self.now())
        if chat is None or chat.kind not in ch.BIG_KINDS:
            raise bad_request("PEER_ID_INVALID")
        access.check_join(chat, p, allowed=bool(info.username))
        self.core.publish(await self.store.join(chat.id, actor, actor, self.now(), "username"))
        await self.changed(chat.id, actor, p)
        fresh = await self.core.chats.get_chat(chat.id)
        assert fresh is not None
        return fresh

    async def leave(self, actor: int, peer: Peer) -> None:
        c = await self.ctx(actor, peer)
        access.check_leave(c.p)
        self.core.publish(await self.store.leave(c.chat.id, actor, actor, self.now()))
        await self.changed(c.chat.id, actor, c.p)

    # ---- the admin log and upgrades ----------------------------------------------------------

    async def admin_log(self, actor: int, peer: Peer, q: str, actions: list[str],
                        admins: list[int], max_id: int, limit: int) -> AdminLog:
        c = await self.ctx(actor, peer)
        access.check_any_admin(c.p)
        if any(a not in ch.LOG_ACTIONS for a in actions):
            raise bad_request("FILTER_INVALID")
        limit = max(1, min(limit, limits.ADMIN_LOG_PAGE_MAX))
        events = await self.store.admin_log(c.chat.id, max_id, limit, actions, admins,
                                            q.strip()[:64])
        users = await self.users.view(actor, sorted({e.user_id for e in events}))
        return AdminLog(events=events, users=users)

    async def migrate(self, actor: int, peer: Peer) -> Chat:
        """Upgrade a basic group to a supergroup (messages.migrateChat)."""
        chat, member = await self.chats.access(actor, peer)
        access.check_migrate(chat, member)
        new, out = await self.invites.migrate(chat.id, actor, self.now())
        self.core.publish(out)
        return new
