"""A rep's week of email on a real IMAP server (Dovecot), with reply times known to the
second, synced and measured: the figures must match the generated threads exactly."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest

from leadops.timezones import zone
from leads.models import Attempt, LeadEvent
from mailboxes.analytics import busiest, figures
from mailboxes.models import FolderState, MailMessage, MailThread, ReplyWait
from mailboxes.sync import sync_mailbox
from mailboxes.tests.mailkit import Conversation, load
from tests.workspace_kit import make_lead, rep_profile

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute, seconds=second)


# (wall-clock seconds, business seconds in Mon-Fri 09:00-17:00 UTC) of every answered wait
EXPECTED = [
    (200, 200),  # Ada writes Mon 10:00:00, answered 10:03:20
    (60300, 2700),  # bob@ (Ada's company domain) Mon 16:30 -> Tue 09:15: 30 min + 15 min of business time
    (3600, 3600),  # Cara Tue 11:00 (and again 11:10, same wait) -> 12:00
    (45, 45),  # Cara again 12:30:00 -> 12:30:45
    (1830, 1830),  # Ada answers the rep's own mail Wed 15:00:00 -> 15:30:30
    (57600, 0),  # Dan Fri 18:00 -> Sat 10:00: no business time at all
]


@pytest.fixture
def week(rep, mailbox, dovecot, imap_user):
    """The week's conversations in the rep's INBOX and Sent, and the leads they involve."""
    rep_profile(rep, time_zone="UTC")
    me = imap_user[0]
    leads = {
        "ada": make_lead(rep, at=at(0, 9, 58), email="ada@acme.test", email_normalized="ada@acme.test",
                         company_domain="acme.test"),
        "cara": make_lead(rep, at=at(1, 10, 59), email="Cara@Bolt.test", email_normalized="cara@bolt.test",
                          company_domain="bolt.test"),
        "dan": make_lead(rep, at=at(4, 17, 59), email="dan@corp.test", email_normalized="dan@corp.test",
                         company_domain="corp.test"),
        "eve": make_lead(rep, at=at(3, 8, 59), email="eve@dove.test", email_normalized="eve@dove.test",
                         company_domain="dove.test"),
    }  # fmt: skip
    threads = []
    t1 = Conversation("t1", "Demo for 40 reps?")
    t1.say("Ada <ada@acme.test>", me, at(0, 10), sent=False)
    t1.say(me, "Ada <ada@acme.test>", at(0, 10, 3, 20), sent=True)
    t2 = Conversation("t2", "Pricing question")
    t2.say("Bob <bob@acme.test>", me, at(0, 16, 30), sent=False)
    t2.say(me, "bob@acme.test", at(1, 9, 15), sent=True)
    t3 = Conversation("t3", "Integration")
    t3.say("cara@bolt.test", me, at(1, 11), sent=False)
    t3.say("cara@bolt.test", me, at(1, 11, 10), sent=False)
    t3.say(me, "cara@bolt.test", at(1, 12), sent=True)
    t3.say("cara@bolt.test", me, at(1, 12, 30), sent=False)
    t3.say(me, "cara@bolt.test", at(1, 12, 30, 45), sent=True)
    t4 = Conversation("t4", "Weekly newsletter")  # not a contact: no wait
    t4.say("news@gmail.com", me, at(2, 8), sent=False)
    t4.say(me, "news@gmail.com", at(2, 8, 5), sent=True)
    t5 = Conversation("t5", "Friday evening")
    t5.say("dan@corp.test", me, at(4, 18), sent=False)
    t5.say(me, "dan@corp.test", at(5, 10), sent=True)
    t6 = Conversation("t6", "Still waiting")
    t6.say("eve@dove.test", me, at(3, 9), sent=False)
    t7 = Conversation("t7", "Following up")
    t7.say(me, "ada@acme.test", at(2, 14), sent=True)
    t7.say("ada@acme.test", me, at(2, 15), sent=False)
    t7.say(me, "ada@acme.test", at(2, 15, 30, 30), sent=True)
    t8 = Conversation("t8", "Before she asked")  # to Cara before her submission: no attempt
    t8.say(me, "cara@bolt.test", at(0, 8), sent=True)
    threads = [t1, t2, t3, t4, t5, t6, t7, t8]
    mails = [mail for thread in threads for mail in thread.mails]
    load(dovecot, *imap_user, sorted(mails, key=lambda mail: mail.at))
    return leads, mails


def test_it_measures_reply_times_to_the_second(week, mailbox):
    assert sync_mailbox(mailbox.pk) == "ok"
    result = figures([mailbox], MONDAY, MONDAY + timedelta(days=7), zone("UTC"))
    wall = [w for w, _ in EXPECTED]
    business = [b for _, b in EXPECTED]
    assert result.replies == 6 and result.waiting == 1  # Eve is still waiting
    assert sorted(ReplyWait.objects.filter(replied_at__isnull=False).values_list("wall_seconds", flat=True)) == sorted(
        wall
    )
    assert result.wall["mean"] == pytest.approx(statistics.fmean(wall))  # 20,595.83 s
    assert result.wall["median"] == 2715.0  # between 1,830 and 3,600
    assert result.wall["p90"] == 58950.0  # 57,600 + 0.5 x (60,300 - 57,600)
    assert (result.wall["under_5m"], result.wall["under_1h"], result.wall["under_6h"]) == (2 / 6, 3 / 6, 4 / 6)
    assert result.business["mean"] == pytest.approx(statistics.fmean(business))
    assert result.business["median"] == 1015.0  # between 200 and 1,830
    assert result.business["p90"] == 3150.0  # 2,700 + 0.5 x 900
    assert (result.business["under_5m"], result.business["under_1h"]) == (3 / 6, 5 / 6)


def test_it_counts_activity_threads_and_busy_hours(week, mailbox):
    _, mails = week
    sync_mailbox(mailbox.pk)
    result = figures([mailbox], MONDAY, MONDAY + timedelta(days=7), zone("UTC"))
    sent = sum(mail.folder == "Sent" for mail in mails)
    assert (result.sent, result.received) == (sent, len(mails) - sent) == (9, 9)
    assert result.sent_per_day == pytest.approx(9 / 7)
    assert result.threads == 8 and result.average_thread_length == pytest.approx(18 / 8)
    assert result.heat[0][10] == 2 and result.heat[1][12] == 3 and result.heat[5][10] == 1  # Mon 10h, Tue 12h, Sat
    assert sum(map(sum, result.heat)) == 18
    assert busiest(result) == {"weekday": "Tue", "hour": 8}  # 8h, 10h and 12h tie at 3: the earliest wins
    assert [(row["day"].isoformat(), row["sent"], row["received"]) for row in result.days][:2] == [
        ("2026-11-02", 2, 2),
        ("2026-11-03", 3, 3),
    ]
    # In another viewer's zone the same messages fall in other hours.
    in_tokyo = figures([mailbox], MONDAY, MONDAY + timedelta(days=7), zone("Asia/Tokyo"))
    assert in_tokyo.heat[0][19] == 2  # Mon 10:00 UTC is 19:00 in Tokyo


def test_it_stores_headers_only_and_rebuilds_threads(week, mailbox):
    sync_mailbox(mailbox.pk)
    assert MailMessage.objects.count() == 18 and MailThread.objects.count() == 8
    stored = " ".join(
        str(value) for row in MailMessage.objects.values_list() for value in row
    )  # every column of every row
    assert "SECRET BODY" not in stored
    cara = MailThread.objects.get(root_message_id="<t3.1@mail.test>")
    assert (cara.messages, cara.subject) == (5, "Integration")
    reply = MailMessage.objects.get(message_id="<t3.3@mail.test>")
    assert reply.outgoing and reply.in_reply_to == "<t3.2@mail.test>" and reply.counterpart == "cara@bolt.test"
    bob = MailMessage.objects.get(message_id="<t2.1@mail.test>")
    assert bob.from_contact and bob.lead_id is None  # a known contact's domain, not a lead
    assert not MailMessage.objects.get(message_id="<t4.1@mail.test>").from_contact


def test_it_puts_lead_emails_on_the_timeline_once(week, mailbox, rep):
    leads, _ = week
    ada = leads["ada"]
    sync_mailbox(mailbox.pk)
    attempts = list(Attempt.objects.filter(lead=ada).order_by("number"))
    assert [(a.channel, a.outcome, a.at, a.by) for a in attempts] == [
        ("email", "sent", at(0, 10, 3, 20), rep),
        ("email", "sent", at(2, 14), rep),
        ("email", "sent", at(2, 15, 30, 30), rep),
    ]
    assert all("mailbox" in attempt.note for attempt in attempts)
    ada.refresh_from_db()
    assert ada.first_attempt_at == at(0, 10, 3, 20)  # time to first response: 320 s
    assert (ada.first_attempt_at - ada.submitted_at).total_seconds() == 320
    received = LeadEvent.objects.filter(lead=ada, kind="mailbox.received").order_by("at")
    assert [event.at for event in received] == [at(0, 10), at(2, 15)]
    cara = leads["cara"]
    assert not Attempt.objects.filter(lead=cara, at__lt=cara.submitted_at).exists()
    assert LeadEvent.objects.filter(lead=cara, kind="mailbox.sent").count() == 1  # before she asked
    assert Attempt.objects.filter(lead=cara).count() == 2

    # Syncing again, and reading a renumbered folder again, adds nothing twice.
    counts = (Attempt.objects.count(), LeadEvent.objects.count())
    mailbox.refresh_from_db()
    assert sync_mailbox(mailbox.pk) == "ok"
    FolderState.objects.filter(mailbox=mailbox).update(uidvalidity=1)
    assert sync_mailbox(mailbox.pk) == "ok"
    assert (Attempt.objects.count(), LeadEvent.objects.count()) == counts
    assert MailMessage.objects.count() == 18


def test_an_email_found_later_is_still_the_first_response(week, mailbox, rep):
    from leads.lifecycle import log_attempt

    ada = week[0]["ada"]
    log_attempt(ada, channel="call", outcome="no_answer", by=rep, at=at(0, 10, 30))  # logged before the sync
    sync_mailbox(mailbox.pk)
    ada.refresh_from_db()
    assert ada.first_attempt_at == at(0, 10, 3, 20)  # the email, not the later call


def test_it_counts_business_time_in_the_reps_own_hours(week, mailbox, rep):
    from routing.models import WorkingHours

    profile = rep_profile(rep, time_zone="Europe/Berlin")  # UTC+1 in November
    for weekday in range(5):
        WorkingHours.objects.create(rep=profile, weekday=weekday, starts="08:00", ends="18:00")
    sync_mailbox(mailbox.pk)
    bob = ReplyWait.objects.get(thread__root_message_id="<t2.1@mail.test>")
    # Mon 16:30 UTC = 17:30 Berlin -> 18:00 (30 min); Tue 08:00 -> 10:15 Berlin (2 h 15 min)
    assert bob.business_seconds == 30 * 60 + 135 * 60
    dan = ReplyWait.objects.get(thread__root_message_id="<t5.1@mail.test>")
    assert dan.business_seconds == 0 and dan.wall_seconds == 57600
