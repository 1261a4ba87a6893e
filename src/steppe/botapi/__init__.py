"""The Telegram Bot API over Steppe: `/bot<token>/<method>` and `/file/bot<token>/<path>`."""

from steppe.botapi.server import BotApi

__all__ = ["BotApi"]
