"""The update sequence: what a device applies, in order, to stay in step.

Chat events carry the chat's `pts` and go to every member's devices. Account events carry the
user's own `seq`. Ephemeral events (typing, online status) carry neither: missing one loses nothing.
Every event is encoded once, stored as those bytes, and sent as those bytes to every device.
"""

from __future__ import annotations

import msgspec

from steppe.domain.channels import ChatInfo, ForumTopic, Participant
from steppe.domain.markup import Poll
from steppe.domain.models import Authorization, Chat, Message, ReactionCount, User


class ChatEvent(msgspec.Struct, tag_field="type", omit_defaults=True):
    chat_id: int
    pts: int
    date: int


class NewMessage(ChatEvent, tag="new_message"):
    message: Message


class EditMessage(ChatEvent, tag="edit_message"):
    message: Message


class DeleteMessages(ChatEvent, tag="delete_messages"):
    ids: list[int]


class PinMessage(ChatEvent, tag="pin_message"):
    id: int
    pinned: bool


class ReadHistory(ChatEvent, tag="read_history"):
    user_id: int
    max_id: int


class UserEvent(msgspec.Struct, tag_field="type", omit_defaults=True):
    seq: int
    date: int


class JoinChat(UserEvent, tag="join_chat"):
    chat: Chat
    pts: int  # the chat's pts just before the event that let this user in


class LeaveChat(UserEvent, tag="leave_chat"):
    chat_id: int
    migrated_to: int | None = None  # a basic group upgraded to this supergroup


class DeleteForMe(UserEvent, tag="delete_for_me"):
    chat_id: int
    ids: list[int]


class ProfileChanged(UserEvent, tag="profile"):
    user: User


class NewAuthorization(UserEvent, tag="new_authorization"):
    authorization: Authorization


class ContactsChanged(UserEvent, tag="contacts"):
    added: list[User] = []
    removed: list[int] = []


class PasswordChanged(UserEvent, tag="password"):
    has_password: bool


class DialogPinned(UserEvent, tag="dialog_pin"):
    chat_id: int
    pinned: bool


class Typing(msgspec.Struct, tag_field="type", tag="typing"):
    chat_id: int
    user_id: int
    action: str


class UserUpdated(msgspec.Struct, tag_field="type", tag="user_update"):
    """Someone's public profile changed (names, username, bio): sent to the private chats
    they are in, so open chat lists and headers show it at once."""

    user: User


class UserStatus(msgspec.Struct, tag_field="type", tag="user_status"):
    user_id: int
    online: bool
    last_seen: int


# ---- supergroups and channels (issue 5) ------------------------------------------------------

class MessageReactions(ChatEvent, tag="message_reactions"):
    """The counts on a message after `user_id` set their reactions to `chosen`."""

    id: int
    reactions: list[ReactionCount]
    user_id: int
    chosen: list[str] = []
    old: list[str] = []  # what the user had chosen before (the Bot API's old_reaction)


class MessagePoll(ChatEvent, tag="message_poll"):
    """A poll's live results (and, once closed, its correct answer)."""

    id: int
    poll: Poll


class ChatInfoChanged(ChatEvent, tag="chat_info"):
    """A supergroup's or channel's settings (or any chat's reactions) after a change."""

    info: ChatInfo
    title: str = ""


class ForumTopicChanged(ChatEvent, tag="forum_topic"):
    topic: ForumTopic


class ReadChannelInbox(UserEvent, tag="read_channel_inbox"):
    """The user read a supergroup or channel up to `max_id` (an account event, not a chat one:
    a channel's readers would flood its log)."""

    chat_id: int
    max_id: int


class ChatRights(UserEvent, tag="chat_rights"):
    """The user's own standing in a supergroup or channel changed (promoted, restricted ...)."""

    chat_id: int
    participant: Participant


class NewScheduled(UserEvent, tag="new_scheduled"):
    message: Message


class DeleteScheduled(UserEvent, tag="delete_scheduled"):
    chat_id: int
    ids: list[int]
    sent: bool = False


class ReadChannelOutbox(msgspec.Struct, tag_field="type", tag="read_channel_outbox"):
    """Ephemeral: someone read a supergroup up to `max_id` (members update their outbox)."""

    chat_id: int
    user_id: int
    max_id: int


AnyChatEvent = (NewMessage | EditMessage | DeleteMessages | PinMessage | ReadHistory
                | MessageReactions | MessagePoll | ChatInfoChanged | ForumTopicChanged)
AnyUserEvent = (
    JoinChat
    | LeaveChat
    | DeleteForMe
    | ProfileChanged
    | NewAuthorization
    | ContactsChanged
    | PasswordChanged
    | DialogPinned
    | ReadChannelInbox
    | ChatRights
    | NewScheduled
    | DeleteScheduled
)

_encoder = msgspec.json.Encoder()
encode = _encoder.encode


def is_next(local: int, incoming: int) -> str:
    """How a device treats an incoming counter: 'apply', 'skip' (seen) or 'gap' (fetch the difference)."""
    if incoming <= local:
        return "skip"
    if incoming == local + 1:
        return "apply"
    return "gap"
