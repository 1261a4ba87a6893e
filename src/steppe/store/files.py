"""Files, uploads, photos and the references that keep them: the SQL of issue 6.

A file is visible to a user when a live message that references it is in a chat the user is in
(and not deleted for them), or when it is a size of a current profile photo the user may see. A
message's references are written with the message itself (`link_message_files`, called from the
one place messages are inserted), so a file and the message that shows it commit together.
"""

from __future__ import annotations

from typing import Any

import msgspec

from steppe.domain.errors import RpcError
from steppe.domain.media import Photo, PhotoSize, media_file_ids, photo_file_ids
from steppe.domain.models import Action, Message
from steppe.store import rows
from steppe.store.db import Database, Db, IntegrityError
from steppe.store.rows import MESSAGE_COLUMNS
from steppe.store.store import Out


class StoredFile(msgspec.Struct):
    id: str
    blob: str
    size: int
    mime_type: str
    name: str
    owner_id: int
    created: int
    photo_id: int | None = None


class Upload(msgspec.Struct):
    id: str
    owner_id: int
    size: int
    part_size: int
    parts: int
    name: str
    mime_type: str
    created: int
    file_id: str | None = None


FILE_COLUMNS = "id, blob, size, mime_type, name, owner_id, created, photo_id"
UPLOAD_COLUMNS = "id, owner_id, size, part_size, parts, name, mime_type, created, file_id"
_sizes = msgspec.json.Decoder(list[PhotoSize])
_enc = msgspec.json.Encoder()

_LIVE_REF = ("EXISTS (SELECT 1 FROM message_files mf JOIN messages m ON m.chat_id = mf.chat_id"
             " AND m.id = mf.msg_id WHERE mf.file_id = f.id AND m.deleted = 0)")
_PROFILE_REF = "EXISTS (SELECT 1 FROM profile_photos p WHERE p.photo_id = f.photo_id)"


def file_not_found() -> RpcError:
    """The one answer for a file that does not exist and one the asker may not see."""
    return RpcError(404, "FILE_NOT_FOUND")


def _file(row: Any) -> StoredFile:
    return StoredFile(*row[:8])


def _upload(row: Any) -> Upload:
    return Upload(*row[:9])


def message_file_ids(msg: Message) -> list[str]:
    ids = media_file_ids(msg.media)
    if msg.action is not None:
        ids += photo_file_ids(msg.action.photo)
    return ids


async def link_message_files(db: Db, msg: Message) -> None:
    """Record which files a message being inserted shows (nothing for a plain message)."""
    if msg.media is None and (msg.action is None or msg.action.photo is None):
        return
    for file_id in dict.fromkeys(message_file_ids(msg)):
        if not await db.fetchval("SELECT count(*) FROM files WHERE id = $1", file_id):
            raise file_not_found()
        await db.execute("INSERT INTO message_files (chat_id, msg_id, file_id) VALUES ($1, $2, $3)"
                         " ON CONFLICT DO NOTHING", msg.chat_id, msg.id, file_id)


async def _insert_photo(db: Db, photo: Photo, owner: int, files: list[StoredFile]) -> None:
    for f in files:
        await db.execute(
            f"INSERT INTO files ({FILE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            f.id, f.blob, f.size, f.mime_type, f.name, f.owner_id, f.created, photo.id)
    await db.execute("INSERT INTO photos (id, owner_id, date, sizes) VALUES ($1, $2, $3, $4)",
                     photo.id, owner, photo.date, _enc.encode(photo.sizes).decode())


async def _photo(db: Db, photo_id: int) -> Photo | None:
    row = await db.fetchrow("SELECT id, date, sizes FROM photos WHERE id = $1", photo_id)
    return Photo(id=row[0], date=row[1], sizes=_sizes.decode(row[2])) if row else None


class _NotMember(Exception):
    """The sender of media to a basic chat is not in it at the write: undo the photos too."""


class FileStore:
    def __init__(self, database: Database):
        self.database = database

    # ---- uploads -------------------------------------------------------------------------------

    async def create_upload(self, upload: Upload, max_open: int, open_since: int) -> None:
        async def op(db: Db) -> None:
            count = await db.fetchval(
                "SELECT count(*) FROM uploads WHERE owner_id = $1 AND created >= $2"
                " AND file_id IS NULL", upload.owner_id, open_since)
            if count >= max_open:
                raise RpcError(400, "UPLOADS_TOO_MANY", f"at most {max_open} unfinished uploads")
            await db.execute(
                f"INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,NULL)",
                upload.id, upload.owner_id, upload.size, upload.part_size, upload.parts,
                upload.name, upload.mime_type, upload.created)

        await self.database.write(op)

    async def get_upload(self, upload_id: str) -> Upload | None:
        async def op(db: Db) -> Upload | None:
            row = await db.fetchrow(f"SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = $1",
                                    upload_id)
            return _upload(row) if row else None

        return await self.database.read(op)

    async def received_parts(self, upload_id: str) -> list[int]:
        async def op(db: Db) -> list[int]:
            found = await db.fetch(
                "SELECT part FROM upload_parts WHERE upload_id = $1 ORDER BY part", upload_id)
            return [r[0] for r in found]

        return await self.database.read(op)

    async def mark_part(self, upload_id: str, part: int) -> bool:
        """Record a part as received; False when the upload is gone or finished meanwhile."""

        async def op(db: Db) -> bool:
            live = await db.fetchval(
                "SELECT count(*) FROM uploads WHERE id = $1 AND file_id IS NULL", upload_id)
            if not live:
                return False
            await db.execute("INSERT INTO upload_parts (upload_id, part) VALUES ($1, $2)"
                             " ON CONFLICT DO NOTHING", upload_id, part)
            return True

        return await self.database.write(op)

    async def touch_blob(self, sha256: str, size: int, now: int) -> None:
        """Record (or freshen) a blob about to be stored: a fresh blob is safe from collection
        until the files that will reference it are written."""

        async def op(db: Db) -> None:
            await db.execute("INSERT INTO blobs (sha256, size, created) VALUES ($1, $2, $3)"
                             " ON CONFLICT (sha256) DO UPDATE SET created = $3", sha256, size, now)

        await self.database.write(op)

    async def finish_upload(self, upload_id: str, file: StoredFile) -> StoredFile:
        """Turn a complete upload into a file; an upload finished before returns its file."""

        async def op(db: Db) -> StoredFile:
            done = await db.fetchval("SELECT file_id FROM uploads WHERE id = $1", upload_id)
            if done:
                row = await db.fetchrow(f"SELECT {FILE_COLUMNS} FROM files WHERE id = $1", done)
                if row:
                    return _file(row)
            await db.execute(
                f"INSERT INTO files ({FILE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
                file.id, file.blob, file.size, file.mime_type, file.name, file.owner_id,
                file.created)
            await db.execute("UPDATE uploads SET file_id = $2 WHERE id = $1", upload_id, file.id)
            await db.execute("DELETE FROM upload_parts WHERE upload_id = $1", upload_id)
            return file

        return await self.database.write(op)

    # ---- files and who may see them ------------------------------------------------------------

    async def get_file(self, file_id: str) -> StoredFile | None:
        async def op(db: Db) -> StoredFile | None:
            row = await db.fetchrow(f"SELECT {FILE_COLUMNS} FROM files WHERE id = $1", file_id)
            return _file(row) if row else None

        return await self.database.read(op)

    async def may_see(self, file_id: str, viewer: int) -> bool:
        async def op(db: Db) -> bool:
            in_chat = await db.fetchval(
                "SELECT 1 FROM message_files mf"
                " JOIN members mb ON mb.chat_id = mf.chat_id AND mb.user_id = $2"
                " JOIN messages m ON m.chat_id = mf.chat_id AND m.id = mf.msg_id"
                " WHERE mf.file_id = $1 AND m.deleted = 0 AND NOT EXISTS (SELECT 1 FROM"
                " hidden_messages h WHERE h.user_id = $2 AND h.chat_id = m.chat_id"
                " AND h.msg_id = m.id) LIMIT 1", file_id, viewer)
            if in_chat:
                return True
            in_profile = await db.fetchval(
                "SELECT 1 FROM files f JOIN profile_photos p ON p.photo_id = f.photo_id"
                " WHERE f.id = $1 AND (p.user_id IS NOT NULL OR EXISTS (SELECT 1 FROM members mb"
                " WHERE mb.chat_id = p.chat_id AND mb.user_id = $2)) LIMIT 1", file_id, viewer)
            return bool(in_profile)

        return await self.database.read(op)

    async def get_photo(self, photo_id: int) -> Photo | None:
        async def op(db: Db) -> Photo | None:
            return await _photo(db, photo_id)

        return await self.database.read(op)

    # ---- messages with media -------------------------------------------------------------------

    async def send(self, templates: list[Message], random_ids: list[int | None],
                   photos: list[tuple[Photo, list[StoredFile]]]
                   ) -> tuple[list[Message], Out] | None:
        """Store new photos and append the messages (one album, or one message) to a private
        chat or basic group in one transaction, while the sender is in it: the write checks (on
        PostgreSQL after locking the chat's row); None, and nothing written, when not. Retried
        random_ids return the messages already stored."""
        from steppe.store.chats import _append_as, chat_lock

        sender = templates[0].sender_id
        lock = chat_lock(self.database)

        async def op(db: Db) -> tuple[list[Message], Out] | None:
            stored = await _by_random_ids(db, sender, random_ids)
            if stored is not None:
                return stored, []
            if lock is not None:
                await db.execute(lock, templates[0].chat_id)
            for photo, files in photos:
                await _insert_photo(db, photo, sender, files)
            sent, out = [], []
            for template, rid in zip(templates, random_ids, strict=True):
                got = await _append_as(db, template, rid, sender)
                if got is None:
                    raise _NotMember()
                sent.append(got[0])
                out.append(got[1])
            return sent, out

        try:
            return await self.database.write(op)
        except _NotMember:
            return None

    async def by_random_ids(self, sender: int, random_ids: list[int | None]
                            ) -> list[Message] | None:
        async def op(db: Db) -> list[Message] | None:
            return await _by_random_ids(db, sender, random_ids)

        return await self.database.read(op)

    # ---- profile photos ------------------------------------------------------------------------

    async def add_profile_photo(self, owner: int, photo: Photo, files: list[StoredFile], *,
                                chat_id: int | None = None) -> Out:
        """A new current photo of user `owner`, or (with `chat_id`) of that chat, set by `owner`
        with a service message."""
        from steppe.store.chats import _service

        async def op(db: Db) -> Out:
            await _insert_photo(db, photo, owner, files)
            await db.execute(
                "INSERT INTO profile_photos (user_id, chat_id, photo_id, date) VALUES ($1,$2,$3,$4)",
                None if chat_id else owner, chat_id, photo.id, photo.date)
            if chat_id is None:
                return []
            action = Action("chat_edit_photo", photo=photo)
            return [await _service(db, chat_id, owner, photo.date, action)]

        return await self.database.write(op)

    async def clear_chat_photo(self, chat_id: int, actor: int, now: int) -> Out:
        from steppe.store.chats import _service

        async def op(db: Db) -> Out:
            if not await db.execute("DELETE FROM profile_photos WHERE chat_id = $1", chat_id):
                return []
            return [await _service(db, chat_id, actor, now, Action("chat_delete_photo"))]

        return await self.database.write(op)

    async def profile_photos(self, *, user_id: int | None = None, chat_id: int | None = None,
                             offset: int = 0, limit: int = 100) -> tuple[list[Photo], int]:
        """Newest first, with the total count."""
        column, value = ("user_id", user_id) if user_id is not None else ("chat_id", chat_id)

        async def op(db: Db) -> tuple[list[Photo], int]:
            total = await db.fetchval(
                f"SELECT count(*) FROM profile_photos WHERE {column} = $1", value)
            found = await db.fetch(
                f"SELECT photo_id FROM profile_photos WHERE {column} = $1 ORDER BY id DESC"
                " LIMIT $2 OFFSET $3", value, limit, offset)
            photos = [await _photo(db, r[0]) for r in found]
            return [p for p in photos if p is not None], total

        return await self.database.read(op)

    async def current_photos(self, user_ids: list[int], chat_ids: list[int]
                             ) -> tuple[dict[int, Photo], dict[int, Photo]]:
        async def op(db: Db) -> tuple[dict[int, Photo], dict[int, Photo]]:
            out: tuple[dict[int, Photo], dict[int, Photo]] = ({}, {})
            for column, ids, into in (("user_id", user_ids, out[0]), ("chat_id", chat_ids, out[1])):
                for key in dict.fromkeys(ids):
                    photo_id = await db.fetchval(
                        f"SELECT photo_id FROM profile_photos WHERE {column} = $1"
                        " ORDER BY id DESC LIMIT 1", key)
                    photo = await _photo(db, photo_id) if photo_id else None
                    if photo is not None:
                        into[key] = photo
            return out

        return await self.database.read(op)

    async def delete_profile_photos(self, user_id: int, photo_ids: list[int]) -> list[int]:
        async def op(db: Db) -> list[int]:
            gone = []
            for photo_id in photo_ids:
                if await db.execute("DELETE FROM profile_photos WHERE user_id = $1"
                                    " AND photo_id = $2", user_id, photo_id):
                    gone.append(photo_id)
            return gone

        return await self.database.write(op)

    # ---- collection ----------------------------------------------------------------------------

    async def expired_uploads(self, before: int, limit: int) -> list[str]:
        async def op(db: Db) -> list[str]:
            found = await db.fetch("SELECT id FROM uploads WHERE created < $1 LIMIT $2",
                                   before, limit)
            return [r[0] for r in found]

        return await self.database.read(op)

    async def delete_uploads(self, ids: list[str]) -> None:
        async def op(db: Db) -> None:
            for upload_id in ids:
                await db.execute("DELETE FROM upload_parts WHERE upload_id = $1", upload_id)
                await db.execute("DELETE FROM uploads WHERE id = $1", upload_id)

        await self.database.write(op)

    async def collect_files(self, before: int, limit: int) -> int:
        """Delete files created before `before` that no live message or profile references."""

        async def op(db: Db) -> int:
            found = await db.fetch(
                f"SELECT f.id FROM files f WHERE f.created < $1 AND NOT {_LIVE_REF}"
                f" AND NOT {_PROFILE_REF} LIMIT $2", before, limit)
            for r in found:
                await db.execute("DELETE FROM message_files WHERE file_id = $1", r[0])
                await db.execute("DELETE FROM files WHERE id = $1", r[0])
            await db.execute(
                "DELETE FROM photos WHERE date < $1 AND NOT EXISTS (SELECT 1 FROM files f"
                " WHERE f.photo_id = photos.id) AND NOT EXISTS (SELECT 1 FROM profile_photos p"
                " WHERE p.photo_id = photos.id)", before)
            return len(found)

        return await self.database.write(op)

    async def unreferenced_blobs(self, before: int, limit: int) -> list[str]:
        async def op(db: Db) -> list[str]:
            found = await db.fetch(
                "SELECT sha256 FROM blobs b WHERE b.created < $1 AND NOT EXISTS"
                " (SELECT 1 FROM files f WHERE f.blob = b.sha256) LIMIT $2", before, limit)
            return [r[0] for r in found]

        return await self.database.read(op)

    async def drop_blob(self, sha256: str, before: int) -> bool:
        """Forget a blob if it is still old and unreferenced; True when the caller may delete
        its contents."""

        async def op(db: Db) -> bool:
            n = await db.execute(
                "DELETE FROM blobs WHERE sha256 = $1 AND created < $2 AND NOT EXISTS"
                " (SELECT 1 FROM files f WHERE f.blob = blobs.sha256)", sha256, before)
            return bool(n)

        return await self.database.write(op)

    async def signing_key(self, fresh: str) -> str:
        """The server's key for signed download URLs: `fresh` unless one was stored before."""

        async def op(db: Db) -> str:
            try:
                await db.execute("INSERT INTO file_keys (id, secret) VALUES (1, $1)"
                                 " ON CONFLICT DO NOTHING", fresh)
            except IntegrityError:
                pass
            return str(await db.fetchval("SELECT secret FROM file_keys WHERE id = 1"))

        return await self.database.write(op)


async def _by_random_ids(db: Db, sender: int, random_ids: list[int | None]
                         ) -> list[Message] | None:
    """The messages already sent with these random_ids (all of them), or None when none was;
    a partial match means the ids were reused for something else."""
    if any(rid is None for rid in random_ids):
        return None
    found = []
    for rid in random_ids:
        row = await db.fetchrow(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE sender_id = $1 AND random_id = $2",
            sender, rid)
        if row:
            found.append(rows.message(row))
    if not found:
        return None
    if len(found) != len(random_ids):
        raise RpcError(400, "RANDOM_ID_DUPLICATE")
    return found
