"""Invite links (expiry, usage limit, admin approval), joining by them, and join requests."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

import msgspec

from steppe.domain import access, limits
from steppe.domain.channels import InviteLink, JoinRequest
from steppe.domain.errors import bad_request
from steppe.domain.models import Chat, User
from steppe.services.channels import ChannelService
from steppe.services.chats import Peer

log = logging.getLogger(__name__)
# Told of every join request filed (the bot feed makes chat_join_request updates of them).
RequestHook = Callable[[Chat, JoinRequest], Awaitable[None]]


class InvitePreview(msgspec.Struct, omit_defaults=True):
    """What a link shows before joining."""

    title: str
    kind: str
    member_count: int
    about: str = ""
    request_needed: bool = False
    chat: Chat | None = None  # when already a member


class Importers(msgspec.Struct, omit_defaults=True):
    importers: list[JoinRequest]
    users: list[User]


class InviteService:
    def __init__(self, channels: ChannelService):
        self.channels = channels
        self.core = channels.core
        self.store = channels.invites
        self.request_hooks: list[RequestHook] = []

    def now(self) -> int:
        return self.core.clock.now()

    async def export(self, actor: int, peer: Peer, *, expire_date: int, usage_limit: int,
                     request_needed: bool, title: str, revoke_permanent: bool) -> InviteLink:
        c = await self.channels.ctx(actor, peer)
        access.check_admin(c.p, "invite_users")
        _check_terms(expire_date, usage_limit, request_needed, title, self.now())
        link = InviteLink(link=secrets.token_urlsafe(12), chat_id=c.chat.id, admin_id=actor,
                          date=self.now(), title=title.strip(), expire_date=expire_date,
                          usage_limit=usage_limit, request_needed=request_needed,
                          permanent=revoke_permanent)
        return await self.store.create(link)

    async def links(self, actor: int, peer: Peer, admin_id: int | None, revoked: bool,
                    offset_date: int, limit: int) -> list[InviteLink]:
        """The actor's links, another admin's (`admin_id`), or everyone's (`admin_id` 0); the
        last two for admins who may add admins."""
        c = await self.channels.ctx(actor, peer)
        access.check_admin(c.p, "invite_users")
        if admin_id is not None and admin_id != actor:
            access.check_admin(c.p, "add_admins")
        who = actor if admin_id is None else (admin_id or None)
        return await self.store.links(c.chat.id, who, revoked, offset_date,
                                      max(1, min(limit, 100)))

    async def _own_link(self, actor: int, peer: Peer, link: str) -> tuple[InviteLink, int]:
        c = await self.channels.ctx(actor, peer)
        access.check_admin(c.p, "invite_users")
        found = await self.store.get(link)
        if found is None or found.chat_id != c.chat.id:
            raise bad_request("INVITE_HASH_INVALID")
        if found.admin_id != actor:
            access.check_admin(c.p, "add_admins")
        return found, c.chat.id

    async def edit(self, actor: int, peer: Peer, link: str, *, revoked: bool | None,
                   expire_date: int | None, usage_limit: int | None,
                   request_needed: bool | None, title: str | None) -> InviteLink:
        found, _ = await self._own_link(actor, peer, link)
        if found.revoked:
            raise bad_request("INVITE_REVOKED_MISSING")
        changes: dict[str, object] = {}
        if revoked:
            changes["revoked"] = 1
        terms = (expire_date, usage_limit, request_needed, title)
        if any(v is not None for v in terms):
            _check_terms(found.expire_date if expire_date is None else expire_date,
                         found.usage_limit if usage_limit is None else usage_limit,
                         found.request_needed if request_needed is None else request_needed,
                         found.title if title is None else title, self.now())
        for key, value in (("expire_date", expire_date), ("usage_limit", usage_limit),
                           ("request_needed", request_needed), ("title", title)):
            if value is not None:
                changes[key] = int(value) if isinstance(value, bool) else value
        if not changes:
            raise bad_request("CHAT_NOT_MODIFIED")
        return await self.store.edit(link, actor, self.now(), changes)

    async def delete(self, actor: int, peer: Peer, link: str) -> None:
        found, _ = await self._own_link(actor, peer, link)
        if not found.revoked:
            raise bad_request("INVITE_REVOKED_MISSING", "revoke the link first")
        await self.store.delete(link, actor, self.now())

    async def _usable(self, link: str) -> InviteLink:
        found = await self.store.get(link.rsplit("/", 1)[-1].lstrip("+"))
        if found is None:
            raise bad_request("INVITE_HASH_INVALID")
        if not found.usable(self.now()):
            raise bad_request("INVITE_HASH_EXPIRED")
        return found

    async def check(self, actor: int, link: str) -> InvitePreview:
        found = await self._usable(link)
        chat, info, p = await self.channels.store.context(found.chat_id, actor, self.now())
        assert chat is not None
        if p.status == "banned":
            raise bad_request("USER_BANNED_IN_CHANNEL")
        return InvitePreview(title=chat.title, kind=chat.kind, member_count=chat.member_count,
                             about=info.about, request_needed=found.request_needed,
                             chat=chat if p.in_chat else None)

    async def use(self, actor: int, link: str, about: str = "") -> Chat:
        """Join by a link (messages.importChatInvite); a link that needs approval files a join
        request and answers INVITE_REQUEST_SENT."""
        found = await self._usable(link)
        chat, _, p = await self.channels.store.context(found.chat_id, actor, self.now())
        assert chat is not None
        access.check_join(chat, p, allowed=True)
        requested, out = await self.store.use(found.link, actor, self.now(), about.strip()[:140])
        self.core.publish(out)
        if requested:
            request = JoinRequest(chat.id, actor, self.now(), found.link, about.strip()[:140])
            for hook in self.request_hooks:
                try:
                    await hook(chat, request)
                except Exception:
                    log.exception("a join request hook failed")
            raise bad_request("INVITE_REQUEST_SENT")
        await self.channels.changed(chat.id, actor, p)
        fresh = await self.core.chats.get_chat(chat.id)
        assert fresh is not None
        return fresh

    async def importers(self, actor: int, peer: Peer, link: str | None, requested: bool,
                        offset_date: int, limit: int) -> Importers:
        """Who joined by a link, or (`requested`) who waits for approval."""
        c = await self.channels.ctx(actor, peer)
        access.check_admin(c.p, "invite_users")
        limit = max(1, min(limit, 100))
        if requested:
            found = await self.store.requests(c.chat.id, link, offset_date, limit)
        elif link is None:
            raise bad_request("INVITE_HASH_EMPTY")
        else:
            found = [JoinRequest(c.chat.id, u, d, link) for u, d in
                     await self.store.importers(link, offset_date, limit)]
        users = await self.channels.users.view(actor, [r.user_id for r in found])
        return Importers(importers=found, users=users)

    async def decide(self, actor: int, peer: Peer, user_id: int, approved: bool) -> None:
        """Approve or decline a join request (messages.hideChatJoinRequest)."""
        c = await self.channels.ctx(actor, peer)
        access.check_admin(c.p, "invite_users")
        target = await self.channels.store.participant(c.chat.id, user_id, self.now())
        if approved:
            access.check_join(c.chat, target, allowed=True)
        self.core.publish(await self.store.decide(c.chat.id, user_id, approved, actor, self.now()))
        if approved:
            await self.channels.changed(c.chat.id, actor, target)


def _check_terms(expire_date: int, usage_limit: int, request_needed: bool, title: str,
                 now: int) -> None:
    if expire_date and expire_date <= now:
        raise bad_request("EXPIRE_DATE_INVALID")
    if not 0 <= usage_limit <= limits.INVITE_USAGE_MAX:
        raise bad_request("USAGE_LIMIT_INVALID")
    if usage_limit and request_needed:
        raise bad_request("USAGE_LIMIT_INVALID", "a link that needs approval has no usage limit")
    if len(title.strip()) > limits.INVITE_TITLE_MAX:
        raise bad_request("INVITE_TITLE_INVALID")

