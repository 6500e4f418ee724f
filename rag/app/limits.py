"""Rate limits per key (a chat session, a client address), with bounded memory; the LLM gate.

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


class LLMGate:
    """At most `size` LLM answers at once and `max_waiting` more waiting; `enter` is False beyond that.

    Why: an LLM answer takes seconds (the local model generates one at a time), so without a gate a
    burst of LLM questions would hold every queue worker and extractive answers (~35 ms) would wait
    behind them. Extractive answers never enter the gate."""

    def __init__(self, size: int, max_waiting: int):
        self._slots = threading.Semaphore(max(1, size))
        self.max_waiting = max(0, max_waiting)
        self._lock = threading.Lock()
        self.waiting = 0
        self.running = 0

    def enter(self) -> bool:
        """Take a slot (waiting for one when all are busy); False, at once, when too many already wait."""
        if not self._slots.acquire(blocking=False):
            with self._lock:
                if self.waiting >= self.max_waiting:
                    return False
                self.waiting += 1
            try:
                self._slots.acquire()
            finally:
                with self._lock:
                    self.waiting -= 1
        with self._lock:
            self.running += 1
        return True

    def leave(self) -> None:
        with self._lock:
            self.running -= 1
        self._slots.release()


REQUEST_TOO_LARGE = "Yêu cầu quá lớn: tối đa {limit}."


def size_text(n: int) -> str:
    """"20 MB" for an upload limit, "64 KB" for a chat request: as the pages state them."""
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 and n % (1024 * 1024) == 0 else f"{max(1, n // 1024)} KB"


class BodyLimit:
    """ASGI middleware: a request body over its limit gets 413 before the app sees any of it.

    Why: Gradio reads a whole JSON body before the app can check the question's length, so a few
    parallel 100 MB "questions" took the server from 1.4 to 8 GB, and the allocator kept it. A chat
    call (question, mode and the conversation so far) fits in `limit` bytes; uploads (`is_upload`)
    get `upload_limit`. A declared Content-Length is checked at once; a body without one is read up
    to the limit and replayed to the app."""

    def __init__(self, app, limit: int, upload_limit: int, is_upload: Callable[[dict], bool]):
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.is_upload = is_upload

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.upload_limit if self.is_upload(scope) else self.limit
        length = dict(scope.get("headers", [])).get(b"content-length", b"")
        if length.strip().isdigit():
            if int(length) > limit:
                return await self._refuse(scope, receive, send, limit)
            return await self.app(scope, receive, send)
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                return await self._refuse(scope, receive, send, limit)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope, receive, send, limit: int) -> None:
        from starlette.responses import JSONResponse

        await JSONResponse({"detail": REQUEST_TOO_LARGE.format(limit=size_text(limit))}, status_code=413)(scope, receive, send)


def client_address(request, settings) -> str:
    """The client's address: the trusted proxy header's last entry when configured, else the socket
    peer. The last, because that is the one the proxy wrote: a proxy that appends to the header
    (nginx's `$proxy_add_x_forwarded_for`) keeps whatever the client sent before it, and with the
    first entry a client rotating a made-up address was never held off by the limits."""
    headers = getattr(request, "headers", None) or {}
    if settings.trusted_proxy_header and headers.get(settings.trusted_proxy_header.lower()):
        return headers[settings.trusted_proxy_header.lower()].split(",")[-1].strip()
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"
