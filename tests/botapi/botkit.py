"""Helpers for the bot tests: create bots, and talk to them as a user would."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from steppe.client import Device, Http


async def wait_for(cond: Callable[[], Any], timeout: float = 10.0) -> Any:
    async def poll() -> Any:
        while True:
            got = cond()
            if got:
                return got
            await asyncio.sleep(0.01)

    return await asyncio.wait_for(poll(), timeout)


class Person:
    """A signed-in user with a live device: sends through the client API and sees what arrives."""

    def __init__(self, server: Any, signed: dict[str, Any], device: Device):
        self.server = server
        self.id: int = signed["user"]["id"]
        self.token: str = signed["token"]
        self.device = device
        self.http = Http(server.url, self.token)

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.device.events  # type: ignore[attr-defined, no-any-return]

    async def call(self, method: str, **params: Any) -> Any:
        return await self.http.call(method, **params)

    async def say(self, peer: dict[str, int], text: str, **kw: Any) -> dict[str, Any]:
        return await self.call("messages.sendMessage", peer=peer, text=text, **kw)  # type: ignore[no-any-return]

    def messages_from(self, sender: int, chat_id: int | None = None) -> list[dict[str, Any]]:
        return [e["message"] for e in self.events
                if e.get("type") == "new_message" and e["message"]["sender_id"] == sender
                and (chat_id is None or e["chat_id"] == chat_id)]

    def edits_from(self, sender: int) -> list[dict[str, Any]]:
        return [e["message"] for e in self.events
                if e.get("type") == "edit_message" and e["message"]["sender_id"] == sender]

    async def reply_from(self, sender: int, count: int = 1, timeout: float = 10.0,
                         chat_id: int | None = None) -> list[dict[str, Any]]:
        await wait_for(lambda: len(self.messages_from(sender, chat_id)) >= count, timeout)
        return self.messages_from(sender, chat_id)

    async def close(self) -> None:
        await self.device.close()
        await self.http.close()


def new_bot(server: Any, username: str, owner: int = 0, name: str = "") -> tuple[int, str]:
    """Create a bot straight through the service; returns (id, token)."""
    user, token = server.run(server.app.services.bots.accounts.create(owner, username,
                                                                      name or username))
    return user.id, token


async def bot_call(server: Any, token: str, method: str, http_method: str = "POST",
                   **params: Any) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=60) as client:
        if http_method == "GET":
            resp = await client.get(f"{server.url}/bot{token}/{method}", params=params)
        else:
            resp = await client.post(f"{server.url}/bot{token}/{method}", data=params)
    return resp.status_code, resp.json()
