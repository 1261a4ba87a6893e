"""`steppe admin bot create|list|revoke`: bots from the command line, without @BotFather."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from steppe.domain.errors import RpcError


def _run(args: argparse.Namespace, work: Any) -> Any:
    from steppe.cli import _with_app

    try:
        return asyncio.run(_with_app(args, work))
    except RpcError as err:
        sys.exit(f"{err.type}: {err.message}" if err.message else err.type)


async def _owner(app: Any, phone: str | None) -> int:
    if not phone:
        return 0
    from steppe.domain.phone import normalize_phone

    user = await app.core.store.user_by_phone(normalize_phone(phone)[0])
    if user is None:
        raise RpcError(400, "PHONE_NUMBER_INVALID", "no account has this phone number")
    return int(user.id)


def create(args: argparse.Namespace) -> None:
    async def work(app: Any) -> Any:
        owner = await _owner(app, args.owner)
        return await app.services.bots.accounts.create(owner, args.username,
                                                       args.name or args.username)

    user, token = _run(args, work)
    print(f"created @{user.username} (id {user.id})\ntoken: {token}")


def revoke(args: argparse.Namespace) -> None:
    async def work(app: Any) -> Any:
        accounts = app.services.bots.accounts
        user = await app.core.store.user_by_username(args.username.lstrip("@"))
        if user is None or await accounts.get(user.id) is None:
            raise RpcError(400, "BOT_INVALID", "no such bot")
        return await accounts.revoke(user.id)

    print(f"new token: {_run(args, work)}")


def add_commands(admin: Any) -> None:
    p_bot = admin.add_parser("bot", help="create bots and manage their tokens")
    bot = p_bot.add_subparsers(dest="bot_command", required=True)
    p_create = bot.add_parser("create", help="create a bot and print its token")
    p_create.add_argument("username", help="the bot's username (must end in 'bot')")
    p_create.add_argument("--name", help="display name (default: the username)")
    p_create.add_argument("--owner", help="phone number of the owning account (default: none)")
    p_create.set_defaults(func=create)
    p_revoke = bot.add_parser("revoke", help="replace a bot's token and print the new one")
    p_revoke.add_argument("username")
    p_revoke.set_defaults(func=revoke)
