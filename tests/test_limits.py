"""Rate limiting with an injected clock: no sleeps, no timing flakiness."""
from rag.app.limits import RateLimiter


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_burst_is_allowed_then_refused_until_tokens_refill():
    clock = Clock()
    limit = RateLimiter(per_minute=60, burst=2, clock=clock)
    assert [limit.allow("s"), limit.allow("s"), limit.allow("s")] == [True, True, False]
    clock.now = 1.0  # one token per second
    assert limit.allow("s") and not limit.allow("s")


def test_keys_are_limited_independently():
    limit = RateLimiter(per_minute=60, burst=1, clock=Clock())
    assert limit.allow("a") and limit.allow("b") and not limit.allow("a")


def test_memory_is_bounded_by_evicting_the_least_recent_key():
    limit = RateLimiter(per_minute=60, burst=1, max_keys=3, clock=Clock())
    for key in "abcde":
        limit.allow(key)
    assert len(limit) == 3
    assert limit.allow("a")  # evicted, so it starts with a full bucket again


def test_a_zero_rate_means_no_limit():
    limit = RateLimiter(per_minute=0, burst=1, clock=Clock())
    assert all(limit.allow("x") for _ in range(100))


def test_a_size_limit_reads_as_the_pages_state_it():
    """An upload over 20 MB had been told "tối đa 20480 KB" while the page said 20 MB."""
    from rag.app.limits import REQUEST_TOO_LARGE, size_text

    assert REQUEST_TOO_LARGE.format(limit=size_text(20 * 1024 * 1024)) == "Yêu cầu quá lớn: tối đa 20 MB."
    assert size_text(64 * 1024) == "64 KB" and size_text(1536 * 1024) == "1536 KB"


def test_the_trusted_header_gives_the_address_the_proxy_wrote():
    """A proxy that appends to X-Forwarded-For keeps what the client sent first: with the first entry,
    a client rotating made-up addresses was never held off (an outside operator's finding)."""
    import types

    from rag.app.limits import client_address

    settings = types.SimpleNamespace(trusted_proxy_header="X-Forwarded-For")
    request = types.SimpleNamespace(headers={"x-forwarded-for": "1.1.3.7, 198.51.100.4"},
                                    client=types.SimpleNamespace(host="10.0.0.1"))
    assert client_address(request, settings) == "198.51.100.4"
    assert client_address(request, types.SimpleNamespace(trusted_proxy_header="")) == "10.0.0.1"
