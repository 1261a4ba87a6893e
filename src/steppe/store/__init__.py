"""Persistence: the only place that speaks SQL."""

from steppe.store.db import Database, IntegrityError, SqliteDatabase
from steppe.store.store import Emitted, Store

__all__ = ["Database", "Emitted", "IntegrityError", "SqliteDatabase", "Store"]
