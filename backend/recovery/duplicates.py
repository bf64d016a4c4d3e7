"""A limit on the duplicate answers a user gets about clients outside their scope, counted in Redis.

A registration refused because the NIK is already enrolled elsewhere tells the caller that this NIK is in the
programme. One such answer is the normal case (a person who moved); many are someone testing NIKs. After
DUPLICATE_ANSWERS_PER_DAY in a fixed window the caller gets 429 `rate_limited` instead. Like the login limiter
(backend/accounts/ratelimit.py, whose Redis connection this shares) it fails open when Redis is unreachable:
registering a client matters more than the limit during an outage, and every answer is still logged.
"""

from __future__ import annotations

import logging
import uuid

import redis

from backend.accounts.ratelimit import redis_client
from backend.common.errors import RateLimited

logger = logging.getLogger(__name__)

KEY_PREFIX = "pulih:duplicate-out-of-scope:"
DUPLICATE_ANSWERS_PER_DAY = 5
WINDOW_SECONDS = 24 * 60 * 60


def duplicate_answer_register(*, user_id: uuid.UUID) -> None:
    """Count one out-of-scope duplicate answer for the user; raise RateLimited once over the limit."""
    key = f"{KEY_PREFIX}{user_id}"
    try:
        pipe = redis_client().pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS, nx=True)  # fixed window: the first answer starts the clock
        pipe.ttl(key)
        count, _expire_set, ttl = pipe.execute()
    except redis.RedisError as exc:
        logger.warning("duplicate answer limiter unavailable, allowing the answer: %s", exc)
        return
    if int(count) > DUPLICATE_ANSWERS_PER_DAY:
        raise RateLimited(retry_after=int(ttl) if int(ttl) > 0 else WINDOW_SECONDS)
