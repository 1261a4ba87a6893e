"""Forum topics: a supergroup can be a forum whose messages belong to topics (create, rename,
close, hide, pin)."""

from __future__ import annotations

import msgspec

from steppe.domain import access, limits
from steppe.domain.channels import ForumTopic
from steppe.domain.errors import bad_request
from steppe.services.channel_messages import ChannelMessages
from steppe.services.chats import Peer


class Topics(msgspec.Struct):
    topics: list[ForumTopic]


def clean_title(title: str) -> str:
    title = title.strip()
    if not title or len(title) > limits.FORUM_TOPIC_TITLE_MAX or "\n" in title:
        raise bad_request("TOPIC_TITLE_INVALID")
    return title


class TopicService:
    def __init__(self, messages: ChannelMessages):
        self.messages = messages
        self.core = messages.core
        self.posts = messages.posts

    async def create(self, actor: int, peer: Peer, title: str, icon_color: int) -> ForumTopic:
        c = await self.messages.channels.ctx(actor, peer)
        access.check_megagroup(c.chat)
        access.check_topic_create(c.chat, c.info, c.p)
        if not 0 <= icon_color < 2**24:
            raise bad_request("COLOR_INVALID")
        topic, out = await self.posts.create_topic(c.chat.id, actor, clean_title(title),
                                                   icon_color, self.core.clock.now())
        self.core.publish(out)
        return topic

    async def edit(self, actor: int, peer: Peer, topic_id: int, *, title: str | None = None,
                   closed: bool | None = None, hidden: bool | None = None,
                   pinned: bool | None = None) -> ForumTopic:
        c = await self.messages.channels.ctx(actor, peer)
        access.check_megagroup(c.chat)
        topic = await self.posts.topic(c.chat.id, topic_id) if c.info.forum else None
        if topic is None:
            raise bad_request("TOPIC_ID_INVALID")
        access.check_topic_edit(c.p, topic, pin=pinned is not None or hidden is not None)
        title = clean_title(title) if title is not None else None
        unchanged = (title in (None, topic.title) and closed in (None, topic.closed)
                     and hidden in (None, topic.hidden) and pinned in (None, topic.pinned))
        if unchanged:
            raise bad_request("TOPIC_NOT_MODIFIED")
        edited, out = await self.posts.edit_topic(
            c.chat.id, topic_id, actor, self.core.clock.now(),
            title=title if title != topic.title else None,
            closed=closed if closed != topic.closed else None,
            hidden=hidden if hidden != topic.hidden else None,
            pinned=pinned if pinned != topic.pinned else None)
        self.core.publish(out)
        return edited

    async def list(self, actor: int, peer: Peer, offset_id: int, limit: int) -> Topics:
        c = await self.messages.channels.ctx(actor, peer, preview=True)
        if not c.info.forum:
            raise bad_request("CHANNEL_FORUM_MISSING")
        found = await self.posts.topics(c.chat.id, max(0, offset_id), max(1, min(limit, 100)))
        return Topics(topics=found)
