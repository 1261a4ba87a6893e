"""Channel post views, counted once per subscriber and stored in batches.

A view is remembered in memory (who saw which post, for the posts seen lately) and added to a
pending count; `flush` writes the pending counts, one row write per viewed post, whatever the
number of views. The memory is bounded by the viewers it holds in all: a repeat view by the same
subscriber counts again only after its post has left it (the least recently viewed go first).
"""

from __future__ import annotations

from collections import OrderedDict

from steppe.store.posts import PostStore

Key = tuple[int, int]  # (chat id, message id)


class ViewCounter:
    def __init__(self, posts: PostStore, remembered: int = 1_000_000):
        self.posts = posts
        self.limit = remembered
        self.size = 0
        self.seen: OrderedDict[Key, set[int]] = OrderedDict()
        self.pending: dict[Key, int] = {}

    def view(self, chat_id: int, msg_id: int, user_id: int) -> None:
        key = (chat_id, msg_id)
        viewers = self.seen.get(key)
        if viewers is None:
            viewers = self.seen[key] = set()
        else:
            self.seen.move_to_end(key)
        if user_id in viewers:
            return
        viewers.add(user_id)
        self.size += 1
        self.pending[key] = self.pending.get(key, 0) + 1
        while self.size > self.limit and len(self.seen) > 1:
            _, gone = self.seen.popitem(last=False)
            self.size -= len(gone)

    def unsaved(self, chat_id: int, msg_id: int) -> int:
        return self.pending.get((chat_id, msg_id), 0)

    async def flush(self) -> int:
        """Store the pending counts; returns how many posts were written."""
        batch, self.pending = self.pending, {}
        if not batch:
            return 0
        try:
            await self.posts.add_views(batch)
        except Exception:
            for key, n in batch.items():  # try again at the next flush
                self.pending[key] = self.pending.get(key, 0) + n
            raise
        return len(batch)
