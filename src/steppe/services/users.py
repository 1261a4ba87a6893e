"""Profiles, usernames, contacts, presence."""

from __future__ import annotations

import msgspec

from steppe.domain import limits, validate
from steppe.domain.errors import bad_request
from steppe.domain.models import User
from steppe.domain.phone import normalize_phone
from steppe.domain.updates import UserStatus, UserUpdated, encode
from steppe.services.core import Core


class UserService:
    def __init__(self, core: Core):
        self.core = core
        self.online: dict[int, int] = {}  # user id -> open connections on this node

    async def view(self, viewer: int, ids: list[int]) -> list[User]:
        """Users as `viewer` may see them: a phone only to oneself and one's contacts."""
        found = await self.core.store.get_users(ids)
        # No one is their own contact (add_contact refuses it): viewing only oneself, as every
        # connection's authorize does, needs no read of the contacts.
        others = any(i != viewer for i in found)
        contacts = await self.core.store.contact_ids(viewer) if others else set()
        return [self._shape(viewer, found[i], contacts) for i in dict.fromkeys(ids) if i in found]

    def _shape(self, viewer: int, user: User, contacts: set[int]) -> User:
        user.is_self = user.id == viewer
        user.is_contact = user.id in contacts
        if not (user.is_self or user.is_contact):
            user.phone = None
        user.online = user.id in self.online
        return user

    async def get(self, viewer: int, user_id: int) -> User:
        users = await self.view(viewer, [user_id])
        if not users:
            raise bad_request("USER_ID_INVALID")
        return users[0]

    async def update_profile(self, user_id: int, first_name: str | None, last_name: str | None,
                             bio: str | None) -> User:
        changes: dict[str, object] = {}
        if first_name is not None:
            changes["first_name"] = validate.first_name(first_name)
        if last_name is not None:
            changes["last_name"] = validate.last_name(last_name)
        if bio is not None:
            changes["bio"] = validate.bio(bio)
        return await self._change(user_id, changes)

    async def update_username(self, user_id: int, username: str) -> User:
        value = validate.username(username) if username else None
        if value:
            holder = await self.core.store.user_by_username(value)
            if holder and holder.id != user_id:
                raise bad_request("USERNAME_OCCUPIED")
            if holder and holder.username == value:
                raise bad_request("USERNAME_NOT_MODIFIED")
        return await self._change(user_id, {"username": value})

    async def _change(self, user_id: int, changes: dict[str, object]) -> User:
        if not changes:
            return await self.get(user_id, user_id)
        user, out = await self.core.store.update_profile(user_id, changes, self.core.clock.now())
        self.core.publish(out)
        public = msgspec.structs.replace(user, phone=None)
        data = encode(UserUpdated(public))
        for chat_id in await self.core.chats.private_chat_ids(user_id, limits.STATUS_PEERS_MAX):
            self.core.publish_ephemeral(f"e.{chat_id}", data)
        user.is_self = True
        return user

    async def check_username(self, username: str) -> bool:
        return await self.core.store.user_by_username(validate.username(username)) is None

    async def resolve(self, viewer: int, username: str) -> User:
        user = await self.core.store.user_by_username(username.strip().lstrip("@"))
        if user is None:
            raise bad_request("USERNAME_NOT_OCCUPIED")
        return await self.get(viewer, user.id)

    async def search(self, viewer: int, query: str, limit: int) -> list[User]:
        prefix = query.strip().lstrip("@").lower()
        if not prefix:
            raise bad_request("SEARCH_QUERY_EMPTY")
        limit = max(1, min(limit, limits.USER_SEARCH_MAX))  # SQL's LIMIT -1 means no limit
        found = await self.core.store.search_users(prefix, limit)
        return await self.view(viewer, [u.id for u in found])

    # ---- contacts ----------------------------------------------------------------------------

    async def contacts(self, owner: int) -> list[User]:
        found = await self.core.store.contacts(owner)
        return await self.view(owner, [u.id for u in found])

    async def add_contact(self, owner: int, user_id: int, first: str, last: str) -> User:
        if user_id == owner:
            raise bad_request("CONTACT_ID_INVALID")
        user = await self.get(owner, user_id)
        first = validate.first_name(first or user.first_name)
        out = await self.core.store.add_contacts(owner, [(user, first, validate.last_name(last))],
                                                 self.core.clock.now())
        self.core.publish(out)
        return await self.get(owner, user_id)

    async def import_contacts(self, owner: int, people: list[tuple[str, str, str]]
                              ) -> dict[str, object]:
        if len(people) > limits.CONTACTS_IMPORT_MAX:
            raise bad_request("CONTACTS_TOO_MUCH")
        found: list[tuple[User, str, str]] = []
        missing: list[str] = []
        for raw, first, last in people:
            try:
                phone, _ = normalize_phone(raw)
            except Exception:  # noqa: BLE001 - an unparsable entry is reported, not fatal
                missing.append(raw)
                continue
            user = await self.core.store.user_by_phone(phone)
            if user is None or user.id == owner:
                missing.append(raw)
                continue
            found.append((user, validate.first_name(first or user.first_name),
                          validate.last_name(last)))
        if found:
            self.core.publish(await self.core.store.add_contacts(owner, found,
                                                                 self.core.clock.now()))
        users = await self.view(owner, [u.id for u, _, _ in found])
        return {"imported": users, "not_found": missing}

    async def delete_contacts(self, owner: int, ids: list[int]) -> None:
        self.core.publish(await self.core.store.delete_contacts(owner, ids, self.core.clock.now()))

    # ---- presence ----------------------------------------------------------------------------

    def connected(self, user_id: int) -> bool:
        """Count a connection; True when the user just came online on this node."""
        self.online[user_id] = self.online.get(user_id, 0) + 1
        return self.online[user_id] == 1

    def disconnected(self, user_id: int) -> bool:
        left = self.online.get(user_id, 0) - 1
        if left > 0:
            self.online[user_id] = left
            return False
        self.online.pop(user_id, None)
        return True

    async def announce_status(self, user_id: int, online: bool) -> None:
        """Online or last seen goes to the user's private chats, as Telegram shows it: never to
        groups or channels, where it would cost every member a message per member."""
        if not online:
            await self.core.store.set_last_seen(user_id, self.core.clock.now())
        self.announce_to(user_id, online,
                         await self.core.chats.private_chat_ids(user_id, limits.STATUS_PEERS_MAX))

    def announce_to(self, user_id: int, online: bool, chat_ids: list[int]) -> None:
        """`announce_status` with the private chats read already (`ChatStore.session`)."""
        data = encode(UserStatus(user_id, online, self.core.clock.now()))
        for chat_id in chat_ids:
            self.core.publish_ephemeral(f"e.{chat_id}", data)

    def shown_to_self(self, user: User) -> User:
        """The user as they see themself (`view` of oneself, from a user read already)."""
        return self._shape(user.id, user, set())
