"""Which leads a report covers: the period (in the organisation's or a team's zone), team
and source filters, parsed from a query string with field errors (reports pages, the
metrics API and `sla_report` share them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from leadops.parsing import row_id
from leadops.timezones import zone
from leads.choices import Source, Temperature
from leads.models import Lead
from reports.periods import check_day, check_moment
from routing.models import Team


@dataclass(frozen=True)
class MetricFilters:
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    team_id: int | None = None
    source: str = ""
    temperature: str = ""
    rep_id: int | None = None
    query: dict = field(default_factory=dict, compare=False)  # as given, for links and exports

    def leads(self) -> QuerySet:
        """The leads the metrics count: not junk, within the filters."""
        leads = Lead.objects.countable()
        if self.since:
            leads = leads.filter(submitted_at__gte=self.since)
        if self.until:
            leads = leads.filter(submitted_at__lt=self.until)
        return self.without_dates(leads)

    def without_dates(self, leads: QuerySet) -> QuerySet:
        if self.team_id:
            leads = leads.filter(team_id=self.team_id)
        if self.source:
            leads = leads.filter(source=self.source)
        if self.temperature:
            leads = leads.filter(temperature=self.temperature)
        if self.rep_id:
            leads = leads.filter(owner_id=self.rep_id)
        return leads

    def reporting_zone(self) -> ZoneInfo:
        """Days and hours are read here: the team's time zone, else the organisation's."""
        if self.team_id:
            team = Team.objects.select_related("schedule").filter(pk=self.team_id).first()
            if team:
                return zone(team.schedule.time_zone)
        return zone(settings.LEADOPS_DEFAULT_TIMEZONE)


def organisation_zone() -> ZoneInfo:
    return zone(settings.LEADOPS_DEFAULT_TIMEZONE)


def _moment(text: str, *, end_of_day: bool) -> datetime:
    """A date (whole day in the organisation's time zone) or an ISO 8601 datetime with offset."""
    text = text.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        check_day(day)
        if end_of_day:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=organisation_zone())
    try:
        moment = datetime.fromisoformat(text.replace(" ", "+") if text.count(" ") == 1 and "T" in text else text)
    except ValueError:
        raise forms.ValidationError("Use a date (2026-11-01) or an ISO 8601 datetime with offset.") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise forms.ValidationError("Include a UTC offset (e.g. +01:00 or Z).")
    return check_moment(moment)


class MetricFilterForm(forms.Form):
    """The filters of the metrics, as query parameters: the API, the dashboard and
    sla_report all parse them here. `until` as a date includes that whole day."""

    since = forms.CharField(required=False, max_length=40)
    until = forms.CharField(required=False, max_length=40)
    team = forms.CharField(required=False, max_length=100, help_text="Team id or name.")
    source = forms.CharField(required=False, max_length=20)
    temperature = forms.CharField(required=False, max_length=10)
    rep = forms.CharField(required=False, max_length=150, help_text="Rep user id or username.")

    def clean_since(self):
        value = self.cleaned_data["since"]
        return _moment(value, end_of_day=False) if value else None

    def clean_until(self):
        value = self.cleaned_data["until"]
        return _moment(value, end_of_day=True) if value else None

    def clean_team(self):
        value = self.cleaned_data["team"].strip()
        if not value:
            return None
        team = Team.objects.filter(pk=team_id).first() if (team_id := row_id(value)) else None
        team = team or Team.objects.filter(name__iexact=value).first()
        if team is None:
            raise forms.ValidationError(f"No team with id or name {value!r}.")
        return team

    def clean_source(self):
        value = self.cleaned_data["source"].strip()
        if value and value not in Source.values:
            raise forms.ValidationError(f"Use one of: {', '.join(Source.values)}.")
        return value

    def clean_temperature(self):
        value = self.cleaned_data["temperature"].strip()
        if value and value not in Temperature.values:
            raise forms.ValidationError(f"Use one of: {', '.join(Temperature.values)}.")
        return value

    def clean_rep(self):
        value = self.cleaned_data["rep"].strip()
        if not value:
            return None
        users = get_user_model().objects
        user = users.filter(pk=user_id).first() if (user_id := row_id(value)) else None
        user = user or users.filter(username=value).first()
        if user is None:
            raise forms.ValidationError(f"No user with id or username {value!r}.")
        return user

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since >= until:
            self.add_error("until", "Must be after since.")
        return data

    def filters(self) -> MetricFilters:
        data = self.cleaned_data
        query = {name: str(self.data[name]).strip() for name in self.fields if self.data.get(name)}
        return MetricFilters(
            since=data["since"],
            until=data["until"],
            team_id=data["team"].pk if data["team"] else None,
            source=data["source"],
            temperature=data["temperature"],
            rep_id=data["rep"].pk if data["rep"] else None,
            query=query,
        )

    def error_messages(self) -> dict[str, list[str]]:
        return {name: [error["message"] for error in errors] for name, errors in self.errors.get_json_data().items()}


def parse_filters(data) -> tuple[MetricFilters | None, dict[str, list[str]]]:
    form = MetricFilterForm(data)
    if not form.is_valid():
        return None, form.error_messages()
    return form.filters(), {}
