"""Fixed-window rate limits in Redis. They fail open: with Redis down, intake keeps
accepting leads (losing a lead is worse than a burst getting through)."""

from __future__ import annotations

import logging
import time

import redis

from leadops.queues import redis_connection

log = logging.getLogger(__name__)
WINDOW_SECONDS = 60


def _window_key(bucket: str, now: float, window_seconds: int) -> tuple[str, int]:
    window = int(now // window_seconds)
    return f"leadops:rate:{bucket}:{window_seconds}:{window}", window


def _wait(window: int, window_seconds: int, now: float) -> int:
    return max(1, int((window + 1) * window_seconds - now + 0.999))


def retry_after(bucket: str, limit: int, now: float | None = None, window_seconds: int = WINDOW_SECONDS) -> int:
    """Count one call: 0 when it is allowed; else seconds until the window resets.
    A limit of 0 or less means no limit."""
    if limit <= 0:
        return 0
    now = now or time.time()
    key, window = _window_key(bucket, now, window_seconds)
    try:
        pipe = redis_connection().pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, window_seconds + 5)
        count = pipe.execute()[0]
    except redis.RedisError as error:
        log.warning("rate limit skipped, Redis unavailable: %s", error)
        return 0
    if count <= limit:
        return 0
    return _wait(window, window_seconds, now)


def retry_after_each(
    limits: list[tuple[str, int]], now: float | None = None, window_seconds: int = WINDOW_SECONDS
) -> list[int]:
    """retry_after for several (bucket, limit) pairs in one round trip: every bucket with a
    limit counts one call, and each gets its own answer. Callers that check them in order
    give back the calls of the buckets they did not reach (`uncount`)."""
    now = now or time.time()
    counted = [(index, *_window_key(bucket, now, window_seconds), limit)
               for index, (bucket, limit) in enumerate(limits) if limit > 0]  # fmt: skip
    waits = [0] * len(limits)
    if not counted:
        return waits
    try:
        pipe = redis_connection().pipeline(transaction=False)
        for _, key, _, _ in counted:
            pipe.incr(key)
            pipe.expire(key, window_seconds + 5)
        replies = pipe.execute()
    except redis.RedisError as error:
        log.warning("rate limit skipped, Redis unavailable: %s", error)
        return waits
    for (index, _, window, limit), count in zip(counted, replies[::2], strict=True):
        if count > limit:
            waits[index] = _wait(window, window_seconds, now)
    return waits


def uncount(bucket: str, now: float | None = None, window_seconds: int = WINDOW_SECONDS) -> None:
    """Give back one call counted in `bucket`'s current window (best effort)."""
    key, _ = _window_key(bucket, now or time.time(), window_seconds)
    try:
        redis_connection().decr(key)
    except redis.RedisError as error:
        log.warning("rate limit not corrected, Redis unavailable: %s", error)


def exhausted(bucket: str, limit: int, now: float | None = None, window_seconds: int = WINDOW_SECONDS) -> int:
    """Like retry_after, without counting a call: seconds to wait when the bucket has
    already used up its limit in this window, else 0."""
    if limit <= 0:
        return 0
    now = now or time.time()
    key, window = _window_key(bucket, now, window_seconds)
    try:
        count = int(redis_connection().get(key) or 0)
    except redis.RedisError as error:
        log.warning("rate limit skipped, Redis unavailable: %s", error)
        return 0
    return _wait(window, window_seconds, now) if count >= limit else 0
