"""The figures of the mailbox page, per rep and per team, over a period [since, until).

- Reply time: the waits that *started* in the period (a contact's message that opened a
  wait, to the rep's first reply in the thread), in wall-clock seconds and in business
  seconds of the rep's hours; mean, median, p90 (percentile_cont), the shares answered in
  under 5 min / 1 h / 6 h; waits still unanswered are counted apart.
- Emails sent and received per day: messages dated in the period / its length in days.
- Busiest hours and weekdays: all messages in the period by weekday and hour, in the
  viewer's time zone (a 7 x 24 heat map).
- Average thread length: messages per thread, over threads with a message in the period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, Q
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate

from mailboxes.models import Mailbox, MailMessage, MailThread, ReplyWait
from mailboxes.threads import summary

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class Figures:
    replies: int = 0
    waiting: int = 0
    wall: dict = field(default_factory=dict)
    business: dict = field(default_factory=dict)
    sent: int = 0
    received: int = 0
    sent_per_day: float = 0.0
    received_per_day: float = 0.0
    threads: int = 0
    average_thread_length: float | None = None
    heat: list[list[int]] = field(default_factory=list)  # [weekday][hour]
    heat_max: int = 0
    days: list[dict] = field(default_factory=list)  # per day: {"day", "sent", "received"}

    def as_json(self) -> dict:
        return {
            "replies": self.replies, "waiting": self.waiting, "wall": self.wall, "business": self.business,
            "sent": self.sent, "received": self.received, "sent_per_day": self.sent_per_day,
            "received_per_day": self.received_per_day, "threads": self.threads,
            "average_thread_length": self.average_thread_length, "heat": self.heat,
        }  # fmt: skip


def figures(mailboxes: Sequence[Mailbox], since: datetime, until: datetime, tz: ZoneInfo) -> Figures:
    result = Figures()
    ids = [mailbox.pk for mailbox in mailboxes]
    waits = ReplyWait.objects.filter(mailbox_id__in=ids, waited_from__gte=since, waited_from__lt=until)
    answered = list(waits.filter(replied_at__isnull=False).values_list("wall_seconds", "business_seconds"))
    result.replies, result.waiting = len(answered), waits.filter(replied_at__isnull=True).count()
    result.wall = summary([wall for wall, _ in answered])
    result.business = summary([business for _, business in answered])

    messages = MailMessage.objects.filter(mailbox_id__in=ids, sent_at__gte=since, sent_at__lt=until)
    sent, received = Count("pk", filter=Q(outgoing=True)), Count("pk", filter=Q(outgoing=False))
    counts = messages.aggregate(sent=sent, received=received)
    result.sent, result.received = counts["sent"], counts["received"]
    length_days = max((until - since).total_seconds() / 86400, 1e-9)
    result.sent_per_day, result.received_per_day = result.sent / length_days, result.received / length_days

    result.heat = [[0] * 24 for _ in WEEKDAYS]
    cells = (
        messages.annotate(weekday=ExtractIsoWeekDay("sent_at", tzinfo=tz), hour=ExtractHour("sent_at", tzinfo=tz))
        .values("weekday", "hour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for cell in cells:
        result.heat[cell["weekday"] - 1][cell["hour"]] = cell["n"]
    result.heat_max = max(max(row) for row in result.heat)

    per_day = (
        messages.annotate(day=TruncDate("sent_at", tzinfo=tz))
        .values("day")
        .annotate(sent=Count("pk", filter=Q(outgoing=True)), received=Count("pk", filter=Q(outgoing=False)))
        .order_by("day")
    )
    result.days = list(per_day)

    threads = MailThread.objects.filter(mailbox_id__in=ids, started_at__lt=until, last_at__gte=since)
    thread_figures = threads.aggregate(n=Count("pk"), length=Avg("messages"))
    result.threads, result.average_thread_length = thread_figures["n"], thread_figures["length"]
    return result


def busiest(result: Figures) -> dict:
    """The busiest weekday and hour of day (None without messages)."""
    if not result.heat_max:
        return {"weekday": None, "hour": None}
    by_day = [sum(row) for row in result.heat]
    by_hour = [sum(row[hour] for row in result.heat) for hour in range(24)]
    return {"weekday": WEEKDAYS[by_day.index(max(by_day))], "hour": by_hour.index(max(by_hour))}
