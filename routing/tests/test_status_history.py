"""Every change of a rep's status is kept (routing.RepStatusChange), whichever door it
came through: the status API, the queue page's presence, the admin."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.urls import reverse

from routing.assignment import set_rep_status
from routing.models import RepProfile, RepStatusChange
from workspace.presence import set_status


def _history(user) -> list[str]:
    return list(RepStatusChange.objects.filter(user=user).order_by("at", "pk").values_list("status", flat=True))


def test_it_records_each_change_once_with_the_profile_time(rep):
    set_rep_status(rep, "available")
    set_rep_status(rep, "available")  # no change: nothing recorded
    set_rep_status(rep, "away")
    profile = RepProfile.objects.get(user=rep)
    assert _history(rep) == ["available", "away"]
    assert RepStatusChange.objects.filter(user=rep).latest("at").at == profile.status_changed_at


def test_it_records_the_status_api_and_presence(rep, client):
    client.force_login(rep)
    response = client.post("/api/v1/me/status", {"status": "available"}, content_type="application/json")
    assert response.status_code == 200
    set_status(rep, "offline")  # what presence does when the last queue page closes
    assert _history(rep) == ["available", "offline"]


def test_it_records_a_status_set_in_the_admin(rep, client):
    set_rep_status(rep, "available")
    boss = User.objects.create_superuser("chief", "chief@example.com", "pw-123456")
    client.force_login(boss)
    profile = RepProfile.objects.get(user=rep)
    url = reverse("admin:routing_repprofile_change", args=[profile.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "territories"}
    data.update(
        {"user": rep.pk, "status": "away", "product_skills": "[]",
         "hours-TOTAL_FORMS": 0, "hours-INITIAL_FORMS": 0, "leave-TOTAL_FORMS": 0, "leave-INITIAL_FORMS": 0}
    )  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert _history(rep) == ["available", "away"]
