"""The pure rules: threads from headers, waits, percentiles and shares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mailboxes.imap import addresses, message_ids, parse_date, parse_headers
from mailboxes.threads import Message, percentile, summary, threads, waits

T0 = datetime(2026, 11, 2, 10, tzinfo=UTC)


def msg(mid, minutes, *, outgoing=False, contact=True, reply_to="", refs=()):
    return Message(mid, reply_to, tuple(refs), T0 + timedelta(minutes=minutes), outgoing, contact and not outgoing)


def test_it_joins_replies_to_a_parent_it_never_saw():
    # Two replies name a parent that is not in the mailbox: they still form one thread.
    first = msg("<a>", 0, reply_to="<missing>")
    second = msg("<b>", 5, outgoing=True, refs=("<missing>",))
    other = msg("<c>", 1)
    found = threads([second, other, first])
    assert [[m.message_id for m in thread] for thread in found] == [["<a>", "<b>"], ["<c>"]]


def test_it_follows_references_across_the_chain():
    chain = [msg("<1>", 0), msg("<2>", 1, outgoing=True, reply_to="<1>"), msg("<3>", 2, refs=("<1>", "<2>"))]
    assert len(threads(reversed(chain))) == 1


@pytest.mark.parametrize(
    "messages, expected",
    [
        # contact, contact again, rep: one wait from the first message
        ([msg("<1>", 0), msg("<2>", 10), msg("<3>", 60, outgoing=True)], [(0, 60)]),
        # the rep writes first: no wait until the contact answers
        ([msg("<1>", 0, outgoing=True), msg("<2>", 30), msg("<3>", 35, outgoing=True)], [(30, 35)]),
        # not a contact (a newsletter): no wait
        ([msg("<1>", 0, contact=False), msg("<2>", 5, outgoing=True)], []),
        # never answered
        ([msg("<1>", 0), msg("<2>", 3)], [(0, None)]),
        # two rounds
        ([msg("<1>", 0), msg("<2>", 2, outgoing=True), msg("<3>", 4), msg("<4>", 9, outgoing=True)], [(0, 2), (4, 9)]),
    ],
)
def test_it_times_waits_from_the_first_unanswered_message(messages, expected):
    found = [
        ((w.waited_from - T0).seconds // 60, None if w.replied_at is None else (w.replied_at - T0).seconds // 60)
        for w in waits(messages)
    ]
    assert found == expected


def test_it_interpolates_percentiles_like_postgresql():
    assert percentile([], 0.5) is None
    assert percentile([7], 0.9) == 7
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9) == 91.0


def test_it_counts_shares_strictly_under_each_limit():
    figures = summary([299, 300, 3599, 3600, 21599, 21600])
    assert (figures["under_5m"], figures["under_1h"], figures["under_6h"]) == (1 / 6, 3 / 6, 5 / 6)
    assert summary([])["mean"] is None and summary([])["under_5m"] is None


def test_it_reads_headers_defensively():
    raw = (
        b"From: =?utf-8?q?Ana=C3=AFs?= <Anais@Example.COM>\r\nTo: a@x.test, B <b@y.test>\r\nCc: c@z.test\r\n"
        b"Subject: =?utf-8?b?UsOpc3Vtw6k=?=\r\nMessage-ID: <ID@host>\r\nIn-Reply-To: <p@host> (comment)\r\n"
        b"Date: not a date\r\n\r\n"
    )
    headers = parse_headers(7, raw, T0)
    assert headers.from_address == "anais@example.com" and headers.subject == "Résumé"
    assert headers.to_addresses == ("a@x.test", "b@y.test", "c@z.test")
    assert headers.message_id == "<id@host>" and headers.in_reply_to == "<p@host>"
    assert headers.sent_at is None and headers.internal_date == T0  # the sync falls back to the server's date
    assert parse_date("Mon, 02 Nov 2026 10:00:00 +0100") == datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert message_ids("<a@b> junk <c@d>") == ("<a@b>", "<c@d>") and addresses("") == ()
