"""@BotFather: the built-in bot users chat with to create and manage their bots. It is a bot
account like any other and reads its updates from the same feed, only in-process."""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from steppe.domain.bots import BotCommand
from steppe.domain.entities import Entity, utf16_len
from steppe.domain.errors import RpcError
from steppe.domain.markup import KeyboardButton, ReplyMarkup
from steppe.domain.models import Message
from steppe.services.botfeed import BotFeed
from steppe.services.bots import BotService
from steppe.services.core import Core

log = logging.getLogger(__name__)

COMMANDS = [
    ("newbot", "create a new bot"), ("mybots", "list your bots"),
    ("setname", "change a bot's name"), ("setdescription", "change bot description"),
    ("setabouttext", "change bot about info"), ("setcommands", "change the list of commands"),
    ("setprivacy", "set privacy mode in groups"), ("token", "about your bot's token"),
    ("revoke", "revoke bot access token"), ("deletebot", "delete a bot"),
    ("cancel", "cancel the current operation"),
]
HELP = ("I can help you create and manage Steppe bots.\n\nYou can control me by sending these "
        "commands:\n\n" + "\n".join(f"/{c} - {d}" for c, d in COMMANDS))
CHOOSE = {"setname": "change name", "setdescription": "change description",
          "setabouttext": "change about text", "setcommands": "change the list of commands",
          "setprivacy": "change privacy settings", "token": "see its token",
          "revoke": "generate a new token", "deletebot": "delete"}
ASK = {
    "setname": "OK. Send me the new name for your bot.",
    "setdescription": "OK. Send me the new description for the bot. People will see this "
                      "description when they open a chat with your bot, in a block titled "
                      "'What can this bot do?'.",
    "setabouttext": "OK. Send me the new 'About' text. People will see this text on the bot's "
                    "profile page.",
    "setcommands": "OK. Send me a list of commands for your bot. Please use this format:\n\n"
                   "command1 - Description\ncommand2 - Another description",
    "deletebot": "OK, you selected @{u}. Are you sure?\n\nSend 'Yes, I am totally sure.' to "
                 "confirm you really want to delete this bot.",
}
SURE = "Yes, I am totally sure."


class Reply(msgspec.Struct):
    text: str
    entities: list[Entity] = []
    reply_markup: ReplyMarkup | None = None


def _keyboard(labels: list[str]) -> ReplyMarkup:
    return ReplyMarkup(keyboard=[[KeyboardButton(text=t)] for t in labels], resize_keyboard=True,
                       one_time_keyboard=True)


_REMOVE = ReplyMarkup(remove_keyboard=True)


def _with_code(before: str, code: str, after: str = "") -> Reply:
    return Reply(before + code + after, [Entity("code", utf16_len(before), utf16_len(code))])


class BotFather:
    def __init__(self, core: Core, bots: BotService, feed: BotFeed):
        self.core = core
        self.bots = bots
        self.feed = feed
        self.store = bots.store

    async def start(self) -> None:
        father = await self.bots.ensure_botfather()
        self.feed.internal[father] = self.handle
        self.feed.bot_ids.add(father)
        await self.bots.set_commands(father, [BotCommand(c, d) for c, d in COMMANDS])

    async def handle(self, kind: str, payload: dict[str, Any]) -> None:
        if kind != "message":
            return
        msg = msgspec.convert(payload["message"], Message)
        if msg.action is not None or not msg.text:
            return
        chat, member = await self.core.chats.chat_and_member(msg.chat_id, self.bots.father_id)
        if chat is None or member is None or chat.kind != "private":
            return
        reply = await self.respond(msg.sender_id, msg.text.strip())
        template = Message(chat_id=chat.id, id=0, sender_id=self.bots.father_id, date=0,
                           text=reply.text, entities=reply.entities, reply_markup=reply.reply_markup)
        await self.bots.send(self.bots.father_id, chat, member, template, rate=False)

    async def respond(self, user_id: int, text: str) -> Reply:
        if text.startswith("/"):
            await self.store.set_father_state(user_id, None)
            return await self._command(user_id, text.split()[0][1:].split("@")[0].lower())
        state = await self.store.father_state(user_id)
        if state is None:
            return Reply("I don't understand. Send /help for the list of commands.")
        name, data = state
        step, _, phase = name.partition(":")
        if step == "newbot":
            return await self._newbot(user_id, phase, data, text)
        if phase == "choose":
            return await self._chosen(user_id, step, text)
        return await self._value(user_id, step, int(data), text)

    async def _command(self, user_id: int, cmd: str) -> Reply:
        if cmd in ("start", "help"):
            return Reply(HELP)
        if cmd == "cancel":
            return Reply("The command was cancelled. Anything else I can do for you?",
                         reply_markup=_REMOVE)
        if cmd == "newbot":
            await self.store.set_father_state(user_id, "newbot:name")
            return Reply("Alright, a new bot. How are we going to call it? Please choose a name "
                         "for your bot.")
        mine = await self.bots.mine(user_id)
        if cmd == "mybots":
            if not mine:
                return Reply("You have currently no bots. Use /newbot to create one.")
            return Reply("Here are your bots:\n" + "\n".join(f"@{u.username}" for u in mine))
        if cmd in CHOOSE:
            if not mine:
                return Reply("You have currently no bots. Use /newbot to create one.")
            await self.store.set_father_state(user_id, f"{cmd}:choose")
            return Reply(f"Choose a bot to {CHOOSE[cmd]}.",
                         reply_markup=_keyboard([f"@{u.username}" for u in mine]))
        return Reply("Unrecognized command. Say what?")

    async def _newbot(self, user_id: int, phase: str, data: str, text: str) -> Reply:
        if phase == "name":
            if not text or len(text) > 64 or "\n" in text:
                return Reply("Sorry, this name is invalid. Please choose a name up to 64 "
                             "characters on one line.")
            await self.store.set_father_state(user_id, "newbot:username", text)
            return Reply("Good. Now let's choose a username for your bot. It must end in `bot`. "
                         "Like this, for example: TetrisBot or tetris_bot.")
        try:
            user, token = await self.bots.create(user_id, text, data)
        except RpcError as err:
            if err.type == "USERNAME_OCCUPIED":
                return Reply("Sorry, this username is already taken. Please try something "
                             "different.")
            return Reply("Sorry, this username is invalid. It must be 5-32 characters of a-z, "
                         "0-9 and underscores, and end in 'bot'.")
        await self.store.set_father_state(user_id, None)
        return _with_code(
            f"Done! Congratulations on your new bot. You will find it at @{user.username}. "
            "You can now add a description, about section and commands for your bot, see "
            "/help for a list of commands.\n\nUse this token to access the HTTP API:\n", token,
            "\nKeep your token secure and store it safely, it can be used by anyone to control "
            "your bot.")

    async def _chosen(self, user_id: int, cmd: str, text: str) -> Reply:
        try:
            user, bot = await self.bots.owned(user_id, text)
        except RpcError:
            return Reply("Invalid bot selected.")
        if cmd == "token":
            await self.store.set_father_state(user_id, None)
            return Reply(f"Steppe keeps only a hash of @{user.username}'s token, so it cannot "
                         "show it again. Send /revoke to issue a new token.", reply_markup=_REMOVE)
        if cmd == "revoke":
            await self.store.set_father_state(user_id, None)
            token = await self.bots.revoke(bot.user_id)
            return _with_code(f"Token for the bot @{user.username} has been revoked. New token "
                              "is:\n", token)
        await self.store.set_father_state(user_id, f"{cmd}:value", str(bot.user_id))
        if cmd == "setprivacy":
            status = "ENABLED" if bot.privacy else "DISABLED"
            return Reply("'Enable' - your bot will only receive messages that either start with "
                         "the '/' symbol or mention the bot by username.\n'Disable' - your bot "
                         "will receive all messages that people send to groups.\nCurrent status "
                         f"is: {status}", reply_markup=_keyboard(["Enable", "Disable"]))
        return Reply(ASK[cmd].format(u=user.username), reply_markup=_REMOVE)

    async def _value(self, user_id: int, cmd: str, bot_id: int, text: str) -> Reply:
        try:
            done = await self._apply(cmd, bot_id, text)
        except RpcError as err:
            return Reply(f"Sorry, that didn't work ({err.type}). Please try again, or /cancel.")
        if done is None:
            return Reply("Sorry, I didn't get that. Please try again, or /cancel.")
        await self.store.set_father_state(user_id, None)
        return Reply(done, reply_markup=_REMOVE)

    async def _apply(self, cmd: str, bot_id: int, text: str) -> str | None:
        if cmd == "setname":
            await self.bots.set_name(bot_id, text)
            return "Success! Name updated. /help"
        if cmd == "setdescription":
            await self.bots.set_description(bot_id, text)
            return "Success! Description updated. /help"
        if cmd == "setabouttext":
            await self.bots.set_about(bot_id, text)
            return "Success! About section updated. /help"
        if cmd == "setcommands":
            items = [line.partition("-") for line in text.splitlines() if line.strip()]
            await self.bots.set_commands(bot_id, [BotCommand(c.strip(), d.strip())
                                                  for c, _, d in items])
            return "Success! Command list updated. /help"
        if cmd == "setprivacy":
            if text.lower() not in ("enable", "disable"):
                return None
            await self.bots.set_privacy(bot_id, text.lower() == "enable")
            status = "ENABLED" if text.lower() == "enable" else "DISABLED"
            return f"Success! The new status is: {status}. /help"
        if cmd == "deletebot":
            if text != SURE:
                return None
            await self.bots.delete(bot_id)
            return "Done! The bot is gone. /help"
        return None
