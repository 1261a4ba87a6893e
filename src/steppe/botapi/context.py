"""What a Bot API method handler gets, and the table of handlers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from steppe.botapi.errors import bad
from steppe.botapi.params import Params
from steppe.botapi.render import Renderer
from steppe.domain import markup as mk
from steppe.domain import parse_mode
from steppe.domain.bots import Bot
from steppe.domain.entities import Entity
from steppe.domain.models import Chat, Member, User

if TYPE_CHECKING:
    from steppe.botapi.server import BotApi

Handler = Callable[["Ctx"], Awaitable[Any]]
METHODS: dict[str, tuple[str, Handler]] = {}


def method(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for name in names:
            assert name.lower() not in METHODS, name
            METHODS[name.lower()] = (name, fn)
        return fn

    return register


@dataclass
class Ctx:
    api: BotApi
    me: User
    bot: Bot
    p: Params
    gone: asyncio.Future[None] | None = None  # done when the client went away (methods that wait)
    _render: Renderer | None = None

    @property
    def bot_id(self) -> int:
        return self.me.id

    @property
    def render(self) -> Renderer:
        if self._render is None:
            self._render = Renderer(self.api.core, self.me.id)
            self._render.know(self.me)
        return self._render

    async def chat(self, name: str = "chat_id") -> tuple[Chat, Member]:
        chat, member, peer = await self.api.suite.accounts.resolve(self.me.id,
                                                                   self.p.chat_id(name))
        if peer is not None:  # read with the chat: the answer's "chat" needs no read of its own
            self.render.know(peer)
        return chat, member

    def text(self, key: str = "text", mode_key: str = "parse_mode",
             entities_key: str = "entities", *, required: bool = True
             ) -> tuple[str, list[Entity]]:
        text = self.p.str(key, required=required) or ""
        given = self.p.json(entities_key)
        if given:
            if not isinstance(given, list):
                raise bad(f"can't parse {entities_key} JSON object")
            ents = []
            for e in given:
                if isinstance(e, dict) and isinstance(e.get("user"), dict):
                    e = {**e, "user_id": e["user"].get("id")}
                    e.pop("user")
                try:
                    ents.append(msgspec.convert(e, Entity, strict=False))
                except msgspec.ValidationError as exc:
                    raise bad(f"can't parse entities: {exc}") from None
            return text, ents
        return parse_mode.parse(text, self.p.str(mode_key))

    def markup(self, key: str = "reply_markup", *, inline_only: bool = False
               ) -> mk.ReplyMarkup | None:
        markup = self.p.struct(key, mk.ReplyMarkup)
        if markup is None:
            return None
        mk.check_markup(markup)
        if inline_only and markup.inline_keyboard is None:
            raise bad("inline keyboard expected")
        return markup

    def reply_to(self) -> tuple[int | None, bool]:
        """The message to reply to, and whether a missing one may be ignored."""
        params = self.p.json("reply_parameters")
        if isinstance(params, dict) and params.get("message_id") is not None:
            try:
                return int(params["message_id"]), bool(params.get("allow_sending_without_reply"))
            except (TypeError, ValueError):
                raise bad("can't parse reply_parameters") from None
        return (self.p.int("reply_to_message_id"),
                self.p.bool("allow_sending_without_reply"))
