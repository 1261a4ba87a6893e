"""Shared helpers for the supergroup and channel tests: actors that call the API, bots made
through the store, error checks, polling."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from steppe.client import ApiError, Http
from steppe.services.auth import token_hash

NOW = 1_800_000_000


@dataclass
class Actor:
    id: int
    token: str
    http: Http
    name: str = ""

    async def __call__(self, method: str, **params: Any) -> Any:
        return await self.http.call(method, **params)


class Cast:
    """Users (and bots) of one test, closed together."""

    def __init__(self, server: Any):
        self.server = server
        self.actors: list[Actor] = []

    async def user(self, name: str) -> Actor:
        got = await self.server.user(name)
        actor = Actor(got["user"]["id"], got["token"], self.server.http(got["token"]), name)
        self.actors.append(actor)
        return actor

    async def bot(self, name: str) -> Actor:
        """A bot account made through the store, with a client token of its own."""
        core = self.server.app.core
        token = secrets.token_urlsafe(32)

        async def make() -> int:
            user = await core.store.create_user(None, "", name, "", core.clock.now(), is_bot=True,
                                                username=f"{name.lower()}_bot")
            await core.store.create_authorization(user.id, token_hash(token), "test", "test",
                                                  "127.0.0.1", core.clock.now())
            return int(user.id)

        actor = Actor(self.server.run(make()), token, self.server.http(token), name)
        self.actors.append(actor)
        return actor

    async def close(self) -> None:
        for actor in self.actors:
            await actor.http.close()


async def fails(coro: Awaitable[Any], type_: str, code: int | None = None) -> ApiError:
    with pytest.raises(ApiError) as info:
        await coro
    assert info.value.type == type_, info.value
    if code is not None:
        assert info.value.code == code, info.value
    return info.value


async def outcome(coro: Awaitable[Any]) -> str:
    """'ok', or the error's type."""
    try:
        await coro
    except ApiError as err:
        return err.type
    return "ok"


async def wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not cond():
            await asyncio.sleep(0.003)

    await asyncio.wait_for(poll(), timeout)


def peer(chat_id: int) -> dict[str, int]:
    return {"chat_id": chat_id}


ALL_ADMIN = {"change_info": True, "post_messages": True, "edit_messages": True,
             "delete_messages": True, "ban_users": True, "invite_users": True,
             "pin_messages": True, "add_admins": True, "manage_topics": True}
RESTRICT_ALL = {"send_messages": True, "send_media": True, "send_links": True, "send_polls": True,
                "invite_users": True, "pin_messages": True, "change_info": True,
                "manage_topics": True}
BAN = {"view_messages": True}
