"""Shared helpers for the API tests: polling, raw calls, error checks, and a client-side model
that applies events (the replay check: stale state + events == freshly fetched state)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import msgspec
import pytest

from steppe.client import ApiError, Device, Http


async def wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll `cond` until it holds; fails the test after `timeout` seconds."""

    async def poll() -> None:
        while not cond():
            await asyncio.sleep(0.003)

    await asyncio.wait_for(poll(), timeout)


async def raises(coro: Awaitable[Any], type_: str, code: int = 400) -> ApiError:
    """Await `coro`, expecting an error of this type and code."""
    with pytest.raises(ApiError) as info:
        await coro
    assert (info.value.type, info.value.code) == (type_, code), info.value
    return info.value


async def raw_post(url: str, method: str, body: bytes | str, token: str | None = None,
                   **kw: Any) -> tuple[int, dict[str, Any]]:
    """POST a raw body; returns the status and the decoded JSON body."""
    headers = {"content-type": "application/json", **kw.pop("headers", {})}
    if token:
        headers["authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(timeout=30) as client:
        resp = await client.post(f"{url}/api/{method}", content=body, headers=headers, **kw)
    return resp.status_code, msgspec.json.decode(resp.content)


def client(pool: list[Http], server: Any, token: str | None = None) -> Http:
    """An Http client that the `http_pool` fixture closes after the test."""
    api: Http = server.http(token)
    pool.append(api)
    return api


def events_of(dev: Device, kind: str, start: int = 0) -> list[dict[str, Any]]:
    return [e for e in dev.events[start:] if e.get("type") == kind]  # type: ignore[attr-defined]


async def in_step(dev: Device, http: Http) -> None:
    """Wait until `dev` has applied everything its account and chats have."""
    state = await http.call("updates.getState")
    want = {int(k): v for k, v in state["chats"].items()}
    await wait_for(lambda: dev.connected.is_set() and dev.seq == state["seq"] and dev.pts == want)


def make_users(server: Any, n: int, prefix: str = "Bulk") -> list[int]:
    """Create `n` accounts straight in the store (fast), returning their ids."""
    store = server.app.core.store
    start = len(server.phones) + 1000

    async def create() -> list[int]:
        ids = []
        for i in range(n):
            phone = f"+7702{start + i:07d}"
            user = await store.create_user(phone, "KZ", f"{prefix}{i}", "", 1_800_000_000)
            ids.append(user.id)
        return ids

    ids: list[int] = server.run(create())
    server.phones.extend(["bulk"] * n)
    return ids


# ---- the replay model -------------------------------------------------------------------------

def _msg(m: dict[str, Any]) -> tuple[Any, ...]:
    action = m.get("action")
    fwd = m.get("fwd_from") or {}
    return (m["sender_id"], m.get("text", ""), m.get("edit_date"), m.get("pinned", False),
            m.get("reply_to"), action["type"] if action else None,
            tuple((e["type"], e["offset"], e["length"]) for e in m.get("entities", [])),
            (fwd.get("from_user_id"), fwd.get("from_chat_id"), fwd.get("from_msg_id")))


async def _all_dialogs(http: Http) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = await http.call("messages.getDialogs", **params)
        out += page["dialogs"]
        if not page.get("next_offset"):
            return out
        params = {"limit": 100, **page["next_offset"]}


async def _all_history(http: Http, chat_id: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = (await http.call("messages.getHistory", peer={"chat_id": chat_id},
                                offset_id=offset, limit=100))["messages"]
        out += page
        if len(page) < 100:
            return out
        offset = page[-1]["id"]


async def fetch_chat(http: Http, chat_id: int) -> dict[str, Any]:
    got = await http.call("messages.getChat", peer={"chat_id": chat_id})
    d = got["dialog"]
    return {
        "kind": d["chat"]["kind"], "title": d["chat"].get("title", ""),
        "member_count": d["chat"].get("member_count", 0),
        "members": sorted(m["user_id"] for m in got["members"]),
        "messages": {m["id"]: _msg(m) for m in await _all_history(http, chat_id)},
        "read_inbox": d.get("read_inbox_max_id", 0), "read_outbox": d.get("read_outbox_max_id", 0),
        "pinned": d.get("pinned", False), "unread": d.get("unread_count", 0),
        "top": (d.get("top_message") or {}).get("id", 0),
    }


async def fetch_state(http: Http, me_id: int) -> dict[str, Any]:
    """The account as a fresh client would load it."""
    auths = await http.call("account.getAuthorizations")
    me = (await http.call("users.getUsers", ids=[me_id]))[0]
    chats = {d["chat"]["id"]: await fetch_chat(http, d["chat"]["id"])
             for d in await _all_dialogs(http)}
    return {
        "me": me_id,
        "profile": {k: me.get(k) for k in ("first_name", "last_name", "bio", "username")},
        "contacts": sorted(u["id"] for u in await http.call("contacts.getContacts")),
        "has_password": (await http.call("account.getPassword"))["has_password"],
        "authorizations": sorted(a["id"] for a in auths),
        "chats": chats,
    }


class Model:
    """What a client keeps, updated only from events (plus a reload for `too_long`)."""

    def __init__(self, state: dict[str, Any]):
        self.state = state
        self.reload: set[int] = set()
        # Deleted for me: the difference hands account events before chat events, so an edit
        # of a message may come after its hiding; a client keeps hidden ids hidden.
        self.hidden: set[tuple[int, int]] = set()

    @property
    def me(self) -> int:
        return int(self.state["me"])

    def apply(self, ev: dict[str, Any]) -> None:
        kind = ev.get("type")
        handler = getattr(self, "_" + str(kind), None)
        if handler is not None:
            handler(ev)

    def _chat(self, ev: dict[str, Any]) -> dict[str, Any]:
        return self.state["chats"][ev["chat_id"]]  # type: ignore[no-any-return]

    def _new_message(self, ev: dict[str, Any]) -> None:
        m = ev["message"]
        chat = self._chat(ev)
        if (ev["chat_id"], m["id"]) not in self.hidden:
            chat["messages"][m["id"]] = _msg(m)
        action = m.get("action")
        if not action:
            return
        ids = action.get("user_ids", [])
        if action["type"] == "chat_create":
            chat["members"], chat["title"], chat["member_count"] = sorted(ids), action["title"], len(ids)
        elif action["type"] == "chat_add_user":
            chat["member_count"] += len(ids)
            if chat["members"] is not None:
                chat["members"] = sorted(set(chat["members"]) | set(ids))
        elif action["type"] == "chat_delete_user":
            chat["member_count"] -= len(ids)
            if chat["members"] is not None:
                chat["members"] = sorted(set(chat["members"]) - set(ids))
        elif action["type"] == "chat_edit_title":
            chat["title"] = action["title"]

    def _edit_message(self, ev: dict[str, Any]) -> None:
        m = ev["message"]
        if (ev["chat_id"], m["id"]) not in self.hidden:
            self._chat(ev)["messages"][m["id"]] = _msg(m)

    def _delete_messages(self, ev: dict[str, Any]) -> None:
        for i in ev["ids"]:
            self._chat(ev)["messages"].pop(i, None)

    def _delete_for_me(self, ev: dict[str, Any]) -> None:
        self.hidden |= {(ev["chat_id"], i) for i in ev["ids"]}
        self._delete_messages(ev)

    def _pin_message(self, ev: dict[str, Any]) -> None:
        msgs = self._chat(ev)["messages"]
        if ev["id"] in msgs:
            m = list(msgs[ev["id"]])
            m[3] = ev["pinned"]
            msgs[ev["id"]] = tuple(m)

    def _read_history(self, ev: dict[str, Any]) -> None:
        chat = self._chat(ev)
        if ev["user_id"] == self.me:
            chat["read_inbox"] = ev["max_id"]
        else:
            chat["read_outbox"] = max(chat["read_outbox"], ev["max_id"])

    def _join_chat(self, ev: dict[str, Any]) -> None:
        c = ev["chat"]
        private = c["kind"] == "private"
        if ev["pts"] > 0:
            # Let into a chat that has a past: a client loads it, as for `too_long`.
            self.reload.add(c["id"])
        self.state["chats"][c["id"]] = {
            "kind": c["kind"], "title": c.get("title", ""), "member_count": c.get("member_count", 0),
            # A private chat's members are in the chat; a group's come with its service messages.
            "members": sorted(c["user_ids"]) if private else None,
            "messages": {}, "read_inbox": 0, "read_outbox": 0, "pinned": False,
            "unread": 0, "top": 0,
        }

    def _leave_chat(self, ev: dict[str, Any]) -> None:
        self.state["chats"].pop(ev["chat_id"], None)

    def _profile(self, ev: dict[str, Any]) -> None:
        self.state["profile"] = {k: ev["user"].get(k) for k in self.state["profile"]}

    def _contacts(self, ev: dict[str, Any]) -> None:
        have = set(self.state["contacts"]) | {u["id"] for u in ev.get("added", [])}
        self.state["contacts"] = sorted(have - set(ev.get("removed", [])))

    def _password(self, ev: dict[str, Any]) -> None:
        self.state["has_password"] = ev["has_password"]

    def _dialog_pin(self, ev: dict[str, Any]) -> None:
        self._chat(ev)["pinned"] = ev["pinned"]

    def _new_authorization(self, ev: dict[str, Any]) -> None:
        self.state["authorizations"] = sorted({*self.state["authorizations"],
                                               ev["authorization"]["id"]})

    def _too_long(self, ev: dict[str, Any]) -> None:
        self.reload.add(ev["chat_id"])

    async def settle(self, http: Http) -> dict[str, Any]:
        """Reload the chats a client is told to (too long, or joined with a past), and derive
        the dialog's unread count and top message from the messages."""
        for chat_id in self.reload:
            if chat_id in self.state["chats"]:
                self.state["chats"][chat_id] = await fetch_chat(http, chat_id)
        self.reload.clear()
        for chat in self.state["chats"].values():
            chat["unread"] = sum(1 for i, m in chat["messages"].items()
                                 if i > chat["read_inbox"] and m[0] != self.me)
            chat["top"] = max(chat["messages"], default=0)
        return self.state

