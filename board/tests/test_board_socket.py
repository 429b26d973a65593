"""The board's websocket (/ws/notifications/?page=board): a manager hears their teams'
events, including a rep's presence changing, and watching counts as nobody's presence;
a rep cannot open it."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from leadops.asgi import application
from routing.assignment import set_rep_status
from routing.models import RepProfile
from tests.workspace_kit import make_team, rep_profile
from workspace.tests.test_consumers import ORIGIN, cookie_for, layer  # noqa: F401  (the Redis layer fixture)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


async def board_socket(user) -> WebsocketCommunicator:
    cookie = await database_sync_to_async(cookie_for)(user)
    return WebsocketCommunicator(application, "/ws/notifications/?page=board", headers=[ORIGIN, cookie])


async def test_a_manager_hears_a_rep_going_away_and_is_no_presence(manager, rep):
    def setup():
        rep_profile(manager, status="offline")  # a manager who also takes leads
        rep_profile(rep, status="available")
        return make_team(manager=manager, members=[rep, manager])

    await database_sync_to_async(setup)()
    socket = await board_socket(manager)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    assert (await socket.receive_json_from(timeout=5))["status"] is None
    await database_sync_to_async(set_rep_status)(rep, "away")
    event = await socket.receive_json_from(timeout=5)
    assert event["type"] == "rep.status" and event["rep"]["id"] == rep.pk and event["rep"]["status"] == "away"
    assert await database_sync_to_async(lambda: RepProfile.objects.get(user=manager).status)() == "offline"
    await socket.disconnect()


async def test_a_rep_cannot_open_the_board_socket(rep):
    await database_sync_to_async(make_team)(members=[rep])
    socket = await board_socket(rep)
    connected, _ = await socket.connect(timeout=5)
    assert not connected
    await socket.disconnect()  # end the refused consumer: no task outlives the test
