"""Bot API methods: the bot itself, updates, sending and editing messages, queries."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import msgspec

from steppe.botapi.context import Ctx, method
from steppe.botapi.errors import bad
from steppe.domain import access, bots
from steppe.domain import markup as mk
from steppe.domain.bots import BotCommand
from steppe.domain.errors import RpcError
from steppe.domain.markup import Contact, Dice, Location, PollOption, Venue
from steppe.domain.models import Chat, Member, Message
from steppe.services.botqueries import check_results
from steppe.services.chats import Peer
from steppe.services.polls import NewPoll, make_poll

CHAT_ACTIONS = {"typing": "typing", "upload_photo": "upload_photo", "record_video": "record_video",
                "upload_video": "upload_document", "record_voice": "record_voice",
                "upload_voice": "upload_document", "upload_document": "upload_document",
                "choose_sticker": "choose_sticker", "find_location": "typing",
                "record_video_note": "record_video", "upload_video_note": "upload_document"}


def _blank(**fields: Any) -> Message:
    return Message(chat_id=0, id=0, sender_id=0, date=0, **fields)


async def _send(c: Ctx, template: Message, chat: Chat | None = None, member: Member | None = None,
                *, photos: list[Any] | None = None) -> dict[str, Any]:
    if chat is None or member is None:
        chat, member = await c.chat()
    reply_to = await _reply_to(c, chat)
    template = msgspec.structs.replace(template, reply_to=reply_to, reply_markup=c.markup())
    msg = await c.api.suite.accounts.send(c.bot_id, chat, member, template, photos=photos)
    return await c.render.message(msg, chat)


async def _reply_to(c: Ctx, chat: Chat) -> int | None:
    reply_to, lenient = c.reply_to()
    if reply_to is not None and lenient and not await c.api.core.chats.get_messages(chat.id,
                                                                                   [reply_to]):
        reply_to = None
    return reply_to


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
    from steppe.botapi.render import photo_sizes
    found = await c.api.services.media.user_photos(c.bot_id, user_id,
                                                   c.p.int("offset", default=0) or 0,
                                                   c.p.int("limit", default=100) or 100)
    return {"total_count": found["count"], "photos": [photo_sizes(p) for p in found["photos"]]}


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
    return await c.api.delivery.get_updates(
        c.bot, c.p, c.gone or asyncio.get_running_loop().create_future())


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


_POLL_ERRORS = {"POLL_QUESTION_INVALID": "poll question length must be 1-300",
                "POLL_ANSWERS_INVALID": "poll must have 2-12 options",
                "POLL_OPTION_INVALID": "poll options must be non-empty, different and at most "
                                       "100 characters long",
                "QUIZ_CORRECT_ANSWERS_EMPTY": "wrong correct option id specified",
                "QUIZ_CORRECT_ANSWER_INVALID": "wrong correct option id specified",
                "POLL_EXPLANATION_INVALID": "explanation is too long"}


@method("sendPoll")
async def send_poll(c: Ctx) -> Any:
    question = c.p.need("question")
    raw = c.p.json("options")
    if not isinstance(raw, list):
        raise bad("options must be a JSON array")
    options = [str(o.get("text", "")) if isinstance(o, dict) else str(o) for o in raw]
    kind = c.p.str("type", default="regular") or "regular"
    if kind not in ("regular", "quiz"):
        raise bad("poll type is invalid")
    correct = c.p.int("correct_option_id")
    many = c.p.json("correct_option_ids")
    if correct is None and isinstance(many, list) and many and isinstance(many[0], int):
        correct = many[0]
    quiz = kind == "quiz"
    try:
        poll = make_poll(NewPoll(
            question=question, answers=options, quiz=quiz,
            multiple_choice=c.p.bool("allows_multiple_answers") and not quiz,
            correct_answer=correct if quiz else None,
            explanation=(c.p.str("explanation") or None) if quiz else None,
            public_voters=not c.p.bool("is_anonymous", True)))
    except RpcError as err:
        raise bad(_POLL_ERRORS.get(err.type, err.message or err.type)) from None
    if c.p.bool("is_closed"):
        poll = msgspec.structs.replace(poll, is_closed=True)
    return await _send(c, _blank(poll=poll))


@method("stopPoll")
async def stop_poll(c: Ctx) -> Any:
    chat, _ = await c.chat()
    msg = await c.api.suite.accounts.message(chat, c.p.need_int("message_id"))
    if msg.poll is None:
        raise bad("message with poll to stop not found")
    try:
        closed = await c.api.services.channels.polls.close(c.bot_id, Peer(chat_id=chat.id),
                                                           msg.id)
    except RpcError as err:
        if err.type == "MESSAGE_POLL_CLOSED":
            raise bad("poll has already been closed") from None
        if err.type == "MESSAGE_AUTHOR_REQUIRED":
            raise bad("message with poll to stop not found") from None
        raise
    markup = c.markup(inline_only=True)
    if markup is not None:
        fresh = await c.api.suite.accounts.message(chat, msg.id)
        await c.api.suite.accounts.rewrite(msgspec.structs.replace(fresh, reply_markup=markup),
                                           edited=False)
    from steppe.botapi.render import poll_obj
    return poll_obj(closed.poll)


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
                                           pinned=False, via_bot_id=None, views=None,
                                           forwards=None, replies=None, reactions=[],
                                           thread_id=None, post_author=None, grouped_id=None)
        if orig.poll is not None:  # a copy is a new poll, with no votes
            template = msgspec.structs.replace(template, poll=msgspec.structs.replace(
                orig.poll, id=str(secrets.randbits(62)), total_voter_count=0, is_closed=False,
                options=[PollOption(o.text, 0, o.persistent_id) for o in orig.poll.options]))
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
    if msg.sender_id != c.bot_id and not await _may_edit_post(c, chat, msg):
        raise bad("message can't be edited")
    return chat, msg, False


async def _may_edit_post(c: Ctx, chat: Chat, msg: Message) -> bool:
    """A channel post: the bot's own, or any when it may edit the channel's posts."""
    if chat.kind != "channel" or msg.sender_id != -chat.id or msg.action is not None:
        return False
    if bots.is_post_of(await c.api.suite.accounts.store.random_id(chat.id, msg.id), c.bot_id):
        return True
    p = await c.api.services.channels.channels.store.participant(chat.id, c.bot_id,
                                                               c.api.core.clock.now())
    return access.has_right(p, "edit_messages")


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
    if msg.poll or msg.location or msg.contact or msg.dice or msg.media:
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
