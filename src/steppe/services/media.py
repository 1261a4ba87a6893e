"""Media messages (photos, documents, albums) and profile photos of users and groups.

A photo is decoded and re-encoded as Telegram's sizes (90, 320, 800, 1280 px JPEGs, each its own
blob and file id); the upload it came from is then referenced by nothing and collected after a
day. A document keeps the uploaded file itself. New photo files, the messages and the references
that let chat members download them are written in one transaction.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import msgspec

from steppe.domain import access, limits, validate
from steppe.domain import media as m
from steppe.domain.entities import Entity, with_detected
from steppe.domain.errors import bad_request
from steppe.domain.models import Chat, Member, Message
from steppe.services import images
from steppe.services.chats import ChatService, Peer
from steppe.services.core import Core
from steppe.services.files import FileService, build_file_service, new_file_id
from steppe.services.messages import MessageService
from steppe.store.files import StoredFile, file_not_found

NewPhoto = tuple[m.Photo, list[StoredFile]]


class AlbumItem(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    media: m.InputMedia
    caption: str = ""
    entities: list[Entity] = []
    random_id: int | None = None


class MediaService:
    def __init__(self, core: Core, chats: ChatService, files: FileService,
                 messages: MessageService | None = None):
        self.core = core
        self.chats = chats
        self.files = files
        self.messages = messages  # its `ext` has the rules of supergroups and channels
        self._decoding = asyncio.Semaphore(2)  # photos decoded at once: bounds memory and CPU

    # ---- messages ------------------------------------------------------------------------------

    async def send_media(self, actor: int, peer: Peer, media: m.InputMedia, caption: str = "",
                         entities: list[Entity] | None = None, reply_to: int | None = None,
                         random_id: int | None = None) -> Message:
        """Send one photo or document with a caption (up to 1024 characters, may be empty)."""
        item = AlbumItem(media=media, caption=caption, entities=entities or [],
                         random_id=random_id)
        return (await self._send(actor, peer, [item], reply_to, album=False))[0]

    async def send_album(self, actor: int, peer: Peer, items: list[AlbumItem],
                         reply_to: int | None = None) -> list[Message]:
        """2–10 media sent as one group: one grouped_id, all stored or none."""
        m.check_album([i.media.type for i in items])
        rids = [i.random_id for i in items if i.random_id is not None]
        if len(set(rids)) != len(rids):
            raise bad_request("RANDOM_ID_DUPLICATE", "one random_id per album item")
        return await self._send(actor, peer, items, reply_to, album=True)

    async def _send(self, actor: int, peer: Peer, items: list[AlbumItem], reply_to: int | None,
                    *, album: bool) -> list[Message]:
        random_ids = [i.random_id for i in items]
        done = await self.files.store.by_random_ids(actor, random_ids)
        if done is not None:
            return done
        bodies = [validate.caption(i.caption, i.entities) for i in items]
        bodies = [(text, with_detected(text, ents)) for text, ents in bodies]
        # A reply needs a chat that exists already: a refused send must not start a chat.
        chat, member = await self.chats.access(actor, peer, create=reply_to is None)
        if self._ext(chat) is None:  # a supergroup's or channel's rights: checked as it stores
            access.check_send(chat, member)
        if reply_to is not None and not await self.core.chats.get_messages(chat.id, [reply_to]):
            raise bad_request("REPLY_MESSAGE_INVALID")
        prepared = [await self._prepare(actor, i.media) for i in items]
        grouped_id = secrets.randbits(52) + 1 if album else None
        now = self.core.clock.now()
        templates = [
            Message(chat_id=chat.id, id=0, sender_id=actor, date=now, text=text, entities=ents,
                    reply_to=reply_to, media=media, grouped_id=grouped_id)
            for (text, ents), (media, _) in zip(bodies, prepared, strict=True)
        ]
        photos = [new for _, new in prepared if new is not None]
        return await self.store(actor, chat, member, templates, random_ids, photos)

    def _ext(self, chat: Chat):  # type: ignore[no-untyped-def]
        ext = self.messages.ext if self.messages is not None else None
        return ext if ext is not None and ext.owns(chat) else None

    async def store(self, actor: int, chat: Chat, member: Member, templates: list[Message],
                    random_ids: list[int | None], photos: list[NewPhoto]) -> list[Message]:
        """Store checked media messages (one, or an album) with their new photos: in a basic
        chat at once, in a supergroup or channel through its own rules (services/messages.py
        `ext`). The Bot API's media methods store through here too."""
        ext = self._ext(chat)
        if ext is not None:
            return await ext.store_media(actor, chat, templates, random_ids, photos)
        got = await self.files.store.send(templates, random_ids, photos)  # membership checked
        if got is None:
            access.access_chat(chat, None)  # no longer in the chat: its refusal
        assert got is not None
        self.core.publish(got[1])
        return got[0]

    async def prepare(self, actor: int, item: m.InputMedia) -> tuple[m.Media, NewPhoto | None]:
        """What a message shows of an attached file, and the photo sizes to store with it."""
        return await self._prepare(actor, item)

    async def _prepare(self, actor: int, item: m.InputMedia) -> tuple[m.Media, NewPhoto | None]:
        file = await self.files.accessible(actor, item.file_id)
        if item.type != "photo":
            attrs = m.document_attributes(item)
            doc = m.Document(file_id=file.id, name=file.name, size=file.size,
                             mime_type=file.mime_type, **attrs)  # type: ignore[arg-type]
            return m.MediaDocument(document=doc), None
        if any(v is not None for v in (item.duration, item.w, item.h, item.performer, item.title)):
            raise bad_request("MEDIA_ATTRIBUTE_INVALID", "a photo's sizes are the server's")
        if file.photo_id is not None:  # a size of a photo already sent: the same photo again
            photo = await self.files.store.get_photo(file.photo_id)
            if photo is None:
                raise file_not_found()
            return m.MediaPhoto(photo=photo), None
        new = await self.make_photo(actor, file, m.PHOTO_BOXES)
        return m.MediaPhoto(photo=new[0]), new

    async def make_photo(self, actor: int, file: StoredFile, boxes: tuple[tuple[str, int], ...],
                         *, square: bool = False) -> NewPhoto:
        """Decode an uploaded image and store its sizes (blobs now, file rows with the message)."""
        if file.size > limits.PHOTO_MAX_SIZE:
            raise bad_request("PHOTO_TOO_BIG", f"a photo is at most {limits.PHOTO_MAX_SIZE} bytes;"
                                               " send it as a document")
        async with self._decoding:
            data = await self.files.read_bytes(file)
            rendered = await asyncio.to_thread(images.render, data, boxes, square=square)
            del data
        now = self.core.clock.now()
        photo_id = secrets.randbits(52) + 1
        sizes, files = [], []
        for kind, w, h, jpeg in rendered:
            digest = await self.files.store_bytes(jpeg)
            stored = StoredFile(id=new_file_id(), blob=digest, size=len(jpeg),
                                mime_type="image/jpeg", name=f"photo_{kind}.jpg", owner_id=actor,
                                created=now, photo_id=photo_id)
            files.append(stored)
            sizes.append(m.PhotoSize(type=kind, w=w, h=h, size=len(jpeg), file_id=stored.id))
        return m.Photo(id=photo_id, date=now, sizes=sizes), files

    # ---- profile photos ------------------------------------------------------------------------

    async def upload_profile_photo(self, actor: int, file_id: str) -> m.Photo:
        """Make an uploaded image the user's current photo (square, 160/320/640 px)."""
        file = await self.files.accessible(actor, file_id)
        photo, files = await self.make_photo(actor, file, m.PROFILE_BOXES, square=True)
        await self.files.store.add_profile_photo(actor, photo, files)
        return photo

    async def user_photos(self, viewer: int, user_id: int, offset: int, limit: int
                          ) -> dict[str, Any]:
        """A user's profile photos, the current one first."""
        if not await self.core.store.get_users([user_id]):
            raise bad_request("USER_ID_INVALID")
        photos, count = await self.files.store.profile_photos(
            user_id=user_id, offset=max(0, offset), limit=_page(limit))
        return {"photos": photos, "count": count}

    async def delete_photos(self, actor: int, photo_ids: list[int]) -> list[int]:
        if len(photo_ids) > limits.PROFILE_PHOTOS_PAGE_MAX:
            raise bad_request("LIMIT_INVALID")
        return await self.files.store.delete_profile_photos(actor, list(dict.fromkeys(photo_ids)))

    async def edit_chat_photo(self, actor: int, peer: Peer, file_id: str | None) -> None:
        """Set a group's photo from an upload (or remove it, with None); the group sees a
        service message."""
        chat, member = await self.chats.access(actor, peer)
        access.check_rename(chat, member)
        if file_id is None:
            out = await self.files.store.clear_chat_photo(chat.id, actor, self.core.clock.now())
        else:
            file = await self.files.accessible(actor, file_id)
            photo, files = await self.make_photo(actor, file, m.PROFILE_BOXES, square=True)
            out = await self.files.store.add_profile_photo(actor, photo, files, chat_id=chat.id)
        self.core.publish(out)

    async def chat_photos(self, actor: int, peer: Peer, offset: int, limit: int
                          ) -> dict[str, Any]:
        chat, _ = await self.chats.access(actor, peer)
        photos, count = await self.files.store.profile_photos(
            chat_id=chat.id, offset=max(0, offset), limit=_page(limit))
        return {"photos": photos, "count": count}

    async def current_photos(self, viewer: int, user_ids: list[int], chat_ids: list[int]
                             ) -> dict[str, dict[int, m.Photo]]:
        """The current photo of each user, and of each chat the viewer is in (for avatars)."""
        if len(user_ids) + len(chat_ids) > limits.PROFILE_PHOTOS_PAGE_MAX:
            raise bad_request("LIMIT_INVALID")
        mine = []
        for chat_id in dict.fromkeys(chat_ids):
            _, member = await self.core.chats.chat_and_member(chat_id, viewer)
            if member is not None:
                mine.append(chat_id)
        users, chats = await self.files.store.current_photos(user_ids, mine)
        return {"users": users, "chats": chats}


def _page(limit: int) -> int:
    return max(1, min(limit, limits.PROFILE_PHOTOS_PAGE_MAX))


def file_services(core: Core, chats: ChatService, messages: MessageService | None = None
                  ) -> dict[str, Any]:
    """The services of issue 6, for `Services.build`."""
    files = build_file_service(core)
    return {"files": files, "media": MediaService(core, chats, files, messages)}
