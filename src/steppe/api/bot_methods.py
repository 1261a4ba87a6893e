"""Client methods for using bots: starting one, its command menu and profile, pressing inline
buttons (callback queries), inline mode."""

from __future__ import annotations

from typing import Any

import msgspec

from steppe.api.hub import Hub
from steppe.api.registry import Call, Registry
from steppe.domain.entities import Entity, utf16_len
from steppe.domain.errors import bad_request
from steppe.domain.models import Message
from steppe.services.chats import Peer
from steppe.services.container import Services


class P(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class StartBot(P):
    bot_id: int
    start_param: str = ""
    random_id: int | None = None


class BotUser(P):
    user_id: int


class BotCommandsParams(P):
    user_id: int
    peer: Peer | None = None


class CallbackAnswer(P):
    peer: Peer
    msg_id: int
    data: str


class InlineResults(P):
    bot_id: int
    query: str = ""
    offset: str = ""
    peer: Peer | None = None


class SendInlineResult(P):
    peer: Peer
    query_id: str
    id: str
    random_id: int | None = None
    reply_to: int | None = None


def register(r: Registry, s: Services, hub: Hub) -> None:
    bots = s.bots

    async def bot_user(viewer: int, user_id: int) -> Any:
        user = await s.users.get(viewer, user_id)
        if not user.is_bot:
            raise bad_request("BOT_INVALID", "this user is not a bot")
        return user

    @r.method("messages.startBot", StartBot)
    async def start_bot(c: Call, p: StartBot) -> Any:
        """Start a bot: send it /start (with a deep-link parameter, if any) in your private chat."""
        await bot_user(c.user_id, p.bot_id)
        if len(p.start_param) > 64 or any(ch.isspace() for ch in p.start_param):
            raise bad_request("START_PARAM_INVALID")
        text = f"/start {p.start_param}".strip()
        chat, member = await s.chats.access(c.user_id, Peer(user_id=p.bot_id), create=True)
        template = Message(chat_id=0, id=0, sender_id=0, date=0, text=text,
                           entities=[Entity("bot_command", 0, utf16_len("/start"))])
        return await bots.accounts.send(p.bot_id, chat, member, template, random_id=p.random_id,
                                        rate=False)

    @r.method("bots.getBotCommands", BotCommandsParams)
    async def get_bot_commands(c: Call, p: BotCommandsParams) -> Any:
        """The bot's command menu as you see it in a chat (default: your private chat with it)."""
        await bot_user(c.user_id, p.user_id)
        chat_id = None
        if p.peer is not None:
            chat, _ = await s.chats.access(c.user_id, p.peer)
            chat_id = chat.id if chat.kind != "private" else None
        return await bots.accounts.menu_for(c.user_id, p.user_id, chat_id)

    async def bot_info(viewer: int, user_id: int) -> dict[str, Any]:
        bot = await bots.accounts.get(user_id)
        if bot is None:
            raise bad_request("BOT_INVALID", "this user is not a bot")
        return {"user_id": user_id, "description": bot.description,
                "commands": await bots.accounts.menu_for(viewer, user_id, None),
                "inline_placeholder": bot.inline_placeholder or None,
                "privacy": bot.privacy}

    @r.method("bots.getBotInfo", BotUser)
    async def get_bot_info(c: Call, p: BotUser) -> Any:
        """A bot's description ('What can this bot do?'), command menu and inline placeholder."""
        user = await bot_user(c.user_id, p.user_id)
        return {"user": user, "about": user.bio, "bot_info": await bot_info(c.user_id, user.id)}

    if "users.getFullUser" not in r.methods:
        @r.method("users.getFullUser", BotUser)
        async def get_full_user(c: Call, p: BotUser) -> Any:
            """A user with their about text; for a bot also `bot_info` (description, commands)."""
            user = await s.users.get(c.user_id, p.user_id)
            out: dict[str, Any] = {"user": user, "about": user.bio}
            if user.is_bot:
                out["bot_info"] = await bot_info(c.user_id, user.id)
            return out

    @r.method("messages.getBotCallbackAnswer", CallbackAnswer)
    async def get_callback_answer(c: Call, p: CallbackAnswer) -> Any:
        """Press an inline button: the bot's answer (`message`, shown as a toast or, with
        `alert`, as an alert; or a `url` to open). BOT_RESPONSE_TIMEOUT if it does not answer."""
        return await bots.queries.press(c.user_id, p.peer, p.msg_id, p.data)

    @r.method("messages.getInlineBotResults", InlineResults)
    async def get_inline_results(c: Call, p: InlineResults) -> Any:
        """Inline mode: ask a bot for results for `@bot query` typed in a chat."""
        await bot_user(c.user_id, p.bot_id)
        return await bots.queries.inline_query(c.user_id, p.bot_id, p.peer, p.query, p.offset)

    @r.method("messages.sendInlineBotResult", SendInlineResult)
    async def send_inline_result(c: Call, p: SendInlineResult) -> Any:
        """Send the inline result `id` of query `query_id` to a chat, 'via @bot' (the chat's
        rules checked as it is stored: a supergroup's or channel's by the channel services)."""
        return await bots.queries.send_result(c.user_id, p.peer, p.query_id, p.id, p.random_id,
                                              p.reply_to)
