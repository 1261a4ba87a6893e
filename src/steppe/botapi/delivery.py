"""Getting updates to a bot: long polling (getUpdates) or webhooks, never both.

A poll waits on an event the feed sets when the bot's queue grows (the `bu.<bot>` bus topic).
A webhook has one sender task per bot that posts the queued updates one at a time, in order
(so in order per chat), retrying with back-off, and runs a method call found in a reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import msgspec

from steppe.botapi import params as P
from steppe.botapi.errors import BotApiError, bad, conflict
from steppe.botapi.render import Renderer
from steppe.domain import bots
from steppe.domain.bots import Bot
from steppe.domain.errors import RpcError

if TYPE_CHECKING:
    from steppe.botapi.server import BotApi

log = logging.getLogger(__name__)
_enc = msgspec.json.Encoder()
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
FORBIDDEN_IN_REPLY = ("setwebhook", "deletewebhook", "close", "logout")
MAX_BACKOFF = 60.0


@dataclass
class Poll:
    """A getUpdates waiting: `wake` ends its wait (new updates, another poll, the client gone)."""
    waiter: asyncio.Future[None] | None = None
    reason: str = ""

    def wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


class Delivery:
    def __init__(self, api: BotApi):
        self.api = api
        self.core = api.core
        self.accounts = api.suite.accounts
        self.store = api.suite.accounts.store
        self.polls: dict[int, Poll] = {}
        self.hooks: dict[int, asyncio.Task[None]] = {}
        self.hook_events: dict[int, asyncio.Event] = {}
        self.first_retry = 1.0
        api.suite.feed.listeners.append(self.wake)

    def wake(self, bot_id: int) -> None:
        poll = self.polls.get(bot_id)
        if poll is not None:
            poll.wake()
        hook = self.hook_events.get(bot_id)
        if hook is not None:
            hook.set()

    async def start(self) -> None:
        for bot in await self.store.with_webhooks():
            self._start_hook(bot.user_id)

    async def stop(self) -> None:
        for task in list(self.hooks.values()):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        self.hooks.clear()

    # ---- getUpdates --------------------------------------------------------------------------

    async def get_updates(self, bot: Bot, p: P.Params, gone: asyncio.Future[None]
                          ) -> list[dict[str, Any]]:
        """The bot's updates from `offset` on; with none, waits up to `timeout` seconds for some
        (or until `gone` is done: the client went away)."""
        if bot.webhook_url:
            raise conflict("can't use getUpdates method while webhook is active; use "
                           "deleteWebhook to delete the webhook first")
        await self._allowed(bot, p)
        offset = p.int("offset", default=0) or 0
        limit = max(1, min(100, p.int("limit", default=100) or 100))
        timeout = max(0, min(50, p.int("timeout", default=0) or 0))
        previous = self.polls.get(bot.user_id)
        if previous is not None:
            previous.reason = "terminated by other getUpdates request; make sure that only one " \
                              "bot instance is running"
            previous.wake()
        poll = self.polls[bot.user_id] = Poll()
        gone.add_done_callback(lambda _: poll.wake())
        loop = asyncio.get_running_loop()
        try:
            if offset < 0:
                await self.store.keep_last(bot.user_id, -offset)
                offset = 0
            elif offset > 0:
                await self.store.confirm(bot.user_id, offset)
            deadline = time.monotonic() + timeout
            while True:
                poll.waiter = loop.create_future()  # a wake from here on ends the wait below
                rows = await self.store.pending(bot.user_id, offset, limit, self.core.clock.now())
                left = deadline - time.monotonic()
                if rows or left <= 0 or gone.done() or poll.reason:
                    break
                timer = loop.call_later(left, poll.wake)
                try:
                    await poll.waiter
                finally:
                    timer.cancel()
            if poll.reason:
                raise conflict(poll.reason)
        finally:
            if self.polls.get(bot.user_id) is poll:
                del self.polls[bot.user_id]
        render = Renderer(self.core, bot.user_id)
        return [await render.update(r) for r in rows]

    async def _allowed(self, bot: Bot, p: P.Params) -> None:
        if not p.has("allowed_updates"):
            return
        try:
            value = p.json("allowed_updates")
        except BotApiError:
            return  # the official server ignores a list it cannot parse
        if isinstance(value, list):
            clean = bots.clean_allowed_updates([str(v) for v in value])
            if clean != (bot.allowed_updates or []):  # most pollers send the same list each time
                await self.accounts.update_bot(bot.user_id, {"allowed_updates": clean})

    # ---- webhooks ----------------------------------------------------------------------------

    async def set_webhook(self, bot: Bot, p: P.Params) -> bool:
        url = (p.str("url", default="") or "").strip()
        if not url:
            await self.delete_webhook(bot, p)
            return True
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad("bad webhook: invalid webhook URL specified")
        secret = p.str("secret_token", default="") or ""
        if secret and not _SECRET.fullmatch(secret):
            raise bad("secret token contains unallowed characters")
        max_conn = max(1, min(100, p.int("max_connections", default=40) or 40))
        await self._allowed(bot, p)
        if p.bool("drop_pending_updates"):
            await self.store.drop_updates(bot.user_id)
        await self.accounts.update_bot(bot.user_id, {"webhook_url": url, "webhook_secret": secret,
                                                     "webhook_max_connections": max_conn,
                                                     "webhook_error_date": 0, "webhook_error": ""})
        poll = self.polls.get(bot.user_id)
        if poll is not None:
            poll.reason = "terminated by setWebhook request"
            poll.wake()
        self._start_hook(bot.user_id)
        return True

    async def delete_webhook(self, bot: Bot, p: P.Params) -> bool:
        if p.bool("drop_pending_updates"):
            await self.store.drop_updates(bot.user_id)
        await self.accounts.update_bot(bot.user_id, {"webhook_url": "", "webhook_secret": "",
                                                     "webhook_error_date": 0, "webhook_error": ""})
        task = self.hooks.pop(bot.user_id, None)
        self.hook_events.pop(bot.user_id, None)
        if task is not None:
            task.cancel()
        return True

    async def webhook_info(self, bot: Bot) -> dict[str, Any]:
        fresh = await self.store.get(bot.user_id) or bot
        out: dict[str, Any] = {
            "url": fresh.webhook_url, "has_custom_certificate": False,
            "pending_update_count": await self.store.pending_count(bot.user_id,
                                                                   self.core.clock.now())}
        if fresh.webhook_url:
            out["max_connections"] = fresh.webhook_max_connections
            if fresh.allowed_updates:
                out["allowed_updates"] = fresh.allowed_updates
        if fresh.webhook_error_date:
            out["last_error_date"] = fresh.webhook_error_date
            out["last_error_message"] = fresh.webhook_error
        return out

    def _start_hook(self, bot_id: int) -> None:
        old = self.hooks.pop(bot_id, None)
        if old is not None:
            old.cancel()
        self.hook_events[bot_id] = asyncio.Event()
        self.hooks[bot_id] = asyncio.get_running_loop().create_task(self._hook(bot_id))

    async def _hook(self, bot_id: int) -> None:
        event = self.hook_events[bot_id]
        backoff = 0.0
        async with httpx.AsyncClient(timeout=10, follow_redirects=False) as client:
            while True:
                event.clear()
                bot = await self.store.get(bot_id)
                if bot is None or not bot.webhook_url:
                    return
                rows = await self.store.pending(bot_id, 0, 1, self.core.clock.now())
                if not rows:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(event.wait(), 30)
                    continue
                try:
                    ok, wait = await self._post(client, bot, rows[0])
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook delivery of bot %s failed", bot_id)
                    ok, wait = False, None
                if ok:
                    backoff = 0.0
                    continue
                backoff = min(MAX_BACKOFF, max(self.first_retry, backoff * 2))
                await asyncio.sleep(wait if wait is not None else backoff)

    async def _post(self, client: httpx.AsyncClient, bot: Bot, row: bots.PendingUpdate
                    ) -> tuple[bool, float | None]:
        update = await Renderer(self.core, bot.user_id).update(row)
        headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip, deflate"}
        if bot.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = bot.webhook_secret
        try:
            resp = await client.post(bot.webhook_url, content=_enc.encode(update), headers=headers)
        except httpx.TimeoutException:
            await self._failed(bot, "Read timeout expired")
            return False, None
        except httpx.HTTPError as exc:
            await self._failed(bot, _network_error(exc))
            return False, None
        if not 200 <= resp.status_code < 300:
            await self._failed(bot, f"Wrong response from the webhook: {resp.status_code} "
                                    f"{resp.reason_phrase}")
            retry = resp.headers.get("retry-after", "")
            return False, min(3600.0, float(retry)) if retry.isdigit() else None
        await self.store.confirm(bot.user_id, row.update_id + 1)
        await self._reply_call(bot, resp)
        return True, None

    async def _failed(self, bot: Bot, message: str) -> None:
        await self.accounts.update_bot(bot.user_id, {"webhook_error_date": self.core.clock.now(),
                                                     "webhook_error": message})

    async def _reply_call(self, bot: Bot, resp: httpx.Response) -> None:
        """A 2xx reply may carry a method call; run it and forget the result."""
        if not resp.content.strip():
            return
        try:
            p = P.parse(b"", resp.headers.get("content-type", ""), "", resp.content)
        except BotApiError:
            return
        method = (p.str("method") or "").strip()
        if not method or method.lower().startswith("get") or method.lower() in FORBIDDEN_IN_REPLY:
            return
        try:
            await self.api.call(bot.user_id, method, p)
        except (BotApiError, RpcError) as err:
            log.info("method %s in a webhook reply of bot %s failed: %s", method, bot.user_id, err)


def _network_error(exc: Exception) -> str:
    text = str(exc).lower()
    if "refused" in text or "connect" in text:
        return "Connection refused"
    return "Connection error"


Caller = Callable[[int, str, P.Params], Awaitable[Any]]
