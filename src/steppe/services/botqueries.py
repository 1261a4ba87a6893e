"""Questions a user's client asks a bot and waits for: pressing an inline button (callback
query → answerCallbackQuery) and inline mode (`@bot query` → answerInlineQuery, then sending a
chosen result). The answer travels on the bus, so the bot may answer through any node."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import msgspec

from steppe.domain import bots, markup, parse_mode
from steppe.domain.entities import Entity
from steppe.domain.errors import RpcError, bad_request
from steppe.domain.markup import Contact, Location, ReplyMarkup, Venue
from steppe.domain.models import Message
from steppe.services.botfeed import BotFeed
from steppe.services.bots import BotService
from steppe.services.chats import ChatService, Peer
from steppe.services.core import Core

INLINE_CACHE_SECONDS = 300
MAX_INLINE_RESULTS = 50
_enc = msgspec.json.Encoder()
_dec = msgspec.json.Decoder()


class BotQueries:
    def __init__(self, core: Core, bots_: BotService, feed: BotFeed, chats: ChatService):
        self.core = core
        self.bots = bots_
        self.feed = feed
        self.chats = chats
        self.timeout = 10.0
        self.waiting: dict[int, tuple[int, str, asyncio.Future[dict[str, Any]]]] = {}
        self.inline: dict[int, tuple[int, float, str, dict[str, Any]]] = {}
        core.bus.subscribe(self.on_bus)

    def on_bus(self, topic: str, data: bytes) -> None:
        kind, _, ident = topic.partition(".")
        if kind != "ba":
            return
        qid = int(ident)
        answer = _dec.decode(data)
        waiting = self.waiting.get(qid)
        if waiting is not None and not waiting[2].done():
            waiting[2].set_result(answer)

    async def _ask(self, bot_id: int, kind: str, chat_id: int, payload: dict[str, Any]
                   ) -> tuple[int, dict[str, Any]]:
        qid = secrets.randbits(62)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[qid] = (bot_id, kind, fut)
        try:
            await self.feed.push(bot_id, kind, chat_id, {**payload, "id": str(qid)},
                                 ttl=int(self.timeout) + 5)
            return qid, await asyncio.wait_for(fut, self.timeout)
        except TimeoutError:
            raise bad_request("BOT_RESPONSE_TIMEOUT", "the bot did not answer in time") from None
        finally:
            self.waiting.pop(qid, None)

    def answer(self, bot_id: int, kind: str, query_id: str, answer: dict[str, Any]) -> None:
        """A bot's answer; refused when the query is unknown, someone else's or timed out."""
        qid = int(query_id) if query_id.isdigit() else -1
        waiting = self.waiting.get(qid)
        if waiting is None or waiting[0] != bot_id or waiting[1] != kind or waiting[2].done():
            raise bad_request("QUERY_ID_INVALID", "query is too old and response timeout expired "
                                                  "or query ID is invalid")
        self.core.publish_ephemeral(f"ba.{qid}", _enc.encode(answer))

    # ---- callback queries --------------------------------------------------------------------

    async def press(self, user_id: int, peer: Peer, msg_id: int, data: str) -> dict[str, Any]:
        """The user pressed an inline button with callback `data` under a message."""
        chat, _ = await self.chats.access(user_id, peer)
        msg = await self.bots.message(chat, msg_id)
        bot_id = msg.via_bot_id or msg.sender_id
        bot = await self.bots.get(bot_id)
        if bot is None or markup.callback_button(msg.reply_markup, data) is None:
            raise bad_request("DATA_INVALID", "no such button under this message")
        _, bot_member = await self.core.chats.chat_and_member(chat.id, bot_id)
        payload: dict[str, Any] = {"from": user_id, "data": data,
                                   "chat_instance": bots.chat_instance(bot_id, chat.id)}
        if bot_member is not None:
            payload.update(chat_id=chat.id, message_id=msg.id)
        else:
            payload["inline_message_id"] = bots.inline_message_id(chat.id, msg.id)
        _, answer = await self._ask(bot_id, "callback_query", chat.id, payload)
        return {"message": answer.get("text") or "", "alert": bool(answer.get("show_alert")),
                "url": answer.get("url"), "cache_time": answer.get("cache_time", 0)}

    # ---- inline mode -------------------------------------------------------------------------

    async def inline_query(self, user_id: int, bot_id: int, peer: Peer | None, query: str,
                           offset: str) -> dict[str, Any]:
        bot = await self.bots.get(bot_id)
        if bot is None or not bot.inline_placeholder:
            raise bad_request("BOT_INLINE_DISABLED")
        if len(query) > 256:
            raise bad_request("QUERY_TOO_LONG")
        chat_type = "sender"
        if peer is not None:
            chat, _ = await self.chats.access(user_id, peer, create=True)
            other = self.bots.peer_of(chat, user_id)
            chat_type = bots.chat_type(chat.kind) if other != bot_id else "sender"
        payload = {"from": user_id, "query": query, "offset": offset[:64], "chat_type": chat_type}
        qid, answer = await self._ask(bot_id, "inline_query", 0, payload)
        results = answer.get("results", [])
        self._remember(qid, bot_id, query, answer)
        return {"query_id": str(qid), "results": results,
                "next_offset": answer.get("next_offset") or "",
                "cache_time": answer.get("cache_time", 300),
                "is_personal": bool(answer.get("is_personal"))}

    def _remember(self, qid: int, bot_id: int, query: str, answer: dict[str, Any]) -> None:
        now = time.monotonic()
        for key in [k for k, v in self.inline.items() if v[1] < now]:
            del self.inline[key]
        self.inline[qid] = (bot_id, now + INLINE_CACHE_SECONDS, query, answer)

    async def send_result(self, user_id: int, peer: Peer, query_id: str, result_id: str,
                          random_id: int | None, reply_to: int | None) -> Message:
        cached = self.inline.get(int(query_id)) if query_id.isdigit() else None
        if cached is None:
            raise bad_request("QUERY_ID_INVALID")
        bot_id, _, query, answer = cached
        result = next((r for r in answer.get("results", []) if str(r.get("id")) == result_id),
                      None)
        if result is None:
            raise bad_request("RESULT_ID_INVALID")
        template = result_message(result)
        template = msgspec.structs.replace(template, via_bot_id=bot_id, reply_to=reply_to)
        chat, member = await self.chats.access(user_id, peer, create=True)
        msg = await self.bots.send(bot_id, chat, member, template, random_id=random_id, rate=False)
        chosen: dict[str, Any] = {"result_id": result_id, "from": user_id, "query": query}
        if msg.reply_markup is not None:
            chosen["inline_message_id"] = bots.inline_message_id(chat.id, msg.id)
        await self.feed.push(bot_id, "chosen_inline_result", 0, chosen)
        return msg


def check_results(results: list[Any]) -> list[dict[str, Any]]:
    if len(results) > MAX_INLINE_RESULTS:
        raise bad_request("RESULTS_TOO_MUCH")
    seen = set()
    for r in results:
        if not isinstance(r, dict) or not r.get("type") or not r.get("id"):
            raise bad_request("RESULT_TYPE_INVALID", "each result needs a type and an id")
        if str(r["id"]) in seen or len(str(r["id"]).encode()) > 64:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(str(r["id"]))
        result_message(r)
    return results


def result_message(result: dict[str, Any]) -> Message:
    """The message an inline result sends (its input_message_content, or what it shows)."""
    content = result.get("input_message_content")
    kind = result.get("type")
    if content is None:
        if kind == "location":
            content = {"latitude": result.get("latitude"), "longitude": result.get("longitude")}
        elif kind == "venue":
            content = {k: result.get(k) for k in ("latitude", "longitude", "title", "address")}
        elif kind == "contact":
            content = {k: result.get(k) for k in ("phone_number", "first_name", "last_name")}
        elif kind == "article":
            raise bad_request("INPUT_MESSAGE_CONTENT_INVALID", "an article needs "
                                                               "input_message_content")
        else:
            raise bad_request("RESULT_TYPE_INVALID", f"results of type {str(kind)[:32]!r} need "
                                                     "input_message_content here")
    if not isinstance(content, dict):
        raise bad_request("INPUT_MESSAGE_CONTENT_INVALID")
    try:
        fields = _content(content)
        rm = result.get("reply_markup")
        if rm is not None:
            fields["reply_markup"] = markup.check_markup(msgspec.convert(rm, ReplyMarkup))
            if fields["reply_markup"].inline_keyboard is None:
                raise bad_request("REPLY_MARKUP_INVALID")
    except msgspec.ValidationError as exc:
        raise bad_request("INPUT_MESSAGE_CONTENT_INVALID", str(exc)) from exc
    return Message(chat_id=0, id=0, sender_id=0, date=0, **fields)


def _content(content: dict[str, Any]) -> dict[str, Any]:
    if "message_text" in content:
        text, entities = str(content["message_text"]), content.get("entities")
        if entities:
            return {"text": text, "entities": msgspec.convert(entities, list[Entity])}
        text, parsed = parse_mode.parse(text, content.get("parse_mode"))
        return {"text": text, "entities": parsed}
    if "phone_number" in content:
        return {"contact": msgspec.convert(
            {k: v for k, v in content.items() if k in ("phone_number", "first_name", "last_name",
                                                       "vcard")}, Contact)}
    if "latitude" in content:
        lat, lon = float(content["latitude"]), float(content["longitude"])
        markup.check_location(lat, lon)
        out: dict[str, Any] = {"location": Location(lat, lon)}
        if "title" in content and "address" in content:
            out["venue"] = Venue(str(content["title"]), str(content["address"]))
        return out
    raise RpcError(400, "INPUT_MESSAGE_CONTENT_INVALID", "unsupported input_message_content")
