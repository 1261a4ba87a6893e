"""Bot API methods: the bot itself, updates, sending and editing messages, queries."""

from __future__ import annotations

import secrets
from typing import Any

import msgspec

from steppe.botapi.context import Ctx, method
from steppe.botapi.errors import bad
from steppe.domain import bots
from steppe.domain import markup as mk
from steppe.domain.bots import BotCommand
from steppe.domain.errors import RpcError
from steppe.domain.markup import Contact, Dice, Location, Poll, PollOption, Venue
from steppe.domain.models import Chat, Member, Message
from steppe.services.botqueries import check_results
from steppe.services.chats import Peer

CHAT_ACTIONS = {"typing": "typing", "upload_photo": "upload_photo", "record_video": "record_video",
                "upload_video": "upload_document", "record_voice": "record_voice",
                "upload_voice": "upload_document", "upload_document": "upload_document",
                "choose_sticker": "choose_sticker", "find_location": "typing",
                "record_video_note": "record_video", "upload_video_note": "upload_document"}


def _blank(**fields: Any) -> Message:
    return Message(chat_id=0, id=0, sender_id=0, date=0, **fields)


async def _send(c: Ctx, template: Message, chat: Chat | None = None, member: Member | None = None
                ) -> dict[str, Any]:
    if chat is None or member is None:
        chat, member = await c.chat()
    reply_to, lenient = c.reply_to()
    if reply_to is not None and lenient and not await c.api.core.chats.get_messages(chat.id,
                                                                                   [reply_to]):
        reply_to = None
    template = msgspec.structs.replace(template, reply_to=reply_to, reply_markup=c.markup())
    msg = await c.api.suite.accounts.send(c.bot_id, chat, member, template)
    return await c.render.message(msg, chat)


# ---- the bot ------------------------------------------------------------------------------

@method("getMe")
async def get_me(c: Ctx) -> Any:
    return {"id": c.me.id, "is_bot": True, "first_name": c.me.first_name,
            "username": c.me.username or "", "can_join_groups": True,
            "can_read_all_group_messages": not c.bot.privacy,
            "supports_inline_queries": bool(c.bot.inline_placeholder),
            "can_connect_to_business": False, "has_main_web_app": False}


@method("logOut", "close")
async def log_out(c: Ctx) -> Any:
    return True


@method("setMyCommands")
async def set_my_commands(c: Ctx) -> Any:
    items = c.p.struct("commands", list[BotCommand])
    if items is None:
        raise bad("commands is empty")
    await c.api.suite.accounts.set_commands(c.bot_id, items, _scope(c), c.p.str("language_code",
                                                                               default="") or "")
    return True


@method("getMyCommands")
async def get_my_commands(c: Ctx) -> Any:
    found = await c.api.suite.accounts.commands(c.bot_id, [_scope(c)],
                                                c.p.str("language_code", default="") or "")
    return [msgspec.to_builtins(x) for x in found]


@method("deleteMyCommands")
async def delete_my_commands(c: Ctx) -> Any:
    await c.api.suite.accounts.set_commands(c.bot_id, None, _scope(c),
                                            c.p.str("language_code", default="") or "")
    return True


def _scope(c: Ctx) -> str:
    scope = c.p.json("scope")
    if scope is not None and not isinstance(scope, dict):
        raise bad("can't parse BotCommandScope")
    try:
        return bots.scope_key(scope)
    except RpcError as err:
        raise bad(err.message) from None


@method("setMyName")
async def set_my_name(c: Ctx) -> Any:
    name = c.p.str("name", default="") or ""
    await c.api.suite.accounts.set_name(c.bot_id, name or c.me.username or "bot")
    return True


@method("getMyName")
async def get_my_name(c: Ctx) -> Any:
    return {"name": c.me.first_name}


@method("setMyDescription")
async def set_my_description(c: Ctx) -> Any:
    await c.api.suite.accounts.set_description(c.bot_id, c.p.str("description", default="") or "")
    return True


@method("getMyDescription")
async def get_my_description(c: Ctx) -> Any:
    return {"description": c.bot.description}


@method("setMyShortDescription")
async def set_my_short_description(c: Ctx) -> Any:
    await c.api.suite.accounts.set_about(c.bot_id,
                                         c.p.str("short_description", default="") or "")
    return True


@method("getMyShortDescription")
async def get_my_short_description(c: Ctx) -> Any:
    return {"short_description": c.me.bio}


@method("getUserProfilePhotos")
async def get_user_profile_photos(c: Ctx) -> Any:
    user_id = c.p.need_int("user_id")
    if not await c.api.core.store.get_users([user_id]):
        raise bad("user not found")
    return {"total_count": 0, "photos": []}


@method("setChatMenuButton")
async def set_chat_menu_button(c: Ctx) -> Any:
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(c: Ctx) -> Any:
    return {"type": "commands"}


@method("getMyDefaultAdministratorRights")
async def get_default_rights(c: Ctx) -> Any:
    from steppe.botapi.render import admin_rights
    return admin_rights(False)


# ---- updates ------------------------------------------------------------------------------

@method("getUpdates")
async def get_updates(c: Ctx) -> Any:
    return await c.api.delivery.get_updates(c.bot, c.p, c.gone)


@method("setWebhook")
async def set_webhook(c: Ctx) -> Any:
    return await c.api.delivery.set_webhook(c.bot, c.p)


@method("deleteWebhook")
async def delete_webhook(c: Ctx) -> Any:
    return await c.api.delivery.delete_webhook(c.bot, c.p)


@method("getWebhookInfo")
async def get_webhook_info(c: Ctx) -> Any:
    return await c.api.delivery.webhook_info(c.bot)


# ---- sending ------------------------------------------------------------------------------

@method("sendMessage")
async def send_message(c: Ctx) -> Any:
    text, entities = c.text()
    return await _send(c, _blank(text=text, entities=entities))


@method("sendLocation")
async def send_location(c: Ctx) -> Any:
    lat, lon = c.p.float("latitude", required=True), c.p.float("longitude", required=True)
    assert lat is not None and lon is not None
    mk.check_location(lat, lon)
    loc = Location(lat, lon, horizontal_accuracy=c.p.float("horizontal_accuracy"),
                   live_period=c.p.int("live_period"), heading=c.p.int("heading"))
    return await _send(c, _blank(location=loc))


@method("sendVenue")
async def send_venue(c: Ctx) -> Any:
    lat, lon = c.p.float("latitude", required=True), c.p.float("longitude", required=True)
    assert lat is not None and lon is not None
    mk.check_location(lat, lon)
    venue = Venue(c.p.need("title"), c.p.need("address"), foursquare_id=c.p.str("foursquare_id"),
                  google_place_id=c.p.str("google_place_id"))
    return await _send(c, _blank(location=Location(lat, lon), venue=venue))


@method("sendContact")
async def send_contact(c: Ctx) -> Any:
    contact = Contact(c.p.need("phone_number"), c.p.need("first_name"),
                      last_name=c.p.str("last_name"), vcard=c.p.str("vcard"))
    return await _send(c, _blank(contact=contact))


@method("sendDice")
async def send_dice(c: Ctx) -> Any:
    emoji = c.p.str("emoji", default="🎲") or "🎲"
    if emoji not in mk.DICE_VALUES:
        raise bad("invalid dice emoji specified")
    value = 1 + secrets.randbelow(mk.DICE_VALUES[emoji])
    return await _send(c, _blank(dice=Dice(emoji, value)))


@method("sendPoll")
async def send_poll(c: Ctx) -> Any:
    question = c.p.need("question")
    raw = c.p.json("options")
    if not isinstance(raw, list):
        raise bad("options must be a JSON array")
    options = [str(o.get("text", "")) if isinstance(o, dict) else str(o) for o in raw]
    try:
        mk.check_poll(question, options)
    except RpcError as err:
        raise bad({"POLL_OPTIONS_INVALID": "poll must have at least 2 option",
                   "POLL_QUESTION_INVALID": "poll question length must not exceed 300"}
                  .get(err.type, "poll option length must not exceed 100")) from None
    kind = c.p.str("type", default="regular") or "regular"
    if kind not in ("regular", "quiz"):
        raise bad("poll type is invalid")
    correct = c.p.int("correct_option_id")
    if kind == "quiz" and (correct is None or not 0 <= correct < len(options)):
        raise bad("wrong correct option id specified")
    poll = Poll(id=str(secrets.randbits(62)), question=question,
                options=[PollOption(text=o, persistent_id=str(i)) for i, o in enumerate(options)],
                is_closed=c.p.bool("is_closed"), is_anonymous=c.p.bool("is_anonymous", True),
                type=kind, allows_multiple_answers=c.p.bool("allows_multiple_answers"),
                correct_option_id=correct if kind == "quiz" else None,
                explanation=c.p.str("explanation"))
    return await _send(c, _blank(poll=poll))


@method("stopPoll")
async def stop_poll(c: Ctx) -> Any:
    chat, _ = await c.chat()
    msg = await c.api.suite.accounts.message(chat, c.p.need_int("message_id"))
    if msg.poll is None or msg.sender_id != c.bot_id:
        raise bad("message with poll to stop not found")
    if msg.poll.is_closed:
        raise bad("poll has already been closed")
    poll = msgspec.structs.replace(msg.poll, is_closed=True)
    markup = c.markup(inline_only=True)
    fresh = await c.api.suite.accounts.rewrite(
        msgspec.structs.replace(msg, poll=poll, reply_markup=markup or msg.reply_markup),
        edited=False)
    from steppe.botapi.render import poll_obj
    assert fresh.poll is not None
    return poll_obj(fresh.poll)


@method("sendChatAction")
async def send_chat_action(c: Ctx) -> Any:
    action = CHAT_ACTIONS.get(c.p.str("action", default="") or "")
    if action is None:
        raise bad("wrong parameter action in request")
    chat, _ = await c.chat()
    await c.api.services.messages.typing(c.bot_id, Peer(chat_id=chat.id), action)
    return True


@method("forwardMessage")
async def forward_message(c: Ctx) -> Any:
    return (await _forward(c, [c.p.need_int("message_id")], full=True))[0]


@method("forwardMessages")
async def forward_messages(c: Ctx) -> Any:
    return await _forward(c, _ids(c), full=False)


async def _forward(c: Ctx, ids: list[int], *, full: bool) -> list[Any]:
    source, _ = await c.chat("from_chat_id")
    target, member = await c.chat()
    c.api.suite.accounts.check_rate(c.bot_id, target)
    try:
        sent = await c.api.services.messages.forward(c.bot_id, Peer(chat_id=source.id), ids,
                                                     Peer(chat_id=target.id), None)
    except RpcError as err:
        if err.type == "MESSAGE_ID_INVALID":
            raise bad("message to forward not found") from None
        raise
    if full:
        return [await c.render.message(m, target) for m in sent]
    return [{"message_id": m.id} for m in sent]


def _ids(c: Ctx, key: str = "message_ids") -> list[int]:
    ids = c.p.json(key)
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
        raise bad(f"{key} must be a non-empty JSON array of integers")
    if len(ids) > 100:
        raise bad("too many messages")
    return ids


@method("copyMessage")
async def copy_message(c: Ctx) -> Any:
    return (await _copy(c, [c.p.need_int("message_id")], single=True))[0]


@method("copyMessages")
async def copy_messages(c: Ctx) -> Any:
    return await _copy(c, _ids(c), single=False)


async def _copy(c: Ctx, ids: list[int], *, single: bool) -> list[Any]:
    source, _ = await c.chat("from_chat_id")
    target, member = await c.chat()
    originals = await c.api.core.chats.get_messages(source.id, ids)
    if len(originals) != len(ids) or any(m.action for m in originals):
        raise bad("message to copy not found")
    out = []
    for orig in originals:
        template = msgspec.structs.replace(orig, reply_to=None, fwd_from=None, edit_date=None,
                                           pinned=False, via_bot_id=None)
        if single and c.p.has("reply_markup"):
            template = msgspec.structs.replace(template, reply_markup=c.markup())
        reply_to = c.reply_to()[0] if single else None
        template = msgspec.structs.replace(template, reply_to=reply_to)
        msg = await c.api.suite.accounts.send(c.bot_id, target, member, template)
        out.append({"message_id": msg.id})
    return out


# ---- editing and deleting ------------------------------------------------------------------

async def _target(c: Ctx) -> tuple[Chat | None, Message, bool]:
    """The message to edit: (chat, message, inline?) — by chat_id + message_id or inline id."""
    accounts = c.api.suite.accounts
    inline = c.p.str("inline_message_id")
    if inline:
        chat_id, msg_id = bots.parse_inline_message_id(inline)
        chat = await c.api.core.chats.get_chat(chat_id)
        found = await c.api.core.chats.get_messages(chat_id, [msg_id]) if chat else []
        if not found or found[0].via_bot_id != c.bot_id:
            raise bad("message to edit not found")
        return chat, found[0], True
    chat, _ = await c.chat()
    try:
        msg = await accounts.message(chat, c.p.need_int("message_id"))
    except RpcError:
        raise bad("message to edit not found") from None
    if msg.sender_id != c.bot_id:
        raise bad("message can't be edited")
    return chat, msg, False


async def _edited(c: Ctx, chat: Chat | None, before: Message, after: Message, inline: bool) -> Any:
    if after == before:
        raise bad("message is not modified: specified new message content and reply markup are "
                  "exactly the same as a current content and reply markup of the message")
    fresh = await c.api.suite.accounts.rewrite(after)
    return True if inline else await c.render.message(fresh, chat)


@method("editMessageText")
async def edit_message_text(c: Ctx) -> Any:
    chat, msg, inline = await _target(c)
    text, entities = c.text()
    if msg.poll or msg.location or msg.contact or msg.dice:
        raise bad("there is no text in the message to edit")
    after = msgspec.structs.replace(msg, text=text, entities=entities,
                                    reply_markup=c.markup(inline_only=True))
    return await _edited(c, chat, msg, after, inline)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(c: Ctx) -> Any:
    chat, msg, inline = await _target(c)
    after = msgspec.structs.replace(msg, reply_markup=c.markup(inline_only=True))
    return await _edited(c, chat, msg, after, inline)


@method("editMessageLiveLocation")
async def edit_live_location(c: Ctx) -> Any:
    chat, msg, inline = await _target(c)
    lat, lon = c.p.float("latitude", required=True), c.p.float("longitude", required=True)
    if msg.location is None or lat is None or lon is None:
        raise bad("message can't be edited")
    mk.check_location(lat, lon)
    after = msgspec.structs.replace(msg, location=msgspec.structs.replace(
        msg.location, latitude=lat, longitude=lon), reply_markup=c.markup(inline_only=True))
    return await _edited(c, chat, msg, after, inline)


@method("deleteMessage")
async def delete_message(c: Ctx) -> Any:
    chat, member = await c.chat()
    try:
        await c.api.suite.accounts.delete_messages(c.bot_id, chat, member,
                                                   [c.p.need_int("message_id")])
    except RpcError as err:
        if err.type == "MESSAGE_ID_INVALID":
            raise bad("message to delete not found") from None
        if err.code == 403:
            raise bad("message can't be deleted") from None
        raise
    return True


@method("deleteMessages")
async def delete_messages(c: Ctx) -> Any:
    chat, member = await c.chat()
    try:
        await c.api.suite.accounts.delete_messages(c.bot_id, chat, member, _ids(c))
    except RpcError as err:
        if err.code == 403:
            raise bad("message can't be deleted") from None
        if err.type != "MESSAGE_ID_INVALID":
            raise
    return True


# ---- queries --------------------------------------------------------------------------------

@method("answerCallbackQuery")
async def answer_callback_query(c: Ctx) -> Any:
    text = c.p.str("text", default="") or ""
    if len(text) > 200:
        raise bad("MESSAGE_TOO_LONG")
    c.api.suite.queries.answer(c.bot_id, "callback_query", c.p.need("callback_query_id"), {
        "text": text, "show_alert": c.p.bool("show_alert"), "url": c.p.str("url"),
        "cache_time": c.p.int("cache_time", default=0)})
    return True


@method("answerInlineQuery")
async def answer_inline_query(c: Ctx) -> Any:
    results = c.p.json("results")
    if not isinstance(results, list):
        raise bad("can't parse results JSON object")
    try:
        check_results(results)
    except RpcError as err:
        raise bad(err.type if not err.message else f"{err.type}: {err.message}") from None
    c.api.suite.queries.answer(c.bot_id, "inline_query", c.p.need("inline_query_id"), {
        "results": results, "cache_time": c.p.int("cache_time", default=300),
        "is_personal": c.p.bool("is_personal"), "next_offset": c.p.str("next_offset", default=""),
        "button": c.p.json("button")})
    return True
