"""Bot accounts and what bots do in chats: tokens, profiles, command menus, sending and editing
messages, basic-group administration. The Bot API adapter and BotFather both call this service;
in supergroups and channels the channel services' own rules apply (services/channels.py,
services/channel_messages.py through `MessageService.ext`)."""

from __future__ import annotations

import hmac
import logging
import time
from typing import TYPE_CHECKING, Any

import msgspec

from steppe.domain import access, bots, validate
from steppe.domain.bots import Bot, BotCommand
from steppe.domain.entities import with_detected
from steppe.domain.errors import RpcError, bad_request, forbidden, unauthorized
from steppe.domain.models import Chat, Member, Message, User
from steppe.domain.ratelimit import RateLimiter
from steppe.services.core import Core
from steppe.services.users import UserService
from steppe.store.bots import BotStore

if TYPE_CHECKING:
    from steppe.services.channels import ChannelService
    from steppe.services.media import MediaService, NewPhoto
    from steppe.services.messages import MessageService

log = logging.getLogger(__name__)
# A token checked against its bot is trusted this long without reading the bot again; any change
# to the bot or its account drops it at once on every node (the bus: "bx.<id>", "u.<id>"), and
# this bounds how long a node that missed such a message may serve the old state.
AUTH_TTL = 1.0
AUTH_CACHED_MAX = 50_000
BOTFATHER = "BotFather"
_commands = msgspec.json.Decoder(list[BotCommand])
_enc = msgspec.json.Encoder()


class BotService:
    def __init__(self, core: Core, users: UserService, messages: MessageService | None = None,
                 media: MediaService | None = None):
        self.core = core
        self.users = users
        self.messages = messages  # its `ext`: how supergroups and channels store messages
        self.media = media
        self.channels: ChannelService | None = None  # set by BotSuite.build
        self.store = BotStore(core.store.database)
        self.father_id = 0
        # Telegram's flood limits: ~30 messages/s per bot, ~1/s per private chat with short
        # bursts, 20 per minute in a group.
        self.per_bot = RateLimiter(30, 30)
        self.per_private = RateLimiter(1, 20)
        self.per_group = RateLimiter(20 / 60, 20)
        self._auth: dict[int, tuple[str, float, User, Bot]] = {}  # bot id: token, when, account
        self._reading: set[int] = set()  # bots being read for a request now
        self._stale: set[int] = set()  # of those, the ones that changed meanwhile: not kept
        core.bus.subscribe(self._on_bus)

    def _on_bus(self, topic: str, data: bytes) -> None:
        kind, _, ident = topic.partition(".")
        if kind in ("bx", "u"):
            self._forget(int(ident))

    def changed(self, bot_id: int) -> None:
        """The bot's row or account changed: every node reads it again at its next request."""
        self._forget(bot_id)
        self.core.publish_ephemeral(f"bx.{bot_id}", b"")

    def _forget(self, bot_id: int) -> None:
        self._auth.pop(bot_id, None)
        if bot_id in self._reading:
            self._stale.add(bot_id)

    async def update_bot(self, bot_id: int, fields: dict[str, object]) -> None:
        """Change the bot's settings (the one way to, so that no node serves the old ones)."""
        await self.store.update(bot_id, fields)
        self.changed(bot_id)

    # ---- accounts ----------------------------------------------------------------------------

    async def create(self, owner_id: int, username: str, name: str) -> tuple[User, str]:
        username = bots.bot_username(username)
        name = validate.first_name(name)
        if await self.core.store.user_by_username(username):
            raise bad_request("USERNAME_OCCUPIED")
        secret = bots.new_secret()
        user = await self.store.create_bot(owner_id, username, name, bots.secret_hash(secret),
                                           self.core.clock.now())
        self.core.publish_ephemeral(f"bn.{user.id}", b"")
        return user, f"{user.id}:{secret}"

    async def ensure_botfather(self) -> int:
        found = await self.core.store.user_by_username(BOTFATHER)
        if found is None:  # the one bot whose username does not end in "bot"
            try:
                found = await self.store.create_bot(0, BOTFATHER, "BotFather",
                                                    bots.secret_hash(bots.new_secret()),
                                                    self.core.clock.now())
            except RpcError as err:  # another node, starting at the same moment, made it
                found = await self.core.store.user_by_username(BOTFATHER)
                if err.type != "USERNAME_OCCUPIED" or found is None:
                    raise
        self.father_id = found.id
        return found.id

    async def authenticate(self, token: str) -> tuple[User, Bot]:
        parts = bots.split_token(token)
        if parts is None:
            raise unauthorized("TOKEN_INVALID")
        now = time.monotonic()
        hit = self._auth.get(parts[0])
        if hit is not None and now - hit[1] < AUTH_TTL and hmac.compare_digest(hit[0], token):
            return hit[2], hit[3]
        self._reading.add(parts[0])
        try:
            found = await self.store.with_user(parts[0])
        finally:
            self._reading.discard(parts[0])
            stale = parts[0] in self._stale
            self._stale.discard(parts[0])
        if found is None or not hmac.compare_digest(found[0].token_hash,
                                                    bots.secret_hash(parts[1])):
            raise unauthorized("TOKEN_INVALID")
        if not stale:  # the bot did not change while it was read: what was read is current
            if len(self._auth) >= AUTH_CACHED_MAX:
                self._auth.clear()
            self._auth[parts[0]] = (token, now, found[1], found[0])
        return found[1], found[0]

    async def owned(self, owner_id: int, username: str) -> tuple[User, Bot]:
        user = await self.core.store.user_by_username(username.strip().lstrip("@"))
        bot = await self.store.get(user.id) if user else None
        if user is None or bot is None or bot.owner_id != owner_id:
            raise bad_request("BOT_INVALID", "no such bot of yours")
        return user, bot

    async def mine(self, owner_id: int) -> list[User]:
        found = await self.store.by_owner(owner_id)
        users = await self.core.store.get_users([b.user_id for b in found])
        return [users[b.user_id] for b in found if b.user_id in users]

    async def revoke(self, bot_id: int) -> str:
        secret = bots.new_secret()
        await self.update_bot(bot_id, {"token_hash": bots.secret_hash(secret)})
        return f"{bot_id}:{secret}"

    async def delete(self, bot_id: int) -> None:
        await self.store.delete_bot(bot_id)
        self.changed(bot_id)

    async def get(self, bot_id: int) -> Bot | None:
        return await self.store.get(bot_id)

    # ---- profile -----------------------------------------------------------------------------

    async def set_name(self, bot_id: int, name: str) -> None:
        await self._profile(bot_id, {"first_name": validate.first_name(name)})

    async def set_about(self, bot_id: int, about: str) -> None:
        if len(about) > 120:
            raise bad_request("ABOUT_TOO_LONG")
        await self._profile(bot_id, {"bio": about.strip()})

    async def _profile(self, bot_id: int, changes: dict[str, object]) -> None:
        _, out = await self.core.store.update_profile(bot_id, changes, self.core.clock.now())
        self.core.publish(out)
        self.changed(bot_id)

    async def set_description(self, bot_id: int, text: str) -> None:
        if len(text) > 512:
            raise bad_request("BOT_DESCRIPTION_INVALID")
        await self.update_bot(bot_id, {"description": text.strip()})

    async def set_privacy(self, bot_id: int, on: bool) -> None:
        await self.update_bot(bot_id, {"privacy": on})

    async def set_commands(self, bot_id: int, items: list[BotCommand] | None, scope: str = "default",
                           lang: str = "") -> None:
        data = None if items is None else _enc.encode(bots.commands(items)).decode()
        await self.store.set_commands(bot_id, scope, lang[:8], data)

    async def commands(self, bot_id: int, scopes: list[str], lang: str = "") -> list[BotCommand]:
        found = await self.store.commands(bot_id, scopes, lang[:8])
        return _commands.decode(found) if found else []

    async def menu_for(self, viewer: int, bot_id: int, chat_id: int | None) -> list[BotCommand]:
        """The command menu `viewer` sees for the bot in a chat (None: the private chat)."""
        if chat_id is None:
            return await self.commands(bot_id, bots.scope_chain(viewer, True, viewer, False))
        chat, member = access.access_chat(*await self.core.chats.chat_and_member(chat_id, viewer))
        peer = next((u for u in chat.user_ids if u != viewer), viewer)
        api = bots.api_chat_id(chat.kind, chat.id, peer if chat.kind == "private" else None)
        chain = bots.scope_chain(api, chat.kind == "private", viewer, access.is_admin(member))
        return await self.commands(bot_id, chain)

    # ---- chats as a bot sees them ------------------------------------------------------------

    async def resolve(self, bot_id: int, api_chat: int | str
                      ) -> tuple[Chat, Member, User | None]:
        """A chat by its Bot API id (or @username for a user's private chat with the bot), the
        bot's membership, and for a private chat the user on the other side when one read found
        them with it (the usual case: a chat the bot has, named by the user's id)."""
        if isinstance(api_chat, int) and api_chat > 0:
            found = await self.core.chats.private_with(bot_id, api_chat)
            if found is not None:
                return found
        return (*await self._resolve(bot_id, api_chat), None)

    async def _resolve(self, bot_id: int, api_chat: int | str) -> tuple[Chat, Member]:
        if isinstance(api_chat, str):
            name = api_chat.lstrip("@")
            user = await self.core.store.user_by_username(name)
            public = None
            if user is None and self.channels is not None:  # a public supergroup or channel
                public = await self.channels.store.by_username(name)
            if user is None and public is None:
                raise bad_request("PEER_ID_INVALID")
            api_chat = user.id if user is not None else bots.api_chat_id("channel", public or 0,
                                                                          None)
        kind, ident = bots.parse_api_chat_id(api_chat)
        if kind == "user":
            chat_id = await self.core.chats.private_chat_id(bot_id, ident)
            if chat_id is None:
                target = (await self.core.store.get_users([ident])).get(ident)
                if target is None:
                    raise bad_request("PEER_ID_INVALID")
                if target.is_bot:
                    raise forbidden("BOT_TO_BOT", "bot can't send messages to bots")
                raise forbidden("BOT_CANT_INITIATE", "bot can't initiate conversation with a user")
        else:
            chat_id = ident
        chat, member = await self.core.chats.chat_and_member(chat_id, bot_id)
        if chat is None or member is None:
            if kind != "user" and await self.core.chats.get_chat(chat_id) is not None:
                raise forbidden("BOT_NOT_MEMBER", "bot is not a member of the group chat")
            raise bad_request("PEER_ID_INVALID")
        expected = {"user": ("private",), "group": ("group",), "channel": ("supergroup", "channel")}
        if chat.kind not in expected[kind]:
            raise bad_request("PEER_ID_INVALID")
        return chat, member

    def peer_of(self, chat: Chat, viewer: int) -> int | None:
        if chat.kind != "private":
            return None
        return next((u for u in chat.user_ids if u != viewer), viewer)

    def api_id(self, chat: Chat, viewer: int) -> int:
        return bots.api_chat_id(chat.kind, chat.id, self.peer_of(chat, viewer))

    # ---- sending -----------------------------------------------------------------------------

    def check_rate(self, bot_id: int, chat: Chat) -> None:
        now = self.core.clock.now()
        self.per_bot.take(bot_id, now)
        if chat.kind == "private":
            self.per_private.take((bot_id, chat.id), now)
        else:
            self.per_group.take((bot_id, chat.id), now)

    def _ext(self, chat: Chat) -> Any:
        ext = self.messages.ext if self.messages is not None else None
        return ext if ext is not None and ext.owns(chat) else None

    async def send(self, bot_id: int, chat: Chat, member: Member, template: Message, *,
                   random_id: int | None = None, rate: bool = True,
                   photos: list[NewPhoto] | None = None) -> Message:
        """Store a message a bot (or a user through a bot) composed, as the chat's next one."""
        return (await self.send_all(bot_id, chat, member, [template], [random_id], photos or [],
                                    rate=rate))[0]

    async def send_all(self, bot_id: int, chat: Chat, member: Member, templates: list[Message],
                       random_ids: list[int | None], photos: list[NewPhoto], *, rate: bool = True
                       ) -> list[Message]:
        """Store messages (one, or a media group) checked as the chat's kind wants: a basic
        chat's rules here, a supergroup's or channel's by the channel services as they store."""
        ext = self._ext(chat)
        if ext is None:
            access.check_send(chat, member)
        checked = []
        for template in templates:
            template = body_checked(template)
            if template.reply_to is not None and not await self.core.chats.get_messages(
                    chat.id, [template.reply_to]):
                raise bad_request("REPLY_MESSAGE_INVALID")
            checked.append(msgspec.structs.replace(
                template, chat_id=chat.id, id=0, sender_id=member.user_id,
                date=self.core.clock.now()))
        if rate:
            self.check_rate(bot_id, chat)
        if chat.kind == "channel" and member.user_id == bot_id:  # so the feed knows its own
            random_ids = [bots.post_random_id(bot_id) if r is None else r for r in random_ids]
        if photos or any(t.media is not None for t in checked):
            assert self.media is not None
            return await self.media.store(member.user_id, chat, member, checked, random_ids,
                                          photos)
        if ext is not None or any(t.poll is not None for t in checked):
            assert self.messages is not None and self.messages.ext is not None
            return [await self.messages.ext.store(member.user_id, chat, member, t, rid)
                    for t, rid in zip(checked, random_ids, strict=True)]
        sent = []
        for t, rid in zip(checked, random_ids, strict=True):
            msg = await self.core.send_as_member(t, rid)  # the membership checked again
            if msg is None:
                raise forbidden("BOT_NOT_MEMBER", "bot is not a member of the group chat")
            sent.append(msg)
        return sent

    async def message(self, chat: Chat, msg_id: int) -> Message:
        found = await self.core.chats.get_messages(chat.id, [msg_id]) if 0 < msg_id < 2**53 else []
        if not found:
            raise bad_request("MESSAGE_ID_INVALID")
        return found[0]

    async def rewrite(self, msg: Message, *, edited: bool = True,
                      photos: list[NewPhoto] | None = None) -> Message:
        msg = body_checked(msg)
        fresh, out = await self.store.rewrite_message(msg, self.core.clock.now(), edited=edited,
                                                      photos=photos or [])
        self.core.publish(out)
        return fresh

    async def delete_messages(self, bot_id: int, chat: Chat, member: Member, ids: list[int]
                              ) -> list[int]:
        found = await self.core.chats.get_messages(chat.id, [i for i in ids if 0 < i < 2**53])
        if not found:
            raise bad_request("MESSAGE_ID_INVALID", "message to delete not found")
        ext = self._ext(chat)
        if ext is not None:
            return list(await ext.delete(member.user_id, chat, found))
        for msg in found:
            access.check_delete_for_all(chat, member, msg)
        self.core.publish(await self.core.messages.delete(chat.id, [m.id for m in found],
                                                          self.core.clock.now()))
        return [m.id for m in found]

    async def pin(self, chat: Chat, member: Member, msg_id: int, pinned: bool) -> None:
        msg = await self.message(chat, msg_id)
        ext = self._ext(chat)
        if ext is not None:
            return await ext.pin(member.user_id, chat, msg, pinned)  # type: ignore[no-any-return]
        access.check_pin(chat, member)
        self.core.publish(await self.core.messages.pin(chat.id, msg_id, pinned,
                                                       self.core.clock.now()))

    # ---- group administration ----------------------------------------------------------------

    async def require_admin(self, chat: Chat, member: Member) -> None:
        if chat.kind == "private":
            raise bad_request("CHAT_ID_INVALID", "method is available for supergroup and channel"
                                                 " chats only")
        if not access.is_admin(member):
            raise bad_request("CHAT_ADMIN_REQUIRED")

    async def kick(self, chat: Chat, member: Member, user_id: int) -> None:
        """A basic group: remove the member (a basic group keeps no bans; they can be added
        again). Supergroups and channels ban through the channel services."""
        await self.require_admin(chat, member)
        _, target = await self.core.chats.chat_and_member(chat.id, user_id)
        if target is None:
            return
        if target.role == "creator" or (target.role == "admin" and member.role != "creator"):
            raise bad_request("USER_ADMIN_INVALID", "can't remove chat owner")
        self.core.publish(await self.core.chats.remove_member(chat.id, member.user_id, user_id,
                                                              self.core.clock.now()))

    async def promote(self, chat: Chat, member: Member, user_id: int, admin: bool) -> None:
        """A basic group: make a member an admin or not."""
        await self.require_admin(chat, member)
        _, target = await self.core.chats.chat_and_member(chat.id, user_id)
        if target is None:
            raise bad_request("USER_NOT_PARTICIPANT")
        if target.role == "creator":
            raise bad_request("USER_ADMIN_INVALID", "can't change the owner's rights")
        await self.store.set_role(chat.id, user_id, "admin" if admin else "member")

    async def leave(self, chat: Chat, bot_id: int) -> None:
        if chat.kind == "private":
            raise bad_request("CHAT_ID_INVALID", "chat member status can't be changed in private chats")
        self.core.publish(await self.core.chats.remove_member(chat.id, bot_id, bot_id,
                                                              self.core.clock.now()))


def _has_content(msg: Message) -> bool:
    return any(getattr(msg, f) is not None for f in ("location", "venue", "contact", "dice", "poll",
                                                     "media"))


def body_checked(msg: Message) -> Message:
    """A message's text (a media message's caption) checked, with the entities the server
    detects (links, mentions, /commands) added to the explicit ones."""
    if msg.media is not None:
        text, entities = validate.caption(msg.text, msg.entities)
    elif msg.text or not _has_content(msg):
        text, entities = validate.message_text(msg.text, msg.entities)
    else:
        return msg
    return msgspec.structs.replace(msg, text=text, entities=with_detected(text, entities))

