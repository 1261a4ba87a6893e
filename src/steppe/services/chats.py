"""Private chats, basic groups, membership and the dialog list."""

from __future__ import annotations

from typing import TypeVar

import msgspec

from steppe.domain import access, limits, validate
from steppe.domain.errors import bad_request
from steppe.domain.models import Chat, Dialog, Member, User
from steppe.services.core import Core
from steppe.services.users import UserService


class Peer(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A chat as the client names it: by the chat's id, or by the other user of a private chat."""

    chat_id: int | None = None
    user_id: int | None = None


class Dialogs(msgspec.Struct):
    dialogs: list[Dialog]
    users: list[User]
    next_offset: dict[str, int] | None = None


K = TypeVar("K")
V = TypeVar("V")


def _put(table: dict[K, V], key: K, value: V, most: int) -> None:
    if key not in table and len(table) >= most:
        del table[next(iter(table))]
    table[key] = value


class Hints:
    """What never changes about a chat once seen, remembered for the send path: a chat's kind
    (a group moved to a supergroup becomes a new chat) and which chat is the private one of two
    users (private chats are never deleted). Bounded; the oldest go first. A hint only picks a
    path: whoever acts on it checks membership and the kind again in the write itself
    (`MessageStore.send_as_member`), so a stale or wrong hint costs a detour, never a wrong
    answer, and nothing needs invalidating when members come and go on this node or another."""

    MAX = 65536

    def __init__(self, most: int = MAX):
        self.most = most
        self.kinds: dict[int, str] = {}
        self.privates: dict[tuple[int, int], int] = {}

    def kind(self, chat_id: int, kind: str) -> None:
        _put(self.kinds, chat_id, kind, self.most)

    def private(self, a: int, b: int, chat_id: int) -> None:
        _put(self.privates, (min(a, b), max(a, b)), chat_id, self.most)
        self.kind(chat_id, "private")

    def basic_chat_id(self, actor: int, peer: Peer) -> int | None:
        """The id of the private chat or basic group `peer` names, as far as known here."""
        if peer.user_id is None:
            chat_id = peer.chat_id
        elif peer.chat_id is None:
            chat_id = self.privates.get((min(actor, peer.user_id), max(actor, peer.user_id)))
        else:
            return None
        if chat_id is None or self.kinds.get(chat_id) not in ("private", "group"):
            return None
        return chat_id

    def big_chat_id(self, peer: Peer) -> int | None:
        """The id of the supergroup or channel `peer` names, as far as known here."""
        chat_id = peer.chat_id
        if chat_id is None or peer.user_id is not None:
            return None
        return chat_id if self.kinds.get(chat_id) in ("supergroup", "channel") else None


class ChatService:
    def __init__(self, core: Core, users: UserService):
        self.core = core
        self.users = users
        self.hints = Hints()

    async def chat_id(self, actor: int, peer: Peer, *, create: bool = False) -> int:
        if (peer.chat_id is None) == (peer.user_id is None):
            raise bad_request("PEER_ID_INVALID", "name exactly one of chat_id and user_id")
        if peer.chat_id is not None:
            return peer.chat_id
        assert peer.user_id is not None
        found = await self.core.chats.private_chat_id(actor, peer.user_id)
        if found is not None:
            self.hints.private(actor, peer.user_id, found)
            return found
        if not create:
            raise bad_request("PEER_ID_INVALID")
        if not await self.core.store.get_users([peer.user_id]):
            raise bad_request("PEER_ID_INVALID")
        chat, out = await self.core.chats.create_private(actor, peer.user_id,
                                                         self.core.clock.now())
        self.core.publish(out)
        self.hints.private(actor, peer.user_id, chat.id)
        return chat.id

    async def access(self, actor: int, peer: Peer, *, create: bool = False
                     ) -> tuple[Chat, Member]:
        chat_id = await self.chat_id(actor, peer, create=create)
        chat, member = access.access_chat(*await self.core.chats.chat_and_member(chat_id, actor))
        self.hints.kind(chat.id, chat.kind)
        return chat, member

    async def get_chat(self, actor: int, peer: Peer) -> dict[str, object]:
        chat, _ = await self.access(actor, peer, create=True)
        dialog = await self.core.chats.dialog(actor, chat.id)
        # A supergroup's or channel's members are paged: channels.getParticipants.
        big = chat.kind in ("supergroup", "channel")
        members = [] if big else await self.core.chats.members(chat.id)
        users = await self.users.view(actor, [m.user_id for m in members])
        return {"dialog": dialog, "members": members, "users": users}

    async def create_group(self, actor: int, title: str, user_ids: list[int]) -> Chat:
        title = validate.chat_title(title)
        others = [u for u in dict.fromkeys(user_ids) if u != actor]
        if len(others) + 1 > limits.GROUP_MAX_MEMBERS:
            raise bad_request("USERS_TOO_MUCH")
        found = await self.core.store.get_users(others)
        if len(found) != len(others):
            raise bad_request("USER_ID_INVALID")
        chat, out = await self.core.chats.create_group(actor, title, others, self.core.clock.now())
        self.core.publish(out)
        return chat

    async def add_members(self, actor: int, peer: Peer, user_ids: list[int]) -> None:
        chat, member = await self.access(actor, peer)
        ids = list(dict.fromkeys(user_ids))
        access.check_add_members(chat, member, len(ids))
        if not ids or len(await self.core.store.get_users(ids)) != len(ids):
            raise bad_request("USER_ID_INVALID")
        self.core.publish(await self.core.chats.add_members(chat.id, actor, ids,
                                                            self.core.clock.now()))

    async def remove_member(self, actor: int, peer: Peer, user_id: int) -> None:
        chat, member = await self.access(actor, peer)
        access.check_group(chat)
        if user_id == actor:
            return await self.leave(actor, peer)
        _, target = await self.core.chats.chat_and_member(chat.id, user_id)
        if target is None:
            raise bad_request("USER_NOT_PARTICIPANT")
        access.check_remove_member(chat, member, target)
        self.core.publish(await self.core.chats.remove_member(chat.id, actor, user_id,
                                                              self.core.clock.now()))

    async def leave(self, actor: int, peer: Peer) -> None:
        chat, _ = await self.access(actor, peer)
        access.check_group(chat)
        self.core.publish(await self.core.chats.remove_member(chat.id, actor, actor,
                                                              self.core.clock.now()))

    async def rename(self, actor: int, peer: Peer, title: str) -> None:
        chat, member = await self.access(actor, peer)
        access.check_rename(chat, member)
        title = validate.chat_title(title)
        if title == chat.title:
            raise bad_request("CHAT_NOT_MODIFIED")
        self.core.publish(await self.core.chats.rename(chat.id, actor, title,
                                                       self.core.clock.now()))

    async def dialogs(self, actor: int, offset_date: int, offset_chat: int, limit: int) -> Dialogs:
        limit = max(1, min(limit, limits.DIALOGS_PAGE_MAX))
        first_page = offset_date == 0
        pinned = await self.core.chats.dialogs(actor, 0, 0, limits.DIALOGS_PAGE_MAX,
                                               pinned_only=True) if first_page else []
        rest = await self.core.chats.dialogs(actor, offset_date or 2**62, offset_chat or 2**62,
                                             limit)
        page = pinned + rest
        user_ids = {d.peer_user_id for d in page if d.peer_user_id}
        user_ids |= {d.top_message.sender_id for d in page if d.top_message}
        users = await self.users.view(actor, sorted(user_ids))
        nxt = None
        if len(rest) == limit:
            nxt = {"offset_date": rest[-1].chat.last_date, "offset_chat_id": rest[-1].chat.id}
        return Dialogs(dialogs=page, users=users, next_offset=nxt)

    async def pin_dialog(self, actor: int, peer: Peer, pinned: bool) -> None:
        chat, _ = await self.access(actor, peer)
        self.core.publish(await self.core.chats.set_dialog_pinned(actor, chat.id, pinned,
                                                                  self.core.clock.now()))
