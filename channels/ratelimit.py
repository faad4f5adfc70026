"""Rate limits for the widget: at most ``limit`` events per key in a sliding window.

Two implementations with one interface, ``await limiter.allow(key) -> bool``:

- ``MemoryRateLimiter``: in this process. Right for one Rasa process (`make run`).
- ``RedisRateLimiter``: shared by every replica through Redis, so N replicas do not
  allow N times the rate. One Lua script checks and records an event atomically,
  with Redis's own clock (replicas' clocks may differ).

``limiter_for`` chooses by configuration: ``store: memory | redis | auto`` (auto: Redis
when the lock store is Redis, i.e. LOCK_STORE_TYPE=serving.locks.RedisTicketLockStore;
the REDIS_* variables say where). If Redis cannot be reached the limiter lets the request through and logs it:
the lock store (same Redis) then answers the visitor with a 503 anyway, and a limit must
not turn an outage into refusals that say "too fast".
"""
import logging
import os
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis.asyncio

logger = logging.getLogger(__name__)

STORES = ("auto", "memory", "redis")
# LOCK_STORE_TYPE values that keep locks in Redis: the project's lock store (serving/locks.py),
# and Rasa's own `redis` (which the Rasa server refuses to start with, serving/endpoints_check.py).
REDIS_LOCK_STORES = ("serving.locks.redisticketlockstore", "redis")


class MemoryRateLimiter:
    def __init__(self, name: str, limit: int, seconds: float) -> None:
        self.name, self.limit, self.seconds = name, limit, seconds
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._last_sweep = time.monotonic()

    async def allow(self, key: str) -> bool:
        return self.allow_now(key)

    def allow_now(self, key: str) -> bool:
        now = time.monotonic()
        self._forget_idle(now)
        events = self._events[key]
        while events and now - events[0] > self.seconds:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True

    def _forget_idle(self, now: float) -> None:
        # Once per window, forget keys with no recent events: memory stays bounded by
        # the keys active within the last two windows.
        if now - self._last_sweep > self.seconds:
            self._last_sweep = now
            for key in [k for k, e in self._events.items() if not e or now - e[-1] > self.seconds]:
                del self._events[key]


# KEYS[1]: the key's sorted set of event times (ms). ARGV: window (ms), limit, a unique member.
SLIDING_WINDOW = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], ms, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 1
"""


class RedisRateLimiter:
    def __init__(self, name: str, limit: int, seconds: float, client: "redis.asyncio.Redis",
                 key_prefix: str = "") -> None:
        self.name, self.limit, self.seconds = name, limit, seconds
        self._client = client
        self._prefix = f"{key_prefix}ratelimit:{name}:"
        self._script = client.register_script(SLIDING_WINDOW)
        self._warned = False

    async def allow(self, key: str) -> bool:
        try:
            allowed = await self._script(keys=[self._prefix + key],
                                         args=[int(self.seconds * 1000), self.limit, secrets.token_hex(8)])
        except Exception as failure:  # noqa: BLE001 - see the module's docstring
            if not self._warned:
                logger.error(f"Rate limit '{self.name}' could not reach Redis ({type(failure).__name__}); "
                             "requests are let through until it is back.")
                self._warned = True
            return True
        self._warned = False
        return bool(allowed)


def redis_client(environ: Mapping[str, str]) -> "redis.asyncio.Redis":
    """An asyncio Redis client for the REDIS_* variables (those of endpoints.yml's lock store)."""
    import redis.asyncio

    return redis.asyncio.Redis(
        host=environ.get("REDIS_HOST") or "localhost", port=int(environ.get("REDIS_PORT") or 6379),
        db=int(environ.get("REDIS_DB") or 1), password=environ.get("REDIS_PASSWORD") or None,
        socket_timeout=2, socket_connect_timeout=2,
    )


def chosen_store(store: str, environ: Mapping[str, str]) -> str:
    if store not in STORES:
        raise ValueError(f"rate_limit_store must be one of {', '.join(STORES)}, not {store!r} (credentials.yml)")
    if store == "auto":
        return "redis" if (environ.get("LOCK_STORE_TYPE") or "").strip().lower() in REDIS_LOCK_STORES else "memory"
    return store


class Limits:
    """Makes the channel's limiters, all in the configured store."""

    def __init__(self, store: str = "auto", environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        self.store = chosen_store(store, environ)
        self._environ = environ
        self._client = redis_client(environ) if self.store == "redis" else None

    def limiter(self, name: str, limit: int, seconds: float) -> MemoryRateLimiter | RedisRateLimiter:
        if self._client is None:
            return MemoryRateLimiter(name, limit, seconds)
        return RedisRateLimiter(name, limit, seconds, self._client, self._environ.get("REDIS_KEY_PREFIX") or "")
