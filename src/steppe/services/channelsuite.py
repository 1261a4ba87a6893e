"""Supergroups and channels (issue 5): their services wired together, hooked into
`MessageService`, and the background jobs the app runs for them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from steppe.services.channel_messages import ChannelMessages
from steppe.services.channels import ChannelService
from steppe.services.chats import ChatService
from steppe.services.core import Core
from steppe.services.invites import InviteService
from steppe.services.messages import MessageService
from steppe.services.polls import PollService
from steppe.services.reactions import ReactionService
from steppe.services.scheduled import ScheduledService
from steppe.services.topics import TopicService
from steppe.services.users import UserService

log = logging.getLogger(__name__)
VIEWS_FLUSH_SECONDS = 5.0
SCHEDULE_TICK_SECONDS = 1.0


@dataclass
class ChannelSuite:
    channels: ChannelService
    invites: InviteService
    messages: ChannelMessages
    scheduled: ScheduledService
    reactions: ReactionService
    polls: PollService
    topics: TopicService

    @classmethod
    def build(cls, core: Core, users: UserService, chats: ChatService,
              messages: MessageService) -> ChannelSuite:
        channels = ChannelService(core, users, chats)
        posts = ChannelMessages(core, chats, channels)
        messages.ext = posts
        return cls(channels=channels, invites=InviteService(channels), messages=posts,
                   scheduled=ScheduledService(posts), reactions=ReactionService(posts),
                   polls=PollService(posts), topics=TopicService(posts))

    async def start(self) -> None:
        """At start-up: send what fell due while the server was down."""
        await self.scheduled.tick()

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return [self.scheduled.run(SCHEDULE_TICK_SECONDS), self._flush_views()]

    async def _flush_views(self) -> None:
        while True:
            await asyncio.sleep(VIEWS_FLUSH_SECONDS)
            try:
                await self.messages.views.flush()
            except Exception:
                log.exception("flushing views failed")

    async def stop(self) -> None:
        await self.messages.views.flush()
