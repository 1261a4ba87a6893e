"""Bot API methods for files: sendPhoto, sendDocument, sendVideo, sendAudio, sendVoice,
sendAnimation, sendSticker, sendMediaGroup, getFile, editMessageCaption, editMessageMedia.

A file comes as a multipart upload (named like the parameter, or `attach://<part>`), or as the
file_id of a file the bot may already see; Steppe's file ids are the Bot API's. URLs are refused:
the server fetches nothing from outside. An upload becomes a file of the bot through the same
upload path clients use (services/files.py); photos get Steppe's sizes (services/media.py), and
the message is stored by the rules of the chat's kind (services/bots.py -> media.store).

getFile answers a relative `file_path` carrying a signed link (services/files.file_link, one
hour); `/file/bot<token>/<file_path>` checks it and the bot's access, and streams the bytes with
HTTP ranges (server.py).
"""

from __future__ import annotations

import mimetypes
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import msgspec

from steppe.botapi.context import Ctx, method
from steppe.botapi.errors import bad
from steppe.botapi.methods import _blank, _edited, _reply_to, _send, _target
from steppe.botapi.params import Upload
from steppe.domain import bots, limits
from steppe.domain import media as m
from steppe.domain.errors import RpcError
from steppe.domain.models import Message

URL_REFUSED = ("wrong remote file identifier specified: this server does not download files "
               "from URLs; upload the file instead")
FILE_LINK_TTL = 3600


# ---- files in, as Steppe files ----------------------------------------------------------------

async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _clean_name(name: str) -> str:
    try:
        return m.file_name(name.replace("/", "_").replace("\\", "_"))[:200] or "file"
    except RpcError:
        return "file"


def _clean_mime(declared: str, name: str) -> str:
    try:
        mime = m.mime_type(declared)
    except RpcError:
        mime = "application/octet-stream"
    if mime == "application/octet-stream":
        mime = mimetypes.guess_type(name)[0] or mime
    return mime


async def store_upload(c: Ctx, upload: Upload, default_name: str) -> str:
    """The bytes a bot uploaded, as a file of the bot (the client API's upload path)."""
    if not upload.data:
        raise bad("file must be non-empty")
    files = c.api.services.files
    name = _clean_name(upload.filename or default_name)
    started = await files.start_upload(c.bot_id, len(upload.data), name,
                                       _clean_mime(upload.content_type, name))
    size = started["part_size"]
    for part in range(started["parts"]):
        chunk = upload.data[part * size:(part + 1) * size]
        await files.save_part(c.bot_id, started["upload_id"], part, len(chunk), _chunks(chunk))
    return (await files.finish_upload(c.bot_id, started["upload_id"])).file_id


async def file_of(c: Ctx, value: Upload | str | None, what: str) -> str:
    """An upload, or a file id the bot may use: a Steppe file id."""
    if value is None:
        raise bad(f"there is no {what} in the request")
    if isinstance(value, Upload):
        return await store_upload(c, value, what)
    text = value.strip()
    if "://" in text or text.lower().startswith("www."):
        raise bad(URL_REFUSED)
    try:
        await c.api.services.files.accessible(c.bot_id, text)
    except RpcError:
        raise bad("wrong file identifier/HTTP URL specified") from None
    return text


def _attached(c: Ctx, value: Any) -> Upload | str | None:
    """A file named inside a JSON parameter (InputMedia.media): `attach://<part>` or an id."""
    if isinstance(value, str) and value.startswith("attach://"):
        upload = c.p.files.get(value[9:])
        if upload is None:
            raise bad(f"file attach://{value[9:]} not found in the request")
        return upload
    return value if isinstance(value, str) and value else None


async def _media(c: Ctx, kind: str, file_id: str, attrs: dict[str, Any]
                 ) -> tuple[m.Media, Any]:
    """What the message shows of the file, and the photo sizes to store with it."""
    allowed = {"video": ("duration", "w", "h", "supports_streaming"),
               "animation": ("duration", "w", "h"), "audio": ("duration", "performer", "title"),
               "voice": ("duration",)}.get(kind, ())  # a photo's and a document's: the server's
    attrs = {k: v for k, v in attrs.items() if k in allowed and v is not None}
    try:
        return await c.api.services.media.prepare(c.bot_id, m.InputMedia(
            type=kind, file_id=file_id, **attrs))  # type: ignore[arg-type]
    except RpcError as err:
        if err.type == "FILE_NOT_FOUND":
            raise bad("wrong file identifier/HTTP URL specified") from None
        if err.type == "MEDIA_ATTRIBUTE_INVALID":
            raise bad(f"wrong {kind} attributes: {err.message}") from None
        raise


def _attrs(get: Any) -> dict[str, Any]:
    return {"duration": get("duration"), "w": get("width"), "h": get("height"),
            "performer": get("performer"), "title": get("title"),
            "supports_streaming": bool(get("supports_streaming"))}


# ---- sending ----------------------------------------------------------------------------------

async def _send_file(c: Ctx, param: str, kind: str) -> Any:
    chat, member = await c.chat()
    file_id = await file_of(c, c.p.file(param), param)
    p = c.p
    attrs = _attrs(lambda k: p.bool(k) if k == "supports_streaming" else
                   (p.int(k) if k in ("duration", "width", "height") else p.str(k)))
    media, photo = await _media(c, kind, file_id, attrs)
    caption, entities = c.text("caption", "parse_mode", "caption_entities", required=False)
    return await _send(c, _blank(text=caption, entities=entities, media=media), chat, member,
                       photos=[photo] if photo is not None else None)


@method("sendPhoto")
async def send_photo(c: Ctx) -> Any:
    return await _send_file(c, "photo", "photo")


@method("sendDocument")
async def send_document(c: Ctx) -> Any:
    return await _send_file(c, "document", "document")


@method("sendVideo")
async def send_video(c: Ctx) -> Any:
    return await _send_file(c, "video", "video")


@method("sendAudio")
async def send_audio(c: Ctx) -> Any:
    return await _send_file(c, "audio", "audio")


@method("sendVoice")
async def send_voice(c: Ctx) -> Any:
    return await _send_file(c, "voice", "voice")


@method("sendAnimation")
async def send_animation(c: Ctx) -> Any:
    return await _send_file(c, "animation", "animation")


@method("sendSticker")
async def send_sticker(c: Ctx) -> Any:
    """Steppe has no sticker sets: a sticker is sent (and shown) as a document."""
    return await _send_file(c, "sticker", "document")


class InputMedia(msgspec.Struct, kw_only=True):
    type: str
    media: str
    caption: str | None = None
    parse_mode: str | None = None
    caption_entities: list[dict[str, Any]] | None = None
    duration: int | None = None
    width: int | None = None
    height: int | None = None
    performer: str | None = None
    title: str | None = None
    supports_streaming: bool = False


_KINDS = ("photo", "video", "document", "audio", "animation")


async def _input_media(c: Ctx, item: Any, *, album: bool) -> tuple[InputMedia, Message, Any]:
    """One InputMedia object: it, the message template it makes, and its new photo."""
    try:
        given = msgspec.convert(item, InputMedia, strict=False)
    except msgspec.ValidationError as exc:
        raise bad(f"can't parse InputMedia: {exc}") from None
    if given.type not in (("photo", "video", "document", "audio") if album else _KINDS):
        raise bad(f"unsupported media type {given.type[:32]!r}")
    file_id = await file_of(c, _attached(c, given.media), given.type)
    attrs = _attrs(lambda k: getattr(given, k, None))
    media, photo = await _media(c, given.type, file_id, attrs)
    from steppe.botapi.params import Params
    sub = Params({"caption": given.caption or "", "parse_mode": given.parse_mode,
                  "caption_entities": given.caption_entities})
    caption, entities = Ctx(c.api, c.me, c.bot, sub).text(
        "caption", "parse_mode", "caption_entities", required=False)
    return given, _blank(text=caption, entities=entities, media=media), photo


@method("sendMediaGroup")
async def send_media_group(c: Ctx) -> Any:
    chat, member = await c.chat()
    items = c.p.json("media")
    if not isinstance(items, list):
        raise bad("can't parse media JSON object")
    if not limits.ALBUM_MIN <= len(items) <= limits.ALBUM_MAX:
        raise bad("media must include 2-10 items")
    made = [await _input_media(c, item, album=True) for item in items]
    try:
        m.check_album([given.type for given, _, _ in made])
    except RpcError:
        raise bad("documents and audio files can't be mixed with other media types") from None
    reply_to = await _reply_to(c, chat)
    grouped = secrets.randbits(52) + 1
    templates = [msgspec.structs.replace(t, reply_to=reply_to, grouped_id=grouped)
                 for _, t, _ in made]
    photos = [p for _, _, p in made if p is not None]
    sent = await c.api.suite.accounts.send_all(c.bot_id, chat, member, templates,
                                               [None] * len(templates), photos)
    return [await c.render.message(msg, chat) for msg in sent]


# ---- getFile ----------------------------------------------------------------------------------

def _folder(mime: str, photo: bool) -> str:
    if photo:
        return "photos"
    top = mime.split("/", 1)[0]
    return {"video": "videos", "audio": "music"}.get(top, "documents")


def _extension(name: str, mime: str) -> str:
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    if suffix and suffix.isalnum() and len(suffix) <= 8:
        return "." + suffix.lower()
    return mimetypes.guess_extension(mime) or ""


@method("getFile")
async def get_file(c: Ctx) -> Any:
    file_id = c.p.need("file_id").strip()
    files = c.api.services.files
    try:
        file = await files.accessible(c.bot_id, file_id)
        link = await files.file_link(c.bot_id, file_id, ttl=FILE_LINK_TTL)
    except RpcError:
        raise bad("invalid file_id") from None
    query = dict(parse_qsl(urlsplit(link.path).query))
    path = (f"{_folder(file.mime_type, file.photo_id is not None)}/"
            f"{file_id}.{query['e']}.{query['s']}{_extension(file.name, file.mime_type)}")
    return {"file_id": file_id, "file_unique_id": bots.file_unique_id(file_id),
            "file_size": file.size, "file_path": path}


def parse_file_path(path: str) -> tuple[str, dict[str, str]] | None:
    """(file id, signed query) of a file_path getFile made; None for anything else."""
    parts = path.rsplit("/", 1)[-1].split(".")
    if len(parts) < 3 or not parts[1].isdigit():
        return None
    return parts[0], {"e": parts[1], "s": parts[2]}


# ---- editing ----------------------------------------------------------------------------------

@method("editMessageCaption")
async def edit_message_caption(c: Ctx) -> Any:
    chat, msg, inline = await _target(c)
    if msg.media is None:
        raise bad("there is no caption in the message to edit")
    caption, entities = c.text("caption", "parse_mode", "caption_entities", required=False)
    after = msgspec.structs.replace(msg, text=caption, entities=entities,
                                    reply_markup=c.markup(inline_only=True))
    return await _edited(c, chat, msg, after, inline)


@method("editMessageMedia")
async def edit_message_media(c: Ctx) -> Any:
    chat, msg, inline = await _target(c)
    if msg.media is None:
        raise bad("there is no media in the message to edit")
    item = c.p.json("media")
    if not isinstance(item, dict):
        raise bad("can't parse InputMedia JSON object")
    given, template, photo = await _input_media(c, item, album=False)
    if msg.grouped_id is not None and (given.type in ("document", "audio")) != (
            isinstance(msg.media, m.MediaDocument)
            and msg.media.document.kind in ("document", "audio")):
        raise bad("can't change the kind of a media group's message")
    after = msgspec.structs.replace(msg, media=template.media, text=template.text,
                                    entities=template.entities,
                                    reply_markup=c.markup(inline_only=True))
    fresh = await c.api.suite.accounts.rewrite(after, photos=[photo] if photo else None)
    return True if inline else await c.render.message(fresh, chat)
