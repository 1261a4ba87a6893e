"""All services, wired once from a `Core`."""

from __future__ import annotations

from dataclasses import dataclass

from steppe.services.auth import AuthService
from steppe.services.chats import ChatService
from steppe.services.codes import CodeSender
from steppe.services.core import Core
from steppe.services.messages import MessageService
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

    @classmethod
    def build(cls, core: Core, codes: CodeSender) -> Services:
        users = UserService(core)
        chats = ChatService(core, users)
        return cls(core=core, auth=AuthService(core, codes), users=users, chats=chats,
                   messages=MessageService(core, chats), sync=SyncService(core))
