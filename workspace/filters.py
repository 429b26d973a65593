"""The rep's queue (/queue/): which leads, in which order, and its filters.

Order, most urgent first: leads still waiting for their first contact (the SLA clock is
running) by time left to their due time, then the others by their next due call or task
step (the cadence engine); hot before warm before cold at equal times. The same sort key
is put on each row (`sort_key`), so the page can place a pushed lead where a reload
would show it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import django_filters
from django import forms
from django.db.models import Case, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.fields import DateTimeField
from django.utils.translation import gettext_lazy as _

from cadences.models import TASK_CHANNELS, PlannedStep, StepStatus
from leadops.parsing import row_id
from leads.choices import Source, Stage, Temperature
from leads.models import Lead

OPEN_STAGES = (Stage.NEW, Stage.ASSIGNED, Stage.CONTACTED, Stage.CONNECTED)
TEMPERATURE_RANK = {Temperature.HOT: 0, Temperature.WARM: 1, Temperature.COLD: 2}


def _next_step_due() -> Subquery | Value:
    steps = PlannedStep.objects.filter(
        enrollment__lead=OuterRef("pk"),
        enrollment__state="active",
        status=StepStatus.SCHEDULED,
        channel__in=TASK_CHANNELS,
    ).order_by("due_at")
    return Subquery(steps.values("due_at")[:1], output_field=DateTimeField())


def with_urgency(leads: QuerySet) -> QuerySet:
    """Annotate `next_step_due_at`, `urgent_at`, `waiting` and `temperature_rank`; sort."""
    return leads.annotate(
        next_step_due_at=_next_step_due(),
        waiting=Case(When(first_attempt_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()),
        urgent_at=Case(
            When(first_attempt_at__isnull=True, then=F("first_contact_due_at")),
            default=F("next_step_due_at"),
            output_field=DateTimeField(),
        ),
        temperature_rank=Case(
            *[When(temperature=value, then=Value(rank)) for value, rank in TEMPERATURE_RANK.items()],
            default=Value(3),
            output_field=IntegerField(),
        ),
    ).order_by("waiting", F("urgent_at").asc(nulls_last=True), "temperature_rank", "submitted_at", "pk")


def queue_leads(*, owner=None, team=None) -> QuerySet:
    """Open, non-junk leads of one rep, or of one team (its leads and its members' leads)."""
    leads = Lead.objects.filter(junk=False, stage__in=OPEN_STAGES).select_related("owner")
    if team is not None:
        leads = leads.filter(Q(team=team) | Q(owner__in=team.members.values("pk")))
    else:
        leads = leads.filter(owner=owner)
    return with_urgency(leads)


def sort_key(*, first_attempt_at, urgent_at, temperature, submitted_at, lead_id) -> list:
    """The row's place in the queue, as the page compares it (numbers only)."""
    far = 32503680000000  # year 3000, for "no due time": last
    return [
        0 if first_attempt_at is None else 1,
        int(urgent_at.timestamp() * 1000) if urgent_at else far,
        TEMPERATURE_RANK.get(temperature, 3),
        int(submitted_at.timestamp() * 1000) if submitted_at else 0,
        lead_id,
    ]


class QueueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    stage = django_filters.ChoiceFilter(
        choices=[(stage.value, stage.label) for stage in OPEN_STAGES], empty_label=_("Any stage")
    )
    temperature = django_filters.ChoiceFilter(choices=Temperature.choices, empty_label=_("Any temperature"))
    source = django_filters.ChoiceFilter(choices=Source.choices, empty_label=_("Any source"))
    due_today = django_filters.BooleanFilter(
        method="filter_due_today", label=_("Due today"), widget=forms.CheckboxInput
    )

    class Meta:
        model = Lead
        fields = ["q", "stage", "temperature", "source", "due_today"]

    def __init__(self, *args, now: datetime, tz: ZoneInfo, **kwargs):
        super().__init__(*args, **kwargs)
        self.now, self.tz = now, tz
        self.form.fields["q"].widget.attrs.update(placeholder=_("Name, company, email, phone, L-123"), type="search")

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()[:100]
        if not value:
            return queryset
        condition = Q()
        for field in ("name", "first_name", "last_name", "company", "email", "phone", "phone_e164"):
            condition |= Q(**{f"{field}__icontains": value})
        number = value.upper().removeprefix("L-").strip()
        if (lead_id := row_id(number)) is not None:
            condition |= Q(pk=lead_id)
        return queryset.filter(condition)

    def end_of_today(self) -> datetime:
        local_now = self.now.astimezone(self.tz)
        return datetime.combine(local_now.date() + timedelta(days=1), time(0), tzinfo=self.tz)

    def filter_due_today(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        """Due before the end of the viewer's day (overdue included)."""
        if not value:
            return queryset
        return queryset.filter(urgent_at__lt=self.end_of_today())

    @property
    def active(self) -> dict:
        """The filters in use, as the page's live updates check them."""
        if not self.is_bound or not self.form.is_valid():
            return {}
        return {key: value for key, value in self.form.cleaned_data.items() if value not in (None, "", False)}
