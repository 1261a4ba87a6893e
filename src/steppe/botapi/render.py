"""Steppe's objects as Bot API JSON objects, for one bot. Every object carries every field the
Bot API marks required at every level (aiogram and telebot reject a whole getUpdates batch for
one missing field)."""

from __future__ import annotations

from typing import Any

import msgspec

from steppe.domain import bots
from steppe.domain import channels as ch
from steppe.domain import media as m
from steppe.domain.bots import PendingUpdate
from steppe.domain.channels import ChatInfo, Participant
from steppe.domain.entities import Entity
from steppe.domain.markup import Poll, ReplyMarkup
from steppe.domain.models import Chat, Message, User
from steppe.services.core import Core

_dec = msgspec.json.Decoder()
ADMIN_FLAGS = ("can_manage_chat", "can_delete_messages", "can_manage_video_chats",
               "can_restrict_members", "can_promote_members", "can_change_info",
               "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories",
               "can_send_welcome_messages", "can_pin_messages", "can_manage_topics")
PERMISSIONS = ("can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
               "can_send_videos", "can_send_video_notes", "can_send_voice_notes",
               "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
               "can_react_to_messages", "can_edit_tag", "can_change_info", "can_invite_users",
               "can_pin_messages", "can_manage_topics")
# The update types `Renderer.update` renders (docs/botapi.md lists them; a test compares).
DELIVERED = ("message", "edited_message", "channel_post", "edited_channel_post",
             "callback_query", "inline_query", "chosen_inline_result", "my_chat_member",
             "chat_member", "message_reaction", "chat_join_request", "poll", "poll_answer")
ACCEPTED_GIFTS = {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                  "premium_subscription": False, "gifts_from_channels": False}


def user_obj(u: User) -> dict[str, Any]:
    out: dict[str, Any] = {"id": u.id, "is_bot": u.is_bot, "first_name": u.first_name or " "}
    if u.last_name:
        out["last_name"] = u.last_name
    if u.username:
        out["username"] = u.username
    return out


def deleted_user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Deleted Account"}


def admin_rights(value: bool) -> dict[str, Any]:
    return {"is_anonymous": False, **{f: value for f in ADMIN_FLAGS}}


def member_obj(status: str, user: dict[str, Any], *, until: int = 0,
               permissions: dict[str, bool] | None = None) -> dict[str, Any]:
    if status == "creator":
        return {"status": "creator", "user": user, "is_anonymous": False}
    if status == "administrator":
        return {"status": "administrator", "user": user, "can_be_edited": False,
                **admin_rights(True), "can_promote_members": False}
    if status == "restricted":
        perms = {f: bool((permissions or {}).get(f, False)) for f in PERMISSIONS}
        return {"status": "restricted", "user": user, "is_member": True, **perms,
                "until_date": until}
    if status == "kicked":
        return {"status": "kicked", "user": user, "until_date": until}
    return {"status": status if status in ("member", "left") else "member", "user": user}


def participant_obj(p: Participant, user: dict[str, Any], kind: str, viewer: int = 0
                    ) -> dict[str, Any]:
    """A user's standing in a supergroup or channel as a ChatMember object, with the rights it
    really has."""
    if p.status == "creator":
        out: dict[str, Any] = {"status": "creator", "user": user, "is_anonymous": False}
        if p.rank:
            out["custom_title"] = p.rank
        return out
    if p.status == "admin":
        r = p.admin_rights or ch.AdminRights()
        out = {"status": "administrator", "user": user,
               "can_be_edited": bool(viewer) and p.promoted_by == viewer,
               **admin_rights(False), "is_anonymous": r.anonymous, "can_manage_chat": True,
               "can_delete_messages": r.delete_messages, "can_restrict_members": r.ban_users,
               "can_promote_members": r.add_admins, "can_change_info": r.change_info,
               "can_invite_users": r.invite_users, "can_pin_messages": r.pin_messages}
        if kind == "channel":
            out.update(can_post_messages=r.post_messages, can_edit_messages=r.edit_messages)
            out.pop("can_manage_topics", None)
        else:
            out["can_manage_topics"] = r.manage_topics
        if p.rank:
            out["custom_title"] = p.rank
        return out
    if p.status == "restricted":
        perms = bots.permissions_from_banned(msgspec.to_builtins(p.banned_rights or {}))
        return {"status": "restricted", "user": user, "is_member": True,
                **{f: perms.get(f, False) for f in PERMISSIONS}, "until_date": p.until_date}
    if p.status == "banned":
        return {"status": "kicked", "user": user, "until_date": p.until_date}
    return {"status": "member" if p.status == "member" else "left", "user": user}


def photo_sizes(photo: m.Photo) -> list[dict[str, Any]]:
    return [{"file_id": s.file_id, "file_unique_id": bots.file_unique_id(s.file_id),
             "width": s.w, "height": s.h, "file_size": s.size}
            for s in sorted(photo.sizes, key=lambda s: s.w * s.h)]


def media_obj(media: m.Media) -> dict[str, Any]:
    """A message's photo (PhotoSize array) or document-kind file, with every required field."""
    if isinstance(media, m.MediaPhoto):
        return {"photo": photo_sizes(media.photo)}
    d = media.document
    base: dict[str, Any] = {"file_id": d.file_id, "file_unique_id": bots.file_unique_id(d.file_id),
                            "file_size": d.size}
    named = {**base, "mime_type": d.mime_type, **({"file_name": d.name} if d.name else {})}
    if d.kind in ("video", "animation"):
        visual = {**named, "width": d.w or 0, "height": d.h or 0, "duration": d.duration or 0}
        if d.kind == "animation":  # Telegram sends the document too, for older clients
            return {"animation": visual, "document": named}
        return {"video": visual}
    if d.kind == "audio":
        audio = {**named, "duration": d.duration or 0}
        audio.update({k: v for k, v in (("performer", d.performer), ("title", d.title)) if v})
        return {"audio": audio}
    if d.kind == "voice":
        return {"voice": {**base, "mime_type": d.mime_type, "duration": d.duration or 0}}
    return {"document": named}


def media_file(media: m.Media | None, file_id: str) -> dict[str, Any] | None:
    """The photo size or document of a message that is `file_id` (for getFile's folder)."""
    if isinstance(media, m.MediaPhoto):
        return next(({"kind": "photo", "size": s.size} for s in media.photo.sizes
                     if s.file_id == file_id), None)
    if isinstance(media, m.MediaDocument) and media.document.file_id == file_id:
        return {"kind": media.document.kind, "size": media.document.size}
    return None


def reaction_types(values: list[str]) -> list[dict[str, Any]]:
    return [{"type": "emoji", "emoji": v} for v in values]


def markup_obj(markup: ReplyMarkup | None) -> dict[str, Any] | None:
    if markup is None or markup.inline_keyboard is None:
        return None
    return {"inline_keyboard": [[msgspec.to_builtins(b) for b in row]
                                for row in markup.inline_keyboard]}


def poll_obj(poll: Poll) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": poll.id, "question": poll.question,
        "options": [{"persistent_id": o.persistent_id or str(i), "text": o.text,
                     "voter_count": o.voter_count} for i, o in enumerate(poll.options)],
        "total_voter_count": poll.total_voter_count, "is_closed": poll.is_closed,
        "is_anonymous": poll.is_anonymous, "type": poll.type,
        "allows_multiple_answers": poll.allows_multiple_answers, "allows_revoting": False,
        "members_only": False}
    if poll.correct_option_id is not None:
        out["correct_option_id"] = poll.correct_option_id
    if poll.explanation:
        out["explanation"] = poll.explanation
    return out


class Renderer:
    """Renders for one bot (`viewer`), fetching and caching the users and chats it needs."""

    def __init__(self, core: Core, viewer: int):
        self.core = core
        self.viewer = viewer
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, Chat | None] = {}

    def know(self, user: User) -> None:
        """A user read already, as fresh as a read now would be (read within this request)."""
        self._users.setdefault(user.id, user_obj(user))

    async def user(self, user_id: int) -> dict[str, Any]:
        if user_id not in self._users:
            found = await self.core.store.get_users([user_id])
            self._users[user_id] = user_obj(found[user_id]) if user_id in found \
                else deleted_user(user_id)
        return self._users[user_id]

    async def get_chat(self, chat_id: int) -> Chat | None:
        if chat_id not in self._chats:
            self._chats[chat_id] = await self.core.chats.get_chat(chat_id)
        return self._chats[chat_id]

    def peer(self, chat: Chat) -> int | None:
        if chat.kind != "private":
            return None
        return next((u for u in chat.user_ids if u != self.viewer), self.viewer)

    async def chat(self, chat: Chat) -> dict[str, Any]:
        peer = self.peer(chat)
        out: dict[str, Any] = {"id": bots.api_chat_id(chat.kind, chat.id, peer),
                               "type": bots.chat_type(chat.kind)}
        if peer is not None:
            user = await self.user(peer)
            out.update({k: user[k] for k in ("first_name", "last_name", "username") if k in user})
        else:
            out["title"] = chat.title or " "
        return out

    async def full_chat(self, chat: Chat, info: ChatInfo | None = None) -> dict[str, Any]:
        out = await self.chat(chat)
        out.update(accent_color_id=0, max_reaction_count=11,
                   accepted_gift_types=dict(ACCEPTED_GIFTS))
        peer = self.peer(chat)
        if peer is not None:
            found = await self.core.store.get_users([peer])
            if peer in found and found[peer].bio:
                out["bio"] = found[peer].bio
        elif info is not None and chat.kind in ch.BIG_KINDS:
            out["max_reaction_count"] = info.reactions_limit
            if info.username:
                out["username"] = info.username
            if info.about:
                out["description"] = info.about
            if info.linked_chat_id:
                out["linked_chat_id"] = bots.api_chat_id(
                    "supergroup" if chat.kind == "channel" else "channel",
                    info.linked_chat_id, None)
            if chat.kind == "supergroup":
                out["permissions"] = bots.permissions_from_banned(
                    msgspec.to_builtins(info.default_banned_rights))
                if info.slowmode_seconds:
                    out["slow_mode_delay"] = info.slowmode_seconds
                if info.forum:
                    out["is_forum"] = True
            if info.available_reactions is not None:
                out["available_reactions"] = reaction_types(info.available_reactions)
        else:
            out["permissions"] = {f: True for f in PERMISSIONS}
        return out

    async def entities(self, ents: list[Entity]) -> list[dict[str, Any]]:
        out = []
        for e in ents:
            item = msgspec.to_builtins(e)
            uid = item.pop("user_id", None)
            if e.type == "text_mention":
                if uid is None:
                    continue
                item["user"] = await self.user(uid)
            out.append(item)
        return out

    async def message(self, msg: Message, chat: Chat | None = None, *, nested: bool = False
                      ) -> dict[str, Any]:
        chat = chat or await self.get_chat(msg.chat_id)
        if chat is None:
            return {"message_id": msg.id, "date": 0, "chat": {"id": 0, "type": "private"}}
        chat_obj = await self.chat(chat)
        out: dict[str, Any] = {"message_id": msg.id, "date": msg.date, "chat": chat_obj}
        if chat.kind == "channel":
            out["sender_chat"] = chat_obj
            if msg.post_author:
                out["author_signature"] = msg.post_author
        elif msg.sender_id < 0:  # a channel's post in its discussion group
            out["sender_chat"] = await self._other_chat(-msg.sender_id)
            out["is_automatic_forward"] = True
        else:
            out["from"] = await self.user(msg.sender_id)
        if msg.text:
            key, ents_key = ("caption", "caption_entities") if msg.media else ("text", "entities")
            out[key] = msg.text
            ents = await self.entities(bots.full_entities(msg))
            if ents:
                out[ents_key] = ents
        if msg.grouped_id is not None:
            out["media_group_id"] = str(msg.grouped_id)
        if msg.edit_date:
            out["edit_date"] = msg.edit_date
        if msg.reply_to is not None and not nested:
            found = await self.core.chats.get_messages(chat.id, [msg.reply_to])
            if found:
                out["reply_to_message"] = await self.message(found[0], chat, nested=True)
        if msg.fwd_from is not None:
            out["forward_origin"] = await self._origin(msg)
        markup = markup_obj(msg.reply_markup)
        if markup is not None:
            out["reply_markup"] = markup
        if msg.via_bot_id is not None:
            out["via_bot"] = await self.user(msg.via_bot_id)
        await self._content(msg, out)
        if msg.action is not None:
            await self._action(msg, out)
        return out

    async def _other_chat(self, chat_id: int) -> dict[str, Any]:
        found = await self.get_chat(chat_id)
        if found is None:
            return {"id": bots.api_chat_id("channel", chat_id, None), "type": "channel",
                    "title": " "}
        return await self.chat(found)

    async def _origin(self, msg: Message) -> dict[str, Any]:
        fwd = msg.fwd_from
        assert fwd is not None
        source = await self.get_chat(fwd.from_chat_id) if fwd.from_chat_id else None
        if source is not None and source.kind == "channel" and fwd.from_msg_id:
            return {"type": "channel", "date": fwd.date, "chat": await self.chat(source),
                    "message_id": fwd.from_msg_id}
        if fwd.from_user_id < 0:
            return {"type": "chat", "date": fwd.date,
                    "sender_chat": await self._other_chat(-fwd.from_user_id)}
        return {"type": "user", "date": fwd.date, "sender_user": await self.user(fwd.from_user_id)}

    async def _content(self, msg: Message, out: dict[str, Any]) -> None:
        if msg.media is not None:
            out.update(media_obj(msg.media))
        if msg.location is not None:
            out["location"] = msgspec.to_builtins(msg.location)
        if msg.venue is not None and msg.location is not None:
            out["venue"] = {"location": out["location"], **msgspec.to_builtins(msg.venue)}
        if msg.contact is not None:
            out["contact"] = msgspec.to_builtins(msg.contact)
        if msg.dice is not None:
            out["dice"] = msgspec.to_builtins(msg.dice)
        if msg.poll is not None:
            out["poll"] = poll_obj(msg.poll)

    async def _action(self, msg: Message, out: dict[str, Any]) -> None:
        action = msg.action
        assert action is not None
        if action.type == "chat_create":
            out["group_chat_created"] = True
        elif action.type == "chat_add_user":
            out["new_chat_members"] = [await self.user(u) for u in action.user_ids]
        elif action.type == "chat_delete_user" and action.user_ids:
            out["left_chat_member"] = await self.user(action.user_ids[0])
        elif action.type == "chat_edit_title" and action.title:
            out["new_chat_title"] = action.title
        elif action.type == "channel_create":
            out["channel_chat_created"] = True
        elif action.type in ("chat_joined_by_link", "chat_join") and action.user_ids:
            out["new_chat_members"] = [await self.user(u) for u in action.user_ids]
        elif action.type == "chat_edit_photo" and action.photo is not None:
            out["new_chat_photo"] = photo_sizes(action.photo)
        elif action.type == "chat_delete_photo":
            out["delete_chat_photo"] = True
        elif action.type == "chat_migrate_to" and action.chat_id:
            out["migrate_to_chat_id"] = bots.api_chat_id("supergroup", action.chat_id, None)
        elif action.type == "channel_migrate_from" and action.chat_id:
            out["migrate_from_chat_id"] = bots.api_chat_id("group", action.chat_id, None)

    # ---- updates -----------------------------------------------------------------------------

    async def update(self, p: PendingUpdate) -> dict[str, Any]:
        try:
            body = await self._payload(p.kind, p.chat_id, _dec.decode(p.payload))
        except Exception:  # noqa: BLE001 - an update we cannot show is sent bare, never wedges
            body = None
        out: dict[str, Any] = {"update_id": p.update_id}
        if body is not None:
            out[p.kind] = body
        return out

    async def _payload(self, kind: str, chat_id: int, data: dict[str, Any]) -> Any:
        if kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
            return await self.message(msgspec.convert(data["message"], Message))
        if kind in ("my_chat_member", "chat_member"):
            chat = await self.get_chat(chat_id)
            if chat is None:
                return None
            user = await self.user(data["user_id"])
            old, new = data["old"], data["new"]
            if isinstance(old, dict):  # a supergroup's or channel's Participant
                old = participant_obj(msgspec.convert(old, Participant), user, chat.kind,
                                      self.viewer)
                new = participant_obj(msgspec.convert(new, Participant), user, chat.kind,
                                      self.viewer)
            else:
                old, new = member_obj(old, user), member_obj(new, user)
            return {"chat": await self.chat(chat), "from": await self.user(data["actor"]),
                    "date": data["date"], "old_chat_member": old, "new_chat_member": new}
        if kind == "message_reaction":
            chat = await self.get_chat(chat_id)
            if chat is None:
                return None
            return {"chat": await self.chat(chat), "message_id": data["message_id"],
                    "user": await self.user(data["user_id"]), "date": data["date"],
                    "old_reaction": reaction_types(data["old"]),
                    "new_reaction": reaction_types(data["new"])}
        if kind == "poll":
            return poll_obj(msgspec.convert(data["poll"], Poll))
        if kind == "poll_answer":
            return {"poll_id": data["poll_id"], "user": await self.user(data["user_id"]),
                    "option_ids": data["option_ids"],
                    "option_persistent_ids": data["option_persistent_ids"]}
        if kind == "chat_join_request":
            chat = await self.get_chat(chat_id)
            if chat is None:
                return None
            out = {"chat": await self.chat(chat), "from": await self.user(data["user_id"]),
                   "user_chat_id": data["user_id"], "date": data["date"]}
            if data.get("about"):
                out["bio"] = data["about"]
            return out
        if kind == "callback_query":
            return await self._callback(data)
        if kind == "inline_query":
            out = {"id": data["id"], "from": await self.user(data["from"]),
                   "query": data["query"], "offset": data.get("offset", "")}
            if data.get("chat_type"):
                out["chat_type"] = data["chat_type"]
            return out
        if kind == "chosen_inline_result":
            out = {"result_id": data["result_id"], "from": await self.user(data["from"]),
                   "query": data["query"]}
            if data.get("inline_message_id"):
                out["inline_message_id"] = data["inline_message_id"]
            return out
        return None

    async def _callback(self, data: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": data["id"], "from": await self.user(data["from"]),
                               "chat_instance": data["chat_instance"]}
        if data.get("data") is not None:
            out["data"] = data["data"]
        if data.get("inline_message_id"):
            out["inline_message_id"] = data["inline_message_id"]
            return out
        chat = await self.get_chat(data["chat_id"])
        found = await self.core.chats.get_messages(data["chat_id"], [data["message_id"]]) \
            if chat else []
        if found and chat is not None:
            out["message"] = await self.message(found[0], chat)
        elif chat is not None:
            out["message"] = {"chat": await self.chat(chat), "message_id": data["message_id"],
                              "date": 0}
        return out
