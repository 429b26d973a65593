"""Fixed-window rate limits in Redis. They fail open: with Redis down, intake keeps
accepting leads (losing a lead is worse than a burst getting through)."""

from __future__ import annotations

import logging
import time

import redis

from leadops.queues import redis_connection

log = logging.getLogger(__name__)
WINDOW_SECONDS = 60


def retry_after(bucket: str, limit: int, now: float | None = None) -> int:
    """0 when the call is allowed; else seconds until the window resets."""
    now = now or time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"leadops:rate:{bucket}:{window}"
    try:
        pipe = redis_connection().pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS + 5)
        count = pipe.execute()[0]
    except redis.RedisError as error:
        log.warning("rate limit skipped, Redis unavailable: %s", error)
        return 0
    if count <= limit:
        return 0
    return max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
