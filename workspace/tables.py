"""The queue table (django-tables2). static/workspace/queue.js builds the same row from a
pushed lead summary (notifications.live.lead_summary), so a lead that arrives live
looks like one that was there on load: keep the two in step.

Every value goes through format_html / the template engine: lead fields are shown as
text, never markup."""

from __future__ import annotations

import json

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from leads.models import Lead
from notifications.alerts import sla_warning_at
from workspace.filters import sort_key


def _iso(moment) -> str:
    return moment.isoformat() if moment else ""


def countdown(lead: Lead) -> str:
    """The row's clock: time left to first contact (amber from 80% of the time, red when
    overdue), else to the next call/task step; the page ticks it every second."""
    if lead.first_attempt_at is None and lead.first_contact_due_at:
        due, warn, mode, label = lead.first_contact_due_at, sla_warning_at(lead), "sla", _("first contact due")
    elif getattr(lead, "next_step_due_at", None):
        due, warn, mode, label = lead.next_step_due_at, None, "step", _("next step due")
    else:
        return format_html('<span class="countdown done" data-mode="none">{}</span>', _("contacted"))
    return format_html(
        '<span class="countdown" data-mode="{}" data-due="{}" data-warn="{}">{} {}</span>',
        mode,
        _iso(due),
        _iso(warn),
        label,
        date_format(localtime(due), "D H:i"),
    )


def offer_actions(lead: Lead, viewer_id: int | None) -> str:
    """Accept or pass, on the rep's own rows not yet accepted (static/workspace/queue.js
    posts the accept; passing asks for a reason on the lead page)."""
    if viewer_id is None or lead.owner_id != viewer_id or lead.accepted_at or lead.first_attempt_at:
        return ""
    return format_html(
        '<span class="offer-actions"><button type="button" class="small-button accept-button" data-accept="{}">'
        '{}</button><a class="small-button pass-link" href="{}#pass">{}</a></span>',
        lead.pk,
        _("Accept"),
        reverse("workspace-lead", args=[lead.pk]),
        _("Pass"),
    )


class QueueTable(tables.Table):
    lead = tables.Column(
        accessor="pk", verbose_name=_("Lead"), attrs={"td": {"data-label": _("Lead"), "class": "c-lead"}}
    )
    phone = tables.Column(
        empty_values=(), verbose_name=_("Call"), attrs={"td": {"data-label": _("Call"), "class": "c-call"}}
    )
    temperature = tables.Column(verbose_name=_("Temp."), attrs={"td": {"data-label": _("Temp."), "class": "c-temp"}})
    source = tables.Column(verbose_name=_("Source"), attrs={"td": {"data-label": _("Source"), "class": "c-source"}})
    stage = tables.Column(verbose_name=_("Stage"), attrs={"td": {"data-label": _("Stage"), "class": "c-stage"}})
    due = tables.Column(
        empty_values=(), verbose_name=_("Time left"), attrs={"td": {"data-label": _("Time left"), "class": "c-due"}}
    )
    owner = tables.Column(
        empty_values=(), verbose_name=_("Owner"), attrs={"td": {"data-label": _("Owner"), "class": "c-owner"}}
    )

    class Meta:
        model = Lead
        fields = ()
        sequence = ("lead", "phone", "temperature", "source", "stage", "due", "owner")
        orderable = False
        attrs = {"class": "queue-table", "id": "queue-table"}
        empty_text = _("No open leads right now. New ones appear here as they are assigned.")
        row_attrs = {
            "id": lambda record: f"lead-{record.pk}",
            "class": lambda record: f"lead-row temp-{record.temperature}",
            "data-lead": lambda record: record.pk,
            "data-owner": lambda record: record.owner_id or "",
            "data-team": lambda record: record.team_id or "",
            "data-stage": lambda record: record.stage,
            "data-temperature": lambda record: record.temperature,
            "data-source": lambda record: record.source,
            "data-sort": lambda record: json.dumps(
                sort_key(
                    first_attempt_at=record.first_attempt_at,
                    urgent_at=record.urgent_at,
                    temperature=record.temperature,
                    submitted_at=record.submitted_at,
                    lead_id=record.pk,
                )
            ),
        }

    def __init__(self, *args, team_view: bool = False, viewer_id: int | None = None, **kwargs):
        super().__init__(*args, exclude=() if team_view else ("owner",), **kwargs)
        self.viewer_id = None if team_view else viewer_id

    def render_lead(self, record: Lead):
        return format_html(
            '<a class="lead-name" href="{}">{}</a><span class="company">{}</span><span class="inquiry">{}</span>',
            reverse("workspace-lead", args=[record.pk]),
            record.display_name or f"L-{record.pk}",
            record.company,
            record.get_inquiry_type_display(),
        )

    def render_phone(self, record: Lead):
        if not record.phone_e164:
            dial = format_html('<span class="muted">{}</span>', record.phone or _("no phone"))
        else:
            dial = format_html(
                '<a class="dial" href="tel:{}">{}</a>', record.phone_e164, record.phone or record.phone_e164
            )
        return format_html("{}{}", dial, offer_actions(record, self.viewer_id))

    def render_temperature(self, record: Lead):
        return format_html(
            '<span class="badge temp-{}">{}</span>', record.temperature, record.get_temperature_display()
        )

    def render_source(self, record: Lead):
        return record.get_source_display()

    def render_stage(self, record: Lead):
        return record.get_stage_display()

    def render_due(self, record: Lead):
        return countdown(record)

    def render_owner(self, record: Lead):
        if not record.owner_id:
            return format_html('<span class="muted">{}</span>', _("unassigned"))
        return record.owner.get_full_name() or record.owner.get_username()
