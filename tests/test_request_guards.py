"""Site-wide guards against input no view should see (issue 16, item 9): NUL characters
in query strings, paths and form posts (PostgreSQL refuses NUL in text, so the admin's
`?stage__exact=%00` was a 500 there) and the queue's `per_page`."""

from __future__ import annotations

import pytest

from tests.workspace_kit import make_lead

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_down")]
NUL = "Must not contain NUL characters."


@pytest.mark.parametrize(
    "url",
    ["/admin/leads/lead/?stage__exact=%00", "/admin/leads/lead/?q=ada%00", "/admin/routing/team/?name%00=x",
     "/queue/?q=%00", "/queue/?stage=new%00", "/dashboard/?team=%00"],
)  # fmt: skip
def test_a_nul_in_a_page_query_is_a_400(client, manager, url):
    client.force_login(manager)
    response = client.get(url)
    assert response.status_code == 400
    assert NUL in response.content.decode()


@pytest.mark.parametrize("url", ["/api/v1/metrics/sla?team=%00", "/api/v1/leads/1?x=%00", "/api/v1/me/status?a=%00"])
def test_a_nul_in_an_api_query_is_a_json_400(client, manager, url):
    client.force_login(manager)
    response = client.get(url)
    assert response.status_code == 400
    assert response.json() == {"errors": {url.rpartition("?")[2].split("=")[0]: [NUL]}}


def test_a_nul_in_a_form_post_is_a_400(client, manager, lead_source):
    client.force_login(manager)
    lead = make_lead(manager)
    response = client.post(
        f"/leads/{lead.pk}/notes/", "text=hi%00there", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert not lead.events.filter(kind="note.added").exists()
    response = client.post(
        "/f/website/", "email=a%40b.io&message=x%00", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400


def test_a_nul_in_the_path_is_a_400(client):
    assert client.get("/f/web%00site/").status_code == 400


def test_ordinary_queries_pass(client, manager):
    client.force_login(manager)
    assert client.get("/admin/leads/lead/?stage__exact=new").status_code == 200
    assert client.get("/queue/?q=%2500").status_code == 200  # a literal "%00" is just text


@pytest.mark.parametrize("per_page", ["-1", "0", "101", "1000000000", "x", "٣", ""])
def test_the_queue_refuses_a_page_size_out_of_range(client, rep, per_page):
    client.force_login(rep)
    response = client.get("/queue/", {"per_page": per_page})
    assert response.status_code == 400
    assert "per_page" in response.content.decode()


@pytest.mark.parametrize("per_page", ["1", "25", "100"])
def test_the_queue_takes_a_page_size_from_1_to_100(client, rep, per_page):
    for _ in range(3):
        make_lead(rep)
    client.force_login(rep)
    response = client.get("/queue/", {"per_page": per_page})
    assert response.status_code == 200
    assert response.context["table"].paginator.per_page == int(per_page)
