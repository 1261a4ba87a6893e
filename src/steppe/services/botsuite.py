"""Everything bots need on the service side, wired together once."""

from __future__ import annotations

from dataclasses import dataclass

from steppe.services.botfather import BotFather
from steppe.services.botfeed import BotFeed
from steppe.services.botqueries import BotQueries
from steppe.services.bots import BotService
from steppe.services.chats import ChatService
from steppe.services.core import Core
from steppe.services.users import UserService


@dataclass
class BotSuite:
    accounts: BotService
    feed: BotFeed
    queries: BotQueries
    father: BotFather

    @classmethod
    def build(cls, core: Core, users: UserService, chats: ChatService) -> BotSuite:
        accounts = BotService(core, users)
        feed = BotFeed(core, accounts.store)
        return cls(accounts=accounts, feed=feed, queries=BotQueries(core, accounts, feed, chats),
                   father=BotFather(core, accounts, feed))

    async def start(self) -> None:
        await self.father.start()
        await self.feed.start()

    async def stop(self) -> None:
        await self.feed.stop()
