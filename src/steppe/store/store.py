"""The store: every read and every atomic write Steppe makes, as operations over a `Database`.

A write that changes a chat takes the chat's next `pts` and appends the encoded event to the
chat's log in the same transaction; account events take the user's next `seq`. Each write
returns what it emitted, for the service to publish after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from steppe.domain import updates as up
from steppe.domain.errors import bad_request
from steppe.domain.models import (
    Account,
    Authorization,
    LoginCode,
    User,
)
from steppe.store import rows
from steppe.store.db import Database, Db, IntegrityError
from steppe.store.rows import (
    ACCOUNT_COLUMNS,
    AUTH_COLUMNS,
    USER_COLUMNS,
)


class Emitted(NamedTuple):
    """An event a write produced: `kind` is chat | user | join | leave; `data` the encoded event."""

    kind: str
    target: int
    data: str
    chat_id: int = 0


Out = list[Emitted]


_NEXT_PTS = ("UPDATE chats SET pts = pts + 1, top_msg_id = top_msg_id + $2,"
             " last_date = CASE WHEN $2 = 1 THEN $3 ELSE last_date END WHERE id = $1")
_TAKEN = " RETURNING pts, top_msg_id"
# The same, only while the chat is a private chat or a basic group and user $4 is its member:
# the check and the new pts in one statement, inside the write's transaction.
_NEXT_PTS_AS_MEMBER = (_NEXT_PTS + " AND kind IN ('private', 'group')"
                       " AND EXISTS (SELECT 1 FROM members WHERE chat_id = $1 AND user_id = $4)"
                       + _TAKEN)
_NEXT_PTS += _TAKEN


async def _next_pts(db: Db, chat_id: int, now: int, new_msg: bool, member: int | None = None
                    ) -> tuple[int, int] | None:
    """Take the chat's next pts (and with `new_msg` its next message id); with `member`, only
    if the chat is a basic one (private or group) that user is in now, else None."""
    if member is None:
        row = await db.fetchrow(_NEXT_PTS, chat_id, 1 if new_msg else 0, now)
    else:
        row = await db.fetchrow(_NEXT_PTS_AS_MEMBER, chat_id, 1 if new_msg else 0, now, member)
    return None if row is None else (row[0], row[1])


async def _log_chat_event(db: Db, chat_id: int, pts: int, event: up.ChatEvent) -> Emitted:
    data = up.encode(event).decode()
    await db.execute("INSERT INTO chat_events (chat_id, pts, payload) VALUES ($1, $2, $3)",
                     chat_id, pts, data)
    return Emitted("chat", chat_id, data)


async def _chat_event(
    db: Db, chat_id: int, now: int, make: Callable[..., up.ChatEvent], *, new_msg: bool = False
) -> tuple[Emitted, int]:
    """Take the chat's next pts (and message id), log the event; returns it and the message id."""
    taken = await _next_pts(db, chat_id, now, new_msg)
    assert taken is not None, f"no chat {chat_id}"
    pts, msg_id = taken
    event = make(pts, msg_id) if new_msg else make(pts)  # type: ignore[call-arg]
    return await _log_chat_event(db, chat_id, pts, event), msg_id


async def _user_event(db: Db, user_id: int, make: Callable[[int], up.UserEvent]) -> Emitted:
    seq = await db.fetchval("UPDATE users SET seq = seq + 1 WHERE id = $1 RETURNING seq", user_id)
    data = up.encode(make(seq)).decode()
    await db.execute("INSERT INTO user_events (user_id, seq, payload) VALUES ($1, $2, $3)",
                     user_id, seq, data)
    return Emitted("user", user_id, data)


class Store:
    def __init__(self, database: Database):
        self.database = database

    async def open(self) -> None:
        await self.database.open()

    async def close(self) -> None:
        await self.database.close()

    # ---- accounts --------------------------------------------------------------------------

    async def create_user(
        self, phone: str | None, country: str, first_name: str, last_name: str, now: int,
        *, is_bot: bool = False, username: str | None = None,
    ) -> User:
        async def op(db: Db) -> User:
            try:
                row = await db.fetchrow(
                    "INSERT INTO users (phone, country, first_name, last_name, username,"
                    " username_lc, is_bot, created, last_seen) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8)"
                    f" RETURNING {USER_COLUMNS}",
                    phone, country, first_name, last_name, username,
                    username.lower() if username else None, int(is_bot), now,
                )
            except IntegrityError as exc:
                if exc.on("phone"):
                    raise bad_request("PHONE_NUMBER_OCCUPIED") from exc
                if exc.on("username"):
                    raise bad_request("USERNAME_OCCUPIED") from exc
                raise  # any other rule (an id taken): a fault of ours, not the user's input
            return rows.user(row)

        return await self.database.write(op)

    async def get_account(self, user_id: int) -> Account | None:
        async def op(db: Db) -> Account | None:
            row = await db.fetchrow(f"SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1", user_id)
            return rows.account(row) if row else None

        return await self.database.read(op)

    async def get_users(self, ids: list[int]) -> dict[int, User]:
        async def op(db: Db) -> dict[int, User]:
            out: dict[int, User] = {}
            for user_id in dict.fromkeys(ids):
                row = await db.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1", user_id)
                if row:
                    out[user_id] = rows.user(row)
            return out

        return await self.database.read(op)

    async def user_by_phone(self, phone: str) -> User | None:
        async def op(db: Db) -> User | None:
            row = await db.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE phone = $1", phone)
            return rows.user(row) if row else None

        return await self.database.read(op)

    async def user_by_username(self, username: str) -> User | None:
        async def op(db: Db) -> User | None:
            row = await db.fetchrow(
                f"SELECT {USER_COLUMNS} FROM users WHERE username_lc = $1", username.lower()
            )
            return rows.user(row) if row else None

        return await self.database.read(op)

    async def search_users(self, prefix: str, limit: int) -> list[User]:
        low = prefix.lower()

        async def op(db: Db) -> list[User]:
            found = await db.fetch(
                f"SELECT {USER_COLUMNS} FROM users WHERE username_lc >= $1 AND username_lc < $2"
                " ORDER BY username_lc LIMIT $3",
                low, low + "\uffff", limit,
            )
            return [rows.user(r) for r in found]

        return await self.database.read(op)

    async def update_profile(self, user_id: int, changes: dict[str, Any], now: int
                             ) -> tuple[User, Out]:
        allowed = {"first_name", "last_name", "bio", "username"}
        assert set(changes) <= allowed

        async def op(db: Db) -> tuple[User, Out]:
            values = dict(changes)
            if "username" in values:
                values["username_lc"] = values["username"].lower() if values["username"] else None
            sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(values))
            try:
                row = await db.fetchrow(
                    f"UPDATE users SET {sets} WHERE id = $1 RETURNING {USER_COLUMNS}",
                    user_id, *values.values(),
                )
            except IntegrityError as exc:
                if exc.on("username"):
                    raise bad_request("USERNAME_OCCUPIED") from exc
                raise
            user = rows.user(row)
            me = rows.user(row)
            me.is_self = True
            ev = await _user_event(db, user_id, lambda s: up.ProfileChanged(s, now, me))
            return user, [ev]

        return await self.database.write(op)

    async def set_password(self, user_id: int, password_hash: str | None, hint: str, now: int
                           ) -> Out:
        async def op(db: Db) -> Out:
            await db.execute("UPDATE users SET password_hash = $2, password_hint = $3 WHERE id = $1",
                             user_id, password_hash, hint)
            ev = await _user_event(
                db, user_id, lambda s: up.PasswordChanged(s, now, password_hash is not None)
            )
            return [ev]

        return await self.database.write(op)

    async def set_last_seen(self, user_id: int, when: int) -> None:
        async def op(db: Db) -> None:
            await db.execute("UPDATE users SET last_seen = $2 WHERE id = $1", user_id, when)

        await self.database.write(op)

    # ---- login codes and authorizations ------------------------------------------------------

    async def secret(self, name: str, fresh: str) -> str:
        """The server secret `name`; the first node to ask stores `fresh` as its value."""

        async def op(db: Db) -> str:
            await db.execute("INSERT INTO secrets (name, value) VALUES ($1, $2)"
                             " ON CONFLICT (name) DO NOTHING", name, fresh)
            return await db.fetchval("SELECT value FROM secrets WHERE name = $1", name)  # type: ignore[no-any-return]

        return await self.database.write(op)

    async def put_login(self, login: LoginCode) -> None:
        async def op(db: Db) -> None:
            await db.execute(
                "INSERT INTO login_codes (hash_id, phone, code_hash, expires, attempts, state)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                login.hash_id, login.phone, login.code_hash, login.expires, login.attempts,
                login.state,
            )

        await self.database.write(op)

    async def get_login(self, hash_id: str) -> LoginCode | None:
        async def op(db: Db) -> LoginCode | None:
            row = await db.fetchrow(
                "SELECT hash_id, phone, code_hash, expires, attempts, state FROM login_codes"
                " WHERE hash_id = $1", hash_id)
            return rows.login_code(row) if row else None

        return await self.database.read(op)

    async def latest_login(self, phone: str) -> LoginCode | None:
        async def op(db: Db) -> LoginCode | None:
            row = await db.fetchrow(
                "SELECT hash_id, phone, code_hash, expires, attempts, state FROM login_codes"
                " WHERE phone = $1 AND state = 'sent' ORDER BY expires DESC LIMIT 1", phone)
            return rows.login_code(row) if row else None

        return await self.database.read(op)

    async def update_login(self, hash_id: str, expect: str, *, attempts: int, state: str,
                           code_hash: str | None = None, expires: int | None = None) -> bool:
        """Moves a login from state `expect` on; False when another request moved it first."""

        async def op(db: Db) -> bool:
            n = await db.execute(
                "UPDATE login_codes SET attempts = $2, state = $3,"
                " code_hash = COALESCE($4, code_hash), expires = COALESCE($5, expires)"
                " WHERE hash_id = $1 AND state = $6",
                hash_id, attempts, state, code_hash, expires, expect)
            return n == 1

        return await self.database.write(op)

    async def purge_logins(self, before: int) -> None:
        async def op(db: Db) -> None:
            await db.execute("DELETE FROM login_codes WHERE expires < $1", before)

        await self.database.write(op)

    async def create_authorization(
        self, user_id: int, token_hash: str, device: str, app: str, ip: str, now: int
    ) -> tuple[Authorization, Out]:
        async def op(db: Db) -> tuple[Authorization, Out]:
            row = await db.fetchrow(
                "INSERT INTO authorizations (user_id, token_hash, device, app, ip, created,"
                f" last_active) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {AUTH_COLUMNS}",
                user_id, token_hash, device, app, ip, now)
            auth = rows.authorization(row)
            ev = await _user_event(db, user_id, lambda s: up.NewAuthorization(s, now, auth))
            return auth, [ev]

        return await self.database.write(op)

    async def authorization_by_token(self, token_hash: str) -> Authorization | None:
        async def op(db: Db) -> Authorization | None:
            row = await db.fetchrow(
                f"SELECT {AUTH_COLUMNS} FROM authorizations WHERE token_hash = $1", token_hash)
            return rows.authorization(row) if row else None

        return await self.database.read(op)

    async def list_authorizations(self, user_id: int) -> list[Authorization]:
        async def op(db: Db) -> list[Authorization]:
            found = await db.fetch(
                f"SELECT {AUTH_COLUMNS} FROM authorizations WHERE user_id = $1 ORDER BY id",
                user_id)
            return [rows.authorization(r) for r in found]

        return await self.database.read(op)

    async def delete_authorizations(self, user_id: int, ids: list[int]) -> list[int]:
        async def op(db: Db) -> list[int]:
            gone = []
            for auth_id in ids:
                n = await db.execute(
                    "DELETE FROM authorizations WHERE id = $1 AND user_id = $2", auth_id, user_id)
                if n:
                    gone.append(auth_id)
            return gone

        return await self.database.write(op)

    async def touch_authorizations(self, seen: dict[int, int]) -> None:
        async def op(db: Db) -> None:
            await db.executemany("UPDATE authorizations SET last_active = $2 WHERE id = $1",
                                 list(seen.items()))

        await self.database.write(op)

    # ---- contacts ----------------------------------------------------------------------------

    async def add_contacts(self, owner_id: int, people: list[tuple[User, str, str]], now: int
                           ) -> Out:
        async def op(db: Db) -> Out:
            for person, first, last in people:
                await db.execute(
                    "INSERT INTO contacts (owner_id, user_id, first_name, last_name)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT (owner_id, user_id) DO UPDATE"
                    " SET first_name = $3, last_name = $4",
                    owner_id, person.id, first, last)
            added = [p for p, _, _ in people]
            return [await _user_event(db, owner_id, lambda s: up.ContactsChanged(s, now, added))]

        return await self.database.write(op)

    async def delete_contacts(self, owner_id: int, ids: list[int], now: int) -> Out:
        async def op(db: Db) -> Out:
            gone = []
            for user_id in ids:
                if await db.execute("DELETE FROM contacts WHERE owner_id = $1 AND user_id = $2",
                                    owner_id, user_id):
                    gone.append(user_id)
            if not gone:
                return []
            return [await _user_event(db, owner_id,
                                      lambda s: up.ContactsChanged(s, now, removed=gone))]

        return await self.database.write(op)

    async def contacts(self, owner_id: int) -> list[User]:
        async def op(db: Db) -> list[User]:
            cols = ", ".join("u." + c.strip() for c in USER_COLUMNS.split(","))
            found = await db.fetch(
                f"SELECT {cols} FROM contacts c JOIN users u ON u.id = c.user_id"
                " WHERE c.owner_id = $1 ORDER BY u.first_name, u.id", owner_id)
            return [rows.user(r) for r in found]

        return await self.database.read(op)

    async def contact_ids(self, owner_id: int) -> set[int]:
        async def op(db: Db) -> set[int]:
            found = await db.fetch("SELECT user_id FROM contacts WHERE owner_id = $1", owner_id)
            return {r[0] for r in found}

        return await self.database.read(op)
