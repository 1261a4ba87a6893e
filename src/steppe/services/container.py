"""All services, wired once from a `Core`."""

from __future__ import annotations

from dataclasses import dataclass

from steppe.services.auth import AuthService
from steppe.services.botsuite import BotSuite
from steppe.services.channelsuite import ChannelSuite
from steppe.services.chats import ChatService
from steppe.services.codes import CodeSender
from steppe.services.core import Core
from steppe.services.files import FileService
from steppe.services.media import MediaService, file_services
from steppe.services.messages import MessageService
from steppe.services.search import SearchService
from steppe.services.stats import StatsService
from steppe.services.sync import SyncService
from steppe.services.users import UserService


@dataclass
class Services:
    core: Core
    auth: AuthService
    users: UserService
    chats: ChatService
    messages: MessageService
    sync: SyncService
    bots: BotSuite
    search: SearchService
    stats: StatsService
    files: FileService
    media: MediaService
    channels: ChannelSuite

    @classmethod
    def build(cls, core: Core, codes: CodeSender) -> Services:
        users = UserService(core)
        chats = ChatService(core, users)
        auth, stats = AuthService(core, codes), StatsService(core)
        auth.on_active = stats.note_active
        messages = MessageService(core, chats)
        channels = ChannelSuite.build(core, users, chats, messages)
        files = file_services(core, chats, messages)
        return cls(core=core, auth=auth, users=users, chats=chats,
                   messages=messages, sync=SyncService(core), channels=channels,
                   bots=BotSuite.build(core, users, chats, messages, files["media"], channels),
                   search=SearchService(core, chats, users), stats=stats, **files)
