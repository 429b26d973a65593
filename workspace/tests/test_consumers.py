"""The workspace websocket (/ws/notifications/) through the real ASGI stack: session
auth, origin check, groups, presence in Redis, and the rep's own status."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

import leadops.asgi
from leadops.asgi import application
from leadops.push import send_now, team_group, user_group
from leadops.queues import get_queue
from routing.models import RepProfile
from tests.workspace_kit import make_team, rep_profile
from workspace import presence

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
def layer(real_redis, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "leadops.channel_layer.LeadOpsChannelLayer",
            "CONFIG": {"hosts": [{"address": settings.REDIS_URL, "socket_timeout": 15}]},
        }
    }


def cookie_for(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


@pytest.fixture
def rep_cookie(rep):
    rep_profile(rep, status="offline")
    return cookie_for(rep)


async def open_socket(*headers) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, "/ws/notifications/", headers=list(headers))
    connected, _ = await socket.connect(timeout=5)
    assert connected
    return socket


async def status_of(user) -> str:
    return await database_sync_to_async(lambda: RepProfile.objects.get(user=user).status)()


async def test_it_refuses_visitors_who_are_not_signed_in():
    socket = WebsocketCommunicator(application, "/ws/notifications/", headers=[ORIGIN])
    connected, _ = await socket.connect(timeout=5)
    assert not connected
    await socket.disconnect()  # end the refused consumer: no task outlives the test


async def test_it_refuses_pages_from_other_sites(rep_cookie):
    socket = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[(b"origin", b"https://evil.example"), rep_cookie]
    )
    connected, _ = await socket.connect(timeout=5)
    assert not connected
    await socket.disconnect()  # end the refused consumer: no task outlives the test


@pytest.fixture
def served_with_any_host(settings):
    """The ASGI application as a server started with ALLOWED_HOSTS='*' (and a public
    address) builds it: the Host header check must not open the websocket to every site."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.LEADOPS_PUBLIC_URL = "https://leadops.example.com"
    settings.LEADOPS_WS_ALLOWED_ORIGINS = ["https://leadops.example.com", "https://partner.example.com"]
    return importlib.reload(leadops.asgi).application


async def connects(app, *headers) -> bool:
    socket = WebsocketCommunicator(app, "/ws/notifications/", headers=list(headers))
    connected, _ = await socket.connect(timeout=5)
    await socket.disconnect()  # refused or not, the consumer ends here: no task outlives the test
    return connected


@pytest.mark.parametrize(
    "origin",
    [
        b"https://evil.example",
        b"null",  # sandboxed frames, file: pages
        None,  # no Origin header at all
        b"http://leadops.example.com",  # the public host on another scheme
        b"https://leadops.example.com:8443",  # ... or port
        b"https://leadops.example.com.evil.example",
    ],
)
async def test_it_opens_only_to_the_listed_origins_whatever_the_allowed_hosts(served_with_any_host, rep_cookie, origin):
    headers = [rep_cookie] + ([(b"origin", origin)] if origin is not None else [])
    assert not await connects(served_with_any_host, *headers)


@pytest.mark.parametrize("origin", [b"https://leadops.example.com", b"https://partner.example.com"])
async def test_it_opens_to_the_public_address_and_the_configured_origins(served_with_any_host, rep_cookie, origin):
    assert await connects(served_with_any_host, rep_cookie, (b"origin", origin))


async def test_a_rep_gets_their_events_and_is_available_while_the_page_is_open(rep, rep_cookie):
    socket = await open_socket(ORIGIN, rep_cookie)
    assert await socket.receive_json_from(timeout=5) == {"type": "hello", "status": "available", "heartbeat": 25}
    assert await status_of(rep) == "available"
    event = {"type": "lead.assigned", "lead": {"id": 7, "name": "Ada"}}
    assert await sync_to_async(send_now)([user_group(rep.pk)], event)
    assert await socket.receive_json_from(timeout=5) == event
    await socket.disconnect()


async def test_a_rep_does_not_get_another_reps_events(rep_cookie, other_rep):
    socket = await open_socket(ORIGIN, rep_cookie)
    await socket.receive_json_from(timeout=5)
    await sync_to_async(send_now)([user_group(other_rep.pk)], {"type": "lead.assigned"})
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_a_manager_gets_their_teams_events(manager, rep):
    team = await database_sync_to_async(make_team)(manager=manager, members=[rep])
    socket = await open_socket(ORIGIN, await database_sync_to_async(cookie_for)(manager))
    assert (await socket.receive_json_from(timeout=5))["status"] is None  # managers have no presence
    await sync_to_async(send_now)([team_group(team.pk)], {"type": "lead.updated"})
    assert await socket.receive_json_from(timeout=5) == {"type": "lead.updated"}
    await socket.disconnect()


async def test_the_rep_can_step_away_and_stays_away_across_pages(rep, rep_cookie):
    socket = await open_socket(ORIGIN, rep_cookie)
    await socket.receive_json_from(timeout=5)
    await socket.send_json_to({"type": "status", "status": "away"})
    assert await socket.receive_json_from(timeout=5) == {"type": "status", "status": "away"}
    second = await open_socket(ORIGIN, rep_cookie)  # a lead page opened meanwhile
    assert (await second.receive_json_from(timeout=5))["status"] == "away"
    await socket.send_json_to({"type": "status", "status": "offline"})  # not a choice
    assert await socket.receive_nothing(timeout=0.3)
    await socket.send_json_to({"type": "heartbeat"})
    assert await socket.receive_json_from(timeout=5) == {"type": "heartbeat"}
    await socket.disconnect()
    await second.disconnect()


async def test_closing_the_last_page_marks_the_rep_offline_after_the_grace_period(rep, rep_cookie, settings):
    first, second = await open_socket(ORIGIN, rep_cookie), await open_socket(ORIGIN, rep_cookie)
    await first.disconnect()
    scheduled = get_queue().scheduled_job_registry
    assert scheduled.get_job_ids() == []  # another page is still open
    await second.disconnect()
    [job_id] = scheduled.get_job_ids()
    assert get_queue().fetch_job(job_id).func_name == "workspace.presence.offline_if_gone"
    later = datetime.now(UTC) + timedelta(seconds=settings.LEADOPS_PRESENCE_GRACE)
    assert await database_sync_to_async(presence.offline_if_gone)(rep.pk, later)
    assert await status_of(rep) == "offline"


async def test_a_page_back_within_the_grace_period_keeps_the_rep_available(rep, rep_cookie):
    socket = await open_socket(ORIGIN, rep_cookie)
    await socket.disconnect()
    again = await open_socket(ORIGIN, rep_cookie)  # a reload, or the queue to a lead page
    assert not await database_sync_to_async(presence.offline_if_gone)(rep.pk)
    assert await status_of(rep) == "available"
    await again.disconnect()


async def test_pages_that_vanished_without_a_goodbye_expire(rep, rep_cookie):
    socket = await open_socket(ORIGIN, rep_cookie)
    await socket.receive_json_from(timeout=5)
    soon = datetime.now(UTC) + timedelta(seconds=10)
    assert await database_sync_to_async(presence.expire_stale)(soon) == 0
    much_later = datetime.now(UTC) + timedelta(seconds=presence.STALE_AFTER + presence.grace() + 1)
    assert await database_sync_to_async(presence.expire_stale)(much_later) == 1
    assert await status_of(rep) == "offline"
    await socket.disconnect()


async def test_a_dashboard_page_hears_the_breach_counter_and_is_no_presence(leader, rep):
    from notifications.live import LEADERSHIP_GROUP

    socket = WebsocketCommunicator(
        application,
        "/ws/notifications/?page=dashboard",
        headers=[ORIGIN, await database_sync_to_async(cookie_for)(leader)],
    )
    connected, _ = await socket.connect(timeout=5)
    assert connected
    assert (await socket.receive_json_from(timeout=5))["status"] is None
    await sync_to_async(send_now)([LEADERSHIP_GROUP], {"type": "dashboard.breaches", "cause": "sla.breached"})
    assert await socket.receive_json_from(timeout=5) == {"type": "dashboard.breaches", "cause": "sla.breached"}
    await sync_to_async(send_now)([user_group(leader.pk)], {"type": "lead.assigned"})
    assert await socket.receive_nothing(timeout=0.3)  # a dashboard joins only the leadership group
    await socket.disconnect()


async def test_a_rep_cannot_open_a_dashboard_socket_nor_hear_the_leadership_group(rep, rep_cookie):
    from notifications.live import LEADERSHIP_GROUP

    socket = WebsocketCommunicator(application, "/ws/notifications/?page=dashboard", headers=[ORIGIN, rep_cookie])
    connected, _ = await socket.connect(timeout=5)
    assert not connected
    await socket.disconnect()  # end the refused consumer: no task outlives the test
    workspace = await open_socket(ORIGIN, rep_cookie)
    await workspace.receive_json_from(timeout=5)
    await sync_to_async(send_now)([LEADERSHIP_GROUP], {"type": "dashboard.breaches", "cause": "sla.breached"})
    assert await workspace.receive_nothing(timeout=0.5)
    await workspace.disconnect()
