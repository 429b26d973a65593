"""The workspace's websocket, /ws/notifications/ (SPEC §6): a thin pipe.

Signed-in users only (a session cookie; others are refused). On connect the socket joins
the user's group and, for a manager, their teams' groups (notifications.live.groups_for),
and counts as the rep's presence (workspace.presence). A /dashboard/ page connects with
`?page=dashboard`: it joins only the leadership group (the live breach counter) and does
not count as presence. A /board/ page connects with `?page=board` (managers only): the
manager's groups, and no presence either. It forwards what leadops.push sends to those groups, and takes two
messages from the page:

    {"type": "heartbeat"}                        keeps the presence fresh
    {"type": "status", "status": "away"|"available"}   the rep's own availability

and answers `{"type": "status", "status": ...}`."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import connections
from django.urls import path

from leadops.roles import is_manager
from notifications.live import groups_for
from workspace import presence

CHOOSABLE = ("available", "away")


def db(func):
    """Run `func` in a worker thread with database access, then close its connection:
    each socket keeps its own connection otherwise (up to CONN_MAX_AGE), and a websocket
    server holds many sockets and touches the database only when they open and close."""

    def run(*args):
        try:
            return func(*args)
        finally:
            connections.close_all()

    return database_sync_to_async(run)


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.dashboard = query.get("page") == ["dashboard"]
        board = query.get("page") == ["board"]  # the managers' live board (board/): their teams' groups
        self.watching = self.dashboard or board  # pages that watch others do not count as presence
        self.is_rep, self.joined = await db(
            lambda: (
                presence.is_rep(user) and not self.watching,
                groups_for(user, dashboard=self.dashboard) if not board or is_manager(user) else [],
            )
        )()
        if self.watching and not self.joined:
            await self.close(code=4403)
            return
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        status = None if self.watching else await db(presence.connected)(user, self.channel_name)
        await self.send_json({"type": "hello", "status": status, "heartbeat": presence.HEARTBEAT})

    async def disconnect(self, code):
        if not hasattr(self, "joined"):
            return
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if not self.watching:
            await db(presence.disconnected)(self.user, self.channel_name)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "heartbeat":
            if not self.watching:
                await db(presence.heartbeat)(self.user, self.channel_name)
            await self.send_json({"type": "heartbeat"})
        elif kind == "status" and content.get("status") in CHOOSABLE and self.is_rep:
            status = await db(presence.set_status)(self.user, content["status"])
            await self.send_json({"type": "status", "status": status})

    async def push_event(self, message):
        """leadops.push's events, forwarded as they are."""
        await self.send_json(message["event"])


websocket_urlpatterns = [path("ws/notifications/", NotificationConsumer.as_asgi())]
