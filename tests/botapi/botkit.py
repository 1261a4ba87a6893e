"""Helpers for the bot tests: create bots, and talk to them as a user would."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from steppe.client import ApiError, Device, Http


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


async def polling(server: Any, bot_id: int) -> None:
    """Wait until the bot's getUpdates is waiting on the server."""
    await wait_for(lambda: bot_id in server.app.botapi.delivery.polls)


def settled(server: Any) -> None:
    """Wait until the bot feed has turned every committed event into updates."""
    server.run(server.app.services.bots.feed.settled())


def new_bot(server: Any, username: str, owner: int = 0, name: str = "") -> tuple[int, str]:
    """Create a bot straight through the service; returns (id, token)."""
    user, token = server.run(server.app.services.bots.accounts.create(owner, username,
                                                                      name or username))
    return user.id, token


async def updates_when(server: Any, token: str, count: int, timeout: float = 10.0,
                       until: Callable[[list[dict[str, Any]]], bool] | None = None,
                       **params: Any) -> dict[str, Any]:
    """getUpdates (without confirming anything) until it holds at least `count` updates (and,
    with `until`, until that holds of them)."""

    async def poll() -> dict[str, Any]:
        while True:
            _, body = await bot_call(server, token, "getUpdates", **params)
            got = body.get("result", [])
            if len(got) >= count and (until is None or until(got)):
                return body
            await asyncio.sleep(0.02)

    return await asyncio.wait_for(poll(), timeout)


async def bot_call(server: Any, token: str, method: str, http_method: str = "POST",
                   **params: Any) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=60) as client:
        if http_method == "GET":
            resp = await client.get(f"{server.url}/bot{token}/{method}", params=params)
        else:
            resp = await client.post(f"{server.url}/bot{token}/{method}", data=params)
    return resp.status_code, resp.json()


ADMIN_RIGHTS = {"change_info": True, "delete_messages": True, "ban_users": True,
                "invite_users": True, "pin_messages": True, "add_admins": False}


async def supergroup(owner: Person, title: str, members: list[int], admin_bot: int | None = None,
                     broadcast: bool = False, **rights: bool) -> dict[str, Any]:
    """A supergroup (or, with `broadcast`, a channel) of `owner` with `members` in it and a bot
    made its admin through the client API, as a user would do it."""
    chat = await owner.call("channels.createChannel", title=title, megagroup=not broadcast,
                            broadcast=broadcast)
    peer = {"chat_id": chat["id"]}
    if members:
        await owner.call("channels.inviteToChannel", peer=peer, user_ids=members)
    if admin_bot is not None:
        given = {**ADMIN_RIGHTS, **({"post_messages": True, "edit_messages": True}
                                    if broadcast else {}), **rights}
        await owner.call("channels.editAdmin", peer=peer, user_id=admin_bot, admin_rights=given)
    return chat  # type: ignore[no-any-return]


def api_id(chat: dict[str, Any]) -> int:
    """A supergroup's or channel's id as bots see it."""
    return -(1_000_000_000_000 + int(chat["id"]))


async def outcome(coro: Any) -> str:
    """'ok', or the client API error's type."""
    try:
        await coro
    except ApiError as err:
        return err.type
    return "ok"


async def upload_file(person: Person, data: bytes, name: str, mime: str = "") -> str:
    """Upload `data` (one part) through the client API; its file id."""
    started = await person.call("upload.start", size=len(data), name=name, mime_type=mime)
    async with httpx.AsyncClient(timeout=30) as client:
        resp = await client.post(f"{person.server.url}/api/upload/{started['upload_id']}/0",
                                 content=data, headers={"authorization": f"Bearer {person.token}"})
        assert resp.status_code == 200, resp.text
    return str((await person.call("upload.finish", upload_id=started["upload_id"]))["file_id"])
