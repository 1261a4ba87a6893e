"""Everything bots need on the service side, wired together once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from steppe.services.botfather import BotFather
from steppe.services.botfeed import BotFeed
from steppe.services.botqueries import BotQueries
from steppe.services.bots import BotService
from steppe.services.chats import ChatService
from steppe.services.core import Core
from steppe.services.users import UserService

if TYPE_CHECKING:
    from steppe.services.channelsuite import ChannelSuite
    from steppe.services.media import MediaService
    from steppe.services.messages import MessageService


@dataclass
class BotSuite:
    accounts: BotService
    feed: BotFeed
    queries: BotQueries
    father: BotFather

    @classmethod
    def build(cls, core: Core, users: UserService, chats: ChatService,
              messages: MessageService | None = None, media: MediaService | None = None,
              channels: ChannelSuite | None = None) -> BotSuite:
        accounts = BotService(core, users, messages, media)
        feed = BotFeed(core, accounts.store)
        if channels is not None:  # what no chat log shows: standing changes, requests, votes
            accounts.channels = channels.channels
            channels.channels.member_hooks.append(feed.member_changed)
            channels.invites.request_hooks.append(feed.join_request)
            channels.polls.vote_hooks.append(feed.poll_answer)
        return cls(accounts=accounts, feed=feed, queries=BotQueries(core, accounts, feed, chats),
                   father=BotFather(core, accounts, feed))

    async def start(self) -> None:
        await self.father.start()
        await self.feed.start()

    async def stop(self) -> None:
        await self.feed.stop()
