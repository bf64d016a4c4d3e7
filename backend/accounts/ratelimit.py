"""Login attempts limited per phone and per IP, counted in Redis over a fixed window.

Every attempt is counted *before* the credentials are checked (INCR is atomic, so concurrent guesses cannot
slip past the limit together), and a successful sign-in gives its attempt back: in effect only failures
count. A phone that succeeds starts afresh. When Redis is unreachable the limiter fails open and logs a
warning: signing in matters more than throttling during a Redis outage, and the password hasher still makes
guessing slow.
"""

from __future__ import annotations

import logging
import threading

import redis
from django.conf import settings

from backend.common.errors import RateLimited

logger = logging.getLogger(__name__)

KEY_PREFIX = "pulih:login:"
_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def redis_client() -> redis.Redis:
    url = settings.REDIS_URL
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            # Short timeouts: a sign-in must not hang on a Redis that is down.
            client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
            _clients[url] = client
        return client


def _keys(*, phone: str | None, ip: str | None) -> list[tuple[str, int]]:
    keys = []
    if phone:
        keys.append((f"{KEY_PREFIX}phone:{phone}", settings.LOGIN_RATE_LIMIT_PER_PHONE))
    if ip:
        keys.append((f"{KEY_PREFIX}ip:{ip}", settings.LOGIN_RATE_LIMIT_PER_IP))
    return keys


def login_attempt_register(*, phone: str | None = None, ip: str | None = None) -> None:
    """Count one attempt for the phone and/or IP; raise RateLimited if either is over its limit."""
    keys = _keys(phone=phone, ip=ip)
    if not keys:
        return
    window = settings.LOGIN_RATE_WINDOW_SECONDS
    try:
        pipe = redis_client().pipeline(transaction=True)
        for key, _limit in keys:
            pipe.incr(key)
            pipe.expire(key, window, nx=True)  # fixed window: the first attempt starts the clock
            pipe.ttl(key)
        replies = pipe.execute()
    except redis.RedisError as exc:
        logger.warning("login rate limiter unavailable, allowing the attempt: %s", exc)
        return
    retry_after = 0
    for i, (_key, limit) in enumerate(keys):
        count, ttl = int(replies[3 * i]), int(replies[3 * i + 2])
        if count > limit:
            retry_after = max(retry_after, ttl if ttl > 0 else window)
    if retry_after:
        raise RateLimited(retry_after=retry_after)


def login_attempt_succeeded(*, phone: str | None = None, ip: str | None = None) -> None:
    """A successful sign-in: the phone starts afresh, and the IP gets its attempt back."""
    try:
        pipe = redis_client().pipeline(transaction=False)
        if phone:
            pipe.delete(f"{KEY_PREFIX}phone:{phone}")
        if ip:
            # Never below zero, even if the window expired between the attempt and now.
            pipe.eval(
                "local v = redis.call('GET', KEYS[1]) "
                "if v and tonumber(v) > 0 then return redis.call('DECR', KEYS[1]) end return 0",
                1,
                f"{KEY_PREFIX}ip:{ip}",
            )
        pipe.execute()
    except redis.RedisError as exc:
        logger.warning("login rate limiter unavailable, counters not reset: %s", exc)
