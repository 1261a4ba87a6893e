"""Token buckets: pure arithmetic over a time the caller passes in."""

from __future__ import annotations

import math

from steppe.domain.errors import flood_wait


class RateLimiter:
    """`rate` tokens a second, at most `burst` saved; `take` refuses with FLOOD_WAIT_N."""

    def __init__(self, rate: float, burst: float, max_keys: int = 100_000):
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: dict[object, tuple[float, float]] = {}

    def take(self, key: object, now: float, cost: float = 1.0) -> None:
        if self.rate <= 0:
            return
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < cost:
            raise flood_wait(math.ceil((cost - tokens) / self.rate))
        if len(self._buckets) >= self.max_keys and key not in self._buckets:
            self._prune(now)
        self._buckets[key] = (tokens - cost, now)

    def _prune(self, now: float) -> None:
        full = [k for k, (t, last) in self._buckets.items()
                if t + (now - last) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            self._buckets.clear()
