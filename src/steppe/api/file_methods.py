"""Client methods for files and media: uploads, download links, media messages, profile photos.

The bytes themselves go over two plain HTTP routes (api/files_http.py):
`POST /api/upload/<upload_id>/<part>` and `GET /api/file/<file_id>`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from steppe.api.hub import Hub
from steppe.api.registry import Call, Registry
from steppe.domain import limits
from steppe.domain.entities import Entity
from steppe.domain.media import InputMedia
from steppe.services.chats import Peer
from steppe.services.container import Services
from steppe.services.media import AlbumItem


class P(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every parameter struct: unknown fields are refused."""


class UploadStart(P):
    size: int
    name: str = ""
    mime_type: str = ""
    part_size: int = limits.UPLOAD_PART_MAX


class UploadId(P):
    upload_id: str


class UploadFinish(P):
    upload_id: str
    sha256: str | None = None


class FileId(P):
    file_id: str


class FileIds(P):
    file_ids: list[str]


class SendMedia(P):
    peer: Peer
    media: InputMedia
    caption: str = ""
    entities: list[Entity] = []
    reply_to: int | None = None
    random_id: int | None = None


class SendMultiMedia(P):
    peer: Peer
    multi_media: list[AlbumItem]
    reply_to: int | None = None


class UserPhotos(P):
    user_id: int
    offset: int = 0
    limit: int = 20


class ChatPhotos(P):
    peer: Peer
    offset: int = 0
    limit: int = 20


class PhotoIds(P):
    ids: list[int]


class CurrentPhotos(P):
    user_ids: list[int] = []
    chat_ids: list[int] = []


class EditChatPhoto(P):
    peer: Peer
    file_id: str | None = None


def register(r: Registry, s: Services, hub: Hub) -> None:
    # ---- uploads -----------------------------------------------------------------------------
    @r.method("upload.start", UploadStart)
    async def upload_start(c: Call, p: UploadStart) -> Any:
        """Declare a file of `size` bytes; send its parts (0..parts-1, `part_size` bytes each but
        the last, any order) as raw bodies to `POST /api/upload/<upload_id>/<part>`."""
        return await s.files.start_upload(c.user_id, p.size, p.name, p.mime_type, p.part_size)

    @r.method("upload.status", UploadId)
    async def upload_status(c: Call, p: UploadId) -> Any:
        """Which parts the server has (`missing` lists the rest): resume from here."""
        return await s.files.upload_status(c.user_id, p.upload_id)

    @r.method("upload.finish", UploadFinish)
    async def upload_finish(c: Call, p: UploadFinish) -> Any:
        """Make the complete upload a file (optionally checking its SHA-256); returns its
        `file_id`. Finishing again returns the same file."""
        return await s.files.finish_upload(c.user_id, p.upload_id, p.sha256)

    # ---- downloads ---------------------------------------------------------------------------
    @r.method("files.getFileUrl", FileId)
    async def file_url(c: Call, p: FileId) -> Any:
        """A signed path to `GET` the file without a token (for <img> and <video>), valid an
        hour."""
        return await s.files.file_link(c.user_id, p.file_id)

    @r.method("files.getFileUrls", FileIds)
    async def file_urls(c: Call, p: FileIds) -> Any:
        """Signed paths for up to 100 files; files you may not see are left out."""
        return await s.files.file_links(c.user_id, p.file_ids)

    # ---- media messages ----------------------------------------------------------------------
    @r.method("messages.sendMedia", SendMedia)
    async def send_media(c: Call, p: SendMedia) -> Any:
        """Send a photo, document, video, audio, voice note or animation with a caption."""
        return await s.media.send_media(c.user_id, p.peer, p.media, p.caption, p.entities,
                                        p.reply_to, p.random_id)

    @r.method("messages.sendMultiMedia", SendMultiMedia)
    async def send_multi_media(c: Call, p: SendMultiMedia) -> Any:
        """Send an album: 2–10 media sharing one `grouped_id`, stored together or not at all."""
        return await s.media.send_album(c.user_id, p.peer, p.multi_media, p.reply_to)

    # ---- profile photos ----------------------------------------------------------------------
    @r.method("photos.uploadProfilePhoto", FileId)
    async def upload_profile_photo(c: Call, p: FileId) -> Any:
        """Make an uploaded image your current profile photo."""
        return await s.media.upload_profile_photo(c.user_id, p.file_id)

    @r.method("photos.getUserPhotos", UserPhotos)
    async def user_photos(c: Call, p: UserPhotos) -> Any:
        """A user's profile photos, the current one first, with their total count."""
        return await s.media.user_photos(c.user_id, p.user_id, p.offset, p.limit)

    @r.method("photos.deletePhotos", PhotoIds)
    async def delete_photos(c: Call, p: PhotoIds) -> Any:
        """Delete some of your profile photos; returns the ids deleted."""
        return await s.media.delete_photos(c.user_id, p.ids)

    @r.method("photos.getChatPhotos", ChatPhotos)
    async def chat_photos(c: Call, p: ChatPhotos) -> Any:
        """A group's photos, the current one first."""
        return await s.media.chat_photos(c.user_id, p.peer, p.offset, p.limit)

    @r.method("photos.getCurrentPhotos", CurrentPhotos)
    async def current_photos(c: Call, p: CurrentPhotos) -> Any:
        """The current photo of up to 100 users and chats (avatars for a chat list)."""
        return await s.media.current_photos(c.user_id, p.user_ids, p.chat_ids)

    @r.method("messages.editChatPhoto", EditChatPhoto)
    async def edit_chat_photo(c: Call, p: EditChatPhoto) -> Any:
        """Set a group's photo from an uploaded image, or remove it (`file_id` null)."""
        await s.media.edit_chat_photo(c.user_id, p.peer, p.file_id)
        return True
