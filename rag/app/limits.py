"""Rate limits per key (a chat session, a client address), with bounded memory.

Why a token bucket with a bound: each raw REST call to Gradio is a new session, so a limit per
session alone is bypassed; the client address is limited too. Keys are kept in an LRU of at
most `max_keys`, so an attacker cycling sessions cannot grow memory without bound.

Example:
    >>> limit = RateLimiter(per_minute=60, burst=2, clock=lambda: 0.0)
    >>> [limit.allow("a"), limit.allow("a"), limit.allow("a")]
    [True, True, False]
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_minute: float, burst: int, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        self.rate = per_minute / 60.0
        self.burst = burst
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, last time)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one token for `key`; False when its bucket is empty. A rate of 0 means no limit."""
        if self.rate <= 0:
            return True
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            ok = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if ok else tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return ok

    def __len__(self) -> int:
        return len(self._buckets)
