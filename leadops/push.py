"""The one way the server pushes to open pages: JSON-safe, high-level events sent to
channel-layer groups once the current transaction commits.

    push_on_commit([user_group(lead.owner_id)], "lead.assigned", {"lead": summary})

Each open page's websocket (workspace/consumers.py) is a member of its user's group (and a
manager's page of their teams' groups) and forwards the event as it is. Nothing leaves
before the commit, so a page never shows a change that was rolled back; outside a
transaction the event leaves at once.

Sends run on one event loop in a background thread of the process, so the channel
layer's Redis connections stay open between pushes (a fresh loop per send would open a
new connection each time), and any caller - a sync view, an RQ job, an ASGI thread - can
push. The caller waits at most PUSH_TIMEOUT; a push that fails is logged, never raised:
the change is already committed, and the page catches up on its next load."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import TimeoutError as FutureTimeout

from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

log = logging.getLogger(__name__)
PUSH_TIMEOUT = 2.0  # seconds a caller waits for the channel layer
CONSUMER_HANDLER = "push.event"  # NotificationConsumer.push_event receives {"event": ...}
_loop_state: dict = {}
_loop_lock = threading.Lock()


def user_group(user_id: int) -> str:
    return f"leadops.user.{user_id}"


def team_group(team_id: int) -> str:
    return f"leadops.team.{team_id}"


def json_safe(value):
    """Dates, decimals, UUIDs and lazy strings become JSON values (the channel layer and
    the browser only take plain JSON)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _loop() -> asyncio.AbstractEventLoop:
    """The process's push loop (started on first use; a new one after a fork)."""
    with _loop_lock:
        if _loop_state.get("pid") != os.getpid() or not _loop_state["thread"].is_alive():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="leadops-push", daemon=True)
            thread.start()
            _loop_state.update(pid=os.getpid(), loop=loop, thread=thread)
        return _loop_state["loop"]


async def _group_send(groups: list[str], message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    envelope = {"type": CONSUMER_HANDLER, "event": message}
    if hasattr(layer, "group_send_many"):  # leadops/channel_layer.py: all groups in two round trips
        await layer.group_send_many(groups, envelope)
        return
    for group in groups:
        await layer.group_send(group, envelope)


def send_now(groups: Iterable[str], event: dict) -> bool:
    """Send `event` to every group now; False (logged) when the channel layer failed."""
    groups = sorted(set(groups))
    if not groups:
        return True
    future = asyncio.run_coroutine_threadsafe(_group_send(groups, event), _loop())
    try:
        future.result(timeout=PUSH_TIMEOUT)
        return True
    except FutureTimeout:
        log.warning("push %s to %s: the channel layer did not answer in %ss", event.get("type"), groups, PUSH_TIMEOUT)
    except Exception as error:  # Redis down, a full channel: the page catches up on reload
        log.warning("push %s to %s failed: %s", event.get("type"), groups, error)
    return False


def push_on_commit(groups: Iterable[str], event_type: str, payload: dict | Callable[[], dict] | None = None) -> None:
    """Send `{"type": event_type, **payload}` to `groups` after the transaction commits.

    `payload` may be a function: it is called when the push leaves, after the commit, so
    the event shows the committed state (and costs nothing if the transaction rolls back)."""
    targets = sorted({group for group in groups if group})
    if targets:
        transaction.on_commit(lambda: _send_built(targets, event_type, payload))


def _send_built(groups: list[str], event_type: str, payload) -> bool:
    try:
        body = payload() if callable(payload) else (payload or {})
        event = json_safe({"type": event_type, **body})
    except Exception:  # the commit happened: a broken event must not fail the caller
        log.exception("building push %s failed", event_type)
        return False
    return send_now(groups, event)
