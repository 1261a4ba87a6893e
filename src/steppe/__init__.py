"""Steppe: a self-hosted messenger in the spirit of Telegram."""

__version__ = "0.1.0"
