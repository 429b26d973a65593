"""A rep's presence from their open pages (SPEC §3.5, §6): opening the workspace marks
the rep available, closing the last page marks them offline after a grace period, and
the rep can set themselves away.

The state lives in Redis, not in a process: each open websocket is a member of the
sorted set `leadops:presence:<user id>`, scored with its last heartbeat (pages send one
every HEARTBEAT seconds). A connection whose web process died without a disconnect just
stops being refreshed and counts no more after STALE_AFTER. When a rep's last socket
closes, a job is scheduled GRACE seconds later that marks them offline if no socket is
back by then (a reload, or going from the queue to a lead page, is not "leaving");
`expire_stale(now)` is the sweeper's guarantee for the pages that vanished silently.

Only users with a rep role are marked; availability changes go through
routing.assignment.set_rep_status, which also pulls waiting leads to a rep who comes
online."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings
from django.contrib.auth import get_user_model

from leadops.queues import enqueue_now, redis_connection
from leadops.roles import REPS, in_group
from routing.assignment import set_rep_status
from routing.models import RepProfile

log = logging.getLogger(__name__)
HEARTBEAT = 25  # seconds between a page's heartbeats (static/workspace/live.js)
STALE_AFTER = 75  # a connection not heard from for this long is gone
KNOWN = "leadops:presence:users"  # reps with presence state, for expire_stale


def _key(user_id: int) -> str:
    return f"leadops:presence:{user_id}"


def _timestamp(now: datetime | None) -> float:
    return now.timestamp() if now else time.time()


def grace() -> int:
    return settings.LEADOPS_PRESENCE_GRACE


def is_rep(user) -> bool:
    return in_group(user, REPS) or hasattr(user, "rep_profile")


def live_connections(user_id: int, now: datetime | None = None) -> int:
    """Open pages of the user heard from within STALE_AFTER (stale ones are dropped)."""
    client = redis_connection()
    stamp = _timestamp(now)
    pipe = client.pipeline()
    pipe.zremrangebyscore(_key(user_id), "-inf", stamp - STALE_AFTER)
    pipe.zcard(_key(user_id))
    return pipe.execute()[1]


def _touch(user_id: int, connection_id: str, now: datetime | None) -> None:
    client = redis_connection()
    pipe = client.pipeline()
    pipe.zadd(_key(user_id), {connection_id: _timestamp(now)})
    pipe.expire(_key(user_id), STALE_AFTER * 4)
    pipe.sadd(KNOWN, user_id)
    pipe.execute()


def _status(user) -> str | None:
    return RepProfile.objects.filter(user=user).values_list("status", flat=True).first()


def set_status(user, status: str) -> str:
    return set_rep_status(user, status).status


def connected(user, connection_id: str, now: datetime | None = None) -> str | None:
    """A page opened: count it, and make an offline rep available. Returns the rep's
    status (None for users who are not reps). A rep who chose "away" stays away."""
    if not is_rep(user):
        return None
    try:
        _touch(user.pk, connection_id, now)
    except redis.RedisError as error:
        log.warning("presence: Redis unavailable (%s); %s's page is not counted", error, user.get_username())
    status = _status(user)
    if status in (None, "offline"):
        status = set_status(user, "available")
    return status


def heartbeat(user, connection_id: str, now: datetime | None = None) -> None:
    if is_rep(user):
        try:
            _touch(user.pk, connection_id, now)
        except redis.RedisError as error:
            log.warning("presence heartbeat: Redis unavailable (%s)", error)


def disconnected(user, connection_id: str, now: datetime | None = None) -> bool:
    """A page closed. When it was the rep's last one, check again after the grace period;
    True when that check was scheduled."""
    if not is_rep(user):
        return False
    try:
        redis_connection().zrem(_key(user.pk), connection_id)
        if live_connections(user.pk, now):
            return False
    except redis.RedisError as error:
        log.warning("presence: Redis unavailable (%s); the sweeper will settle %s", error, user.get_username())
        return False
    check_at = datetime.fromtimestamp(_timestamp(now), UTC) + timedelta(seconds=grace())
    return enqueue_now(offline_if_gone, user.pk, at=check_at)


def offline_if_gone(user_id: int, now: datetime | None = None) -> bool:
    """The job: mark the rep offline if none of their pages came back. True if marked."""
    if live_connections(user_id, now):
        return False
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or _status(user) in (None, "offline"):
        redis_connection().srem(KNOWN, user_id)
        return False
    set_status(user, "offline")
    redis_connection().srem(KNOWN, user_id)
    log.info("presence: %s closed the workspace; now offline", user.get_username())
    return True


def expire_stale(now: datetime | None = None) -> int:
    """The sweeper's part: reps whose pages all vanished without a goodbye (a web process
    killed) go offline once their last heartbeat is older than STALE_AFTER + grace."""
    client = redis_connection()
    stamp = _timestamp(now)
    marked = 0
    for raw in client.smembers(KNOWN):
        user_id = int(raw)
        newest = client.zrevrange(_key(user_id), 0, 0, withscores=True)
        if newest and newest[0][1] > stamp - STALE_AFTER - grace():
            continue
        marked += offline_if_gone(user_id, now)
    return marked
