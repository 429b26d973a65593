"""The admin's "What if": a change form posts its unsaved edit, an RQ job replays, the
page polls the progress and then shows current vs edited side by side."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from routing.models import RepProfile, RoutingRule, WorkingHours
from whatif.compare import what_if
from whatif.configuration import Edit


def _rule_form(rule: RoutingRule, **changes) -> dict:
    data = {
        "position": rule.position, "name": rule.name, "active": "on", "sources": "[]", "inquiry_types": "[]",
        "temperatures": '["warm"]', "countries": "[]", "regions": "[]", "postal_prefixes": "[]",
        "product_interests": "[]", "team": rule.team_id, "reps": [user.pk for user in rule.reps.all()],
        "strategy": rule.strategy, "fallback": rule.fallback, "_whatif_days": "11",
    }  # fmt: skip
    data.update(changes)
    return data


def test_it_replays_an_unsaved_rule_edit_in_a_job_and_shows_both_sides(history, client, run_jobs):
    ends, leads, reps, (hot_rule, warm_rule) = history
    boss = User.objects.create_superuser("chief", "chief@example.com", "pw-123456")
    client.force_login(boss)
    page = client.get(reverse("admin:routing_routingrule_change", args=[warm_rule.pk]))
    assert b"What if" in page.content
    start = reverse("whatif:start", args=["routing", "routingrule"]) + f"?object={warm_rule.pk}"
    assert start.encode().replace(b"&", b"&amp;") in page.content

    with time_machine.travel(ends, tick=False):
        response = client.post(start, _rule_form(warm_rule, reps=[reps[1].pk], strategy="round_robin"))
        assert response.status_code == 302
        result_url = response["Location"]
        waiting = client.get(result_url)
        assert b"whatif-progress" in waiting.content and b"whatif/progress.js" in waiting.content
        assert run_jobs() == 1
        progress = client.get(result_url.rstrip("/") + "/progress/").json()
        assert progress == {"status": "finished", "progress": 1.0}
        done = client.get(result_url)
    text = done.content.decode()
    assert "Leads replayed" in text and "Leads whose owner would change" in text
    report = done.context["report"]
    per_rep = {row["rep"]: (row["current"], row["edited"]) for row in report["reps"]}
    assert per_rep["cleo"][1] < per_rep["cleo"][0] and per_rep["ben"][1] > per_rep["ben"][0]
    assert report["changed_count"] > 0 and "L-" in text
    warm_rule.refresh_from_db()
    assert warm_rule.strategy == "least_loaded" and warm_rule.reps.count() == 3  # not saved


def test_it_refuses_an_invalid_form_with_its_errors_and_queues_nothing(history, client, real_redis):
    ends, leads, reps, (hot_rule, warm_rule) = history
    client.force_login(User.objects.create_superuser("chief", "chief@example.com", "pw-123456"))
    start = reverse("whatif:start", args=["routing", "routingrule"]) + f"?object={warm_rule.pk}"
    response = client.post(start, _rule_form(warm_rule, strategy="coin_toss"))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = client.post(start, _rule_form(warm_rule, _whatif_days="400"))
    assert response.status_code == 400 and "between 1 and 90" in response.content.decode()
    assert not [key for key in real_redis.keys("rq:job:*")]


def test_it_lets_only_those_who_may_change_the_object_try(history, client, manager):
    ends, leads, reps, (hot_rule, warm_rule) = history
    rep = User.objects.create_user("nosy", is_staff=True)
    client.force_login(rep)
    start = reverse("whatif:start", args=["routing", "routingrule"]) + f"?object={warm_rule.pk}"
    assert client.post(start, _rule_form(warm_rule)).status_code == 403


def test_it_shows_a_rep_at_zero_capacity_getting_no_leads(history):
    ends, leads, reps, rules = history
    profile = RepProfile.objects.get(user=reps[0])
    profile.capacity = 0
    hours = {day: ((time_of(0), time_of(23, 59, 59)),) for day in range(7)}
    report = what_if(Edit("rep", profile, hours=hours), days=11, until=ends)
    per_rep = {row["rep"]: (row["current"], row["edited"]) for row in report["reps"]}
    assert per_rep["ava"][0] > 0 and per_rep["ava"][1] == 0
    assert report["changed_count"] >= per_rep["ava"][0]


def test_it_moves_deadlines_with_an_edited_sla_policy(history):
    from leads.models import SlaPolicy

    ends, leads, reps, rules = history
    WorkingHours.objects.update(starts=time_of(9), ends=time_of(17))  # the reps now keep office hours
    hot = SlaPolicy.objects.get(name="Hot")
    hot.business_hours = False
    hot.first_contact_within = timedelta(hours=20)
    report = what_if(Edit("sla_policy", hot), days=11, until=ends)
    # 3 business minutes fall inside the hours; 20 wall-clock hours mostly do not
    assert report["edited"]["due_in_hours"]["count"] < report["current"]["due_in_hours"]["count"]
    # (owners may change too: waiting leads are taken most urgent first, by their deadlines)


def time_of(*parts):
    from datetime import time

    return time(*parts)
