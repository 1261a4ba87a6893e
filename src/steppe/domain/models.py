"""The entities every layer speaks of. Plain msgspec structs: no I/O, cheap to encode."""

from __future__ import annotations

import msgspec

from steppe.domain.entities import Entity
from steppe.domain.markup import Contact, Dice, Location, Poll, ReplyMarkup, Venue
from steppe.domain.media import Media, Photo


class User(msgspec.Struct, omit_defaults=True):
    id: int
    first_name: str
    last_name: str = ""
    username: str | None = None
    phone: str | None = None
    bio: str = ""
    is_bot: bool = False
    is_self: bool = False
    is_contact: bool = False
    online: bool = False
    last_seen: int = 0


class Account(msgspec.Struct):
    """What the server alone knows of a user."""

    user: User
    country: str
    password_hash: str | None
    password_hint: str
    seq: int


class Forward(msgspec.Struct, omit_defaults=True):
    from_user_id: int
    date: int
    from_chat_id: int | None = None
    from_msg_id: int | None = None


class Action(msgspec.Struct, omit_defaults=True):
    """A service message: what happened to the chat itself."""

    type: str  # chat_create | chat_add_user | chat_delete_user | chat_edit_title
    title: str | None = None
    user_ids: list[int] = []
    photo: Photo | None = None  # chat_edit_photo (chat_delete_photo carries none)
    # Supergroups and channels (issue 5): chat_migrate_to / channel_migrate_from name the other
    # chat; topic_create / topic_edit carry the topic's state.
    chat_id: int | None = None
    closed: bool | None = None
    icon_color: int | None = None


class Message(msgspec.Struct, omit_defaults=True):
    chat_id: int
    id: int
    sender_id: int
    date: int
    text: str = ""
    entities: list[Entity] = []
    reply_to: int | None = None
    fwd_from: Forward | None = None
    edit_date: int | None = None
    pinned: bool = False
    action: Action | None = None
    # Bots (issue 7): keyboards, the bot a message was sent via, and the kinds bots send.
    reply_markup: ReplyMarkup | None = None
    via_bot_id: int | None = None
    location: Location | None = None
    venue: Venue | None = None
    contact: Contact | None = None
    dice: Dice | None = None
    poll: Poll | None = None
    # Files and media (issue 6): set only by the media service, never from a client's draft.
    media: Media | None = None
    grouped_id: int | None = None  # an album: messages sent together share it
    # Supergroups and channels (issue 5). `thread_id`: the forum topic, or the root of the reply
    # thread (comments); counters are kept by the server, never taken from a client.
    silent: bool = False
    schedule_date: int | None = None  # set only while the message waits to be sent
    from_scheduled: bool = False
    thread_id: int | None = None
    post_author: str | None = None  # a channel post's signature
    views: int | None = None
    forwards: int | None = None
    replies: Replies | None = None
    reactions: list[ReactionCount] = []


class Replies(msgspec.Struct, omit_defaults=True):
    """A message's thread: how many replies, the last one, and for a channel post the
    discussion group the comments live in."""

    count: int = 0
    max_id: int | None = None
    chat_id: int | None = None


class ReactionCount(msgspec.Struct):
    reaction: str
    count: int


class Draft(msgspec.Struct, omit_defaults=True, kw_only=True):
    """What a sender asks to send. Issues that add message kinds add their fields here and on
    `Message`; fields beyond the base columns are stored in the message's `extra` JSON."""

    text: str = ""
    entities: list[Entity] = []
    reply_to: int | None = None
    random_id: int | None = None
    silent: bool = False  # issue 5: no notification
    schedule_date: int | None = None  # issue 5: send later
    thread_id: int | None = None  # issue 5: the forum topic


class Chat(msgspec.Struct, omit_defaults=True):
    id: int
    kind: str  # private | group | supergroup | channel
    title: str = ""
    creator_id: int = 0
    pts: int = 0
    top_msg_id: int = 0
    last_date: int = 0
    member_count: int = 0
    user_ids: list[int] = []  # private: the two (or one, for Saved Messages) users


class Member(msgspec.Struct):
    chat_id: int
    user_id: int
    role: str  # creator | admin | member
    inviter_id: int
    joined: int
    read_inbox_max_id: int = 0
    pinned: int = 0


class Dialog(msgspec.Struct, omit_defaults=True):
    chat: Chat
    top_message: Message | None = None
    unread_count: int = 0
    read_inbox_max_id: int = 0
    read_outbox_max_id: int = 0
    pinned: bool = False
    peer_user_id: int | None = None


class Authorization(msgspec.Struct, omit_defaults=True):
    id: int
    user_id: int
    device: str
    app: str
    ip: str
    created: int
    last_active: int
    current: bool = False


class LoginCode(msgspec.Struct):
    hash_id: str
    phone: str
    code_hash: str
    expires: int
    attempts: int
    state: str  # sent | verified | used
