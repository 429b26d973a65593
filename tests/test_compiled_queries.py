"""leadops/compiled.py: a query compiled once gives what its queryset gives, run after run,
with new values each time - on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from cadences.models import Cadence, Enrollment, PlannedStep, StepStatus
from leadops.compiled import CompiledQuery
from leads.models import Lead
from notifications.live import SUMMARY_ROW, _with_summary_facts, lead_summary
from routing.decision import EARLIER_OWNER, USERS_WITH_PROFILES
from routing.models import RepProfile


@pytest.fixture
def leads(rep, other_rep, lead_source):
    now = timezone.now()
    RepProfile.objects.create(user=rep, capacity=7, sms_phone="+15550001111")
    made = [
        Lead.objects.create(
            lead_source=lead_source,
            name=f"Lead {n}",
            email=f"l{n}@acme.example",
            company_domain="acme.example" if n < 3 else "other.example",
            owner=[rep, other_rep, None][n % 3],
            stage=["assigned", "new", "won", "won", "contacted", "new"][n],
            submitted_at=now - timedelta(minutes=10 - n),
        )  # fmt: skip
        for n in range(6)
    ]
    cadence = Cadence.objects.create(name="Hot")
    enrollment = Enrollment.objects.create(lead=made[0], cadence=cadence, started_at=now)
    for number, minutes in ((1, 5), (2, 2)):
        PlannedStep.objects.create(
            enrollment=enrollment, number=number, channel="call", due_at=now + timedelta(minutes=minutes),
            status=StepStatus.SCHEDULED,
        )  # fmt: skip
    return made


@pytest.mark.django_db
def test_instances_with_related_objects_deferred_fields_and_annotations_match_the_queryset(leads):
    for lead in leads:  # one compilation, six runs with new values
        expected = _with_summary_facts(Lead.objects).get(pk=lead.pk)
        got = SUMMARY_ROW.first(lead.pk)
        assert lead_summary(got) == lead_summary(expected)
        assert got.get_deferred_fields() == expected.get_deferred_fields()
        assert got.next_step_due == expected.next_step_due
        if lead.owner_id:
            assert got.owner.get_username() == expected.owner.get_username()  # select_related: already there
    assert SUMMARY_ROW.first(leads[0].pk).next_step_due == PlannedStep.objects.get(number=2).due_at
    assert SUMMARY_ROW.first(10**9) is None


@pytest.mark.django_db
def test_rows_of_values_lists_with_text_and_list_parameters(leads, rep, other_rep):
    acme = [lead for lead in leads if lead.company_domain == "acme.example"]
    newest_other_owned = max((lead for lead in acme[:2]), key=lambda lead: lead.submitted_at)
    assert EARLIER_OWNER.rows("acme.example", acme[2].pk) == [(newest_other_owned.owner_id,)]
    assert EARLIER_OWNER.rows("nobody.example", acme[2].pk) == []
    expected = {rep.pk: 1, other_rep.pk: 2}  # open stages only: the rep's second lead is won
    for ids in ([rep.pk, other_rep.pk], [rep.pk], [other_rep.pk, rep.pk, 10**9]):  # a shape per length
        got = {user.pk: user.open_leads for user in USERS_WITH_PROFILES.all(ids)}
        assert got == {pk: count for pk, count in expected.items() if pk in ids}
    assert USERS_WITH_PROFILES.all([]) == []
    Lead.objects.filter(owner=other_rep).update(owner=None)
    assert {user.pk: user.open_leads for user in USERS_WITH_PROFILES.all([other_rep.pk])} == {other_rep.pk: 0}
    users = USERS_WITH_PROFILES.all([rep.pk, other_rep.pk])
    assert sorted(user.pk for user in users) == sorted([rep.pk, other_rep.pk])
    with_profile = next(user for user in users if user.pk == rep.pk)
    assert with_profile.rep_profile.capacity == 7 and with_profile.rep_profile.sms_phone == "+15550001111"


@pytest.mark.django_db
def test_a_locking_query_runs_inside_a_transaction(leads):
    locked = CompiledQuery(lambda lead_id: Lead.objects.select_for_update(of=("self",)).filter(pk=lead_id))
    with transaction.atomic():
        assert locked.first(leads[1].pk).name == "Lead 1"
        assert locked.first(leads[2].pk).name == "Lead 2"


@pytest.mark.django_db
def test_a_parameter_the_sql_does_not_carry_as_given_is_refused(leads):
    doubled = CompiledQuery(lambda lead_id: Lead.objects.filter(pk=lead_id) | Lead.objects.filter(pk=lead_id))
    with pytest.raises(ValueError, match="once"):
        doubled.first(leads[0].pk)


@pytest.mark.django_db
def test_datetime_parameters_on_either_database(leads):
    due_by = CompiledQuery(
        lambda now: PlannedStep.objects.filter(due_at__lte=now).order_by("due_at").values_list("number")
    )
    now = timezone.now()
    assert due_by.rows(now) == []
    assert due_by.rows(now + timedelta(minutes=3)) == [(2,)]
    assert due_by.rows(now + timedelta(minutes=6)) == [(2,), (1,)]
