"""Who gets a web push for which timeline event (the page's live events are
notifications/live.py; this is the same news for the rep's devices, also with no tab open):

    lead.assigned                               -> "lead.assigned"    to the new owner
    lead.reassigned, lead.handed_over,
    lead.escalated                              -> "lead.reassigned"  to the new owner
    task.due                                    -> "task.due"         to the step's rep
    sla.warning                                 -> "sla.warning"      to the owner

Called inside the event's transaction (pipeline/flow.py): one query finds the rep's devices
(none: nothing more), then one outbox row per device is written and one job per event is
enqueued after the commit (webpush/delivery.py sends). The rep's choice in their profile
(RepProfile.push_alerts: all, hot only, none) is honoured here."""

from __future__ import annotations

from leadops.queues import enqueue_on_commit
from leads.models import Lead, LeadEvent
from notifications.alerts import wants
from routing.config import fresh_cached
from routing.models import AlertChoice, RepProfile
from webpush.models import PushDelivery, PushSubscription

PUSH_KINDS = {
    "lead.assigned": "lead.assigned",
    "lead.reassigned": "lead.reassigned",
    "lead.handed_over": "lead.reassigned",
    "lead.escalated": "lead.reassigned",
    "task.due": "task.due",
    "sla.warning": "sla.warning",
}
SEND_JOB = "webpush.tasks.send_pushes"


def job_id(event_id: int) -> str:
    return f"push-{event_id}"


def _recipient(lead: Lead, event: LeadEvent) -> int | None:
    if event.kind == "task.due":
        return event.data.get("owner_id") or lead.owner_id
    return lead.owner_id


def _devices() -> dict[int, list[int]]:
    """user id -> their push subscriptions' ids. Asked for every lead assigned and every call
    due, and changed only when a rep adds or removes a device: cached like the routing
    configuration, and re-read in every process after a change (webpush/apps.py)."""

    def load():
        devices: dict[int, list[int]] = {}
        for pk, user_id in PushSubscription.objects.order_by("pk").values_list("pk", "user_id"):
            devices.setdefault(user_id, []).append(pk)
        return devices

    return fresh_cached("push_devices", load)


def _queue(items: list[tuple[LeadEvent, int, str, str]]) -> int:
    """items: (event, user id, push kind, lead temperature). Returns the rows written."""
    known = _devices()
    devices = {user_id: known[user_id] for _, user_id, _, _ in items if user_id in known}
    if not devices:
        return 0
    choices = dict(RepProfile.objects.filter(user_id__in=list(devices)).values_list("user_id", "push_alerts"))
    rows = [
        PushDelivery(event=event, subscription_id=device, kind=kind)
        for event, user_id, kind, temperature in items
        if wants(choices.get(user_id, AlertChoice.ALL), temperature)
        for device in devices.get(user_id, ())
    ]
    PushDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    for event_id in sorted({row.event_id for row in rows}):
        enqueue_on_commit(SEND_JOB, event_id, job_id=job_id(event_id))
    return len(rows)


def notify(lead: Lead, event: LeadEvent) -> None:
    """TIMELINE_RECORDED: most kinds push nothing (a dict lookup)."""
    kind = PUSH_KINDS.get(event.kind)
    if kind is None or lead.junk:
        return
    user_id = _recipient(lead, event)
    if user_id:
        _queue([(event, user_id, kind, lead.temperature)])


def notify_due_tasks(events, leads: dict[int, Lead]) -> None:
    """TASKS_DUE: a batch of "task.due" events from the cadence dispatcher, in one go."""
    items = []
    for event in events:
        lead = leads.get(event.lead_id)
        if event.kind != "task.due" or lead is None or lead.junk:
            continue
        user_id = _recipient(lead, event)
        if user_id:
            items.append((event, user_id, "task.due", lead.temperature))
    if items:
        _queue(items)
