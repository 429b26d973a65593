"""The mailbox pages and admin: who sees what, connecting with a form error for every bad
input (checked against the real server), the password never shown again."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from leadops.encryption import decrypt
from mailboxes.models import Mailbox
from mailboxes.sync import sync_mailbox
from mailboxes.tests.conftest import connect_mailbox
from mailboxes.tests.mailkit import Conversation, load
from tests.workspace_kit import make_lead, make_team


def form(dovecot, user, password, **changes):
    values = {
        "host": dovecot.host, "port": dovecot.tls_port, "security": "tls", "username": user, "password": password,
        "inbox_folder": "INBOX", "sent_folder": "Sent", "addresses": "",
    }  # fmt: skip
    values.update(changes)
    return values


def test_a_rep_connects_their_mailbox_and_the_password_stays_secret(client, rep, dovecot, imap_user):
    user, password = imap_user
    client.force_login(rep)
    wrong = client.post("/mailbox/connect/", form(dovecot, user, "nope"))
    assert wrong.status_code == 400 and b"refused the user name or password" in wrong.content
    missing = client.post("/mailbox/connect/", form(dovecot, user, password, sent_folder="Gesendet"))
    assert missing.status_code == 400 and b"There is no folder &quot;Gesendet&quot;" in missing.content
    bad_host = client.post("/mailbox/connect/", form(dovecot, user, password, host="imap://x", port="99999"))
    assert bad_host.status_code == 400 and b"server&#x27;s name only" in bad_host.content
    assert b"A port is between 1 and 65535" in bad_host.content
    assert not Mailbox.objects.exists()

    done = client.post("/mailbox/connect/", form(dovecot, user, password))
    assert done.status_code == 302 and done["Location"] == "/mailbox/"
    mailbox = Mailbox.objects.get(owner=rep)
    assert password not in mailbox.password and decrypt(mailbox.password) == password
    assert mailbox.sync_requested_at is not None
    page = client.get("/mailbox/connect/")
    assert page.status_code == 200 and password.encode() not in page.content
    assert mailbox.password.encode() not in page.content
    # Saving again without a password keeps the stored one (and checks it still works).
    again = client.post("/mailbox/connect/", form(dovecot, user, "", addresses="rita@other.test"))
    assert again.status_code == 302
    mailbox.refresh_from_db()
    assert decrypt(mailbox.password) == password and mailbox.addresses == "rita@other.test"


def test_a_rep_sees_their_own_figures_only(client, rep, other_rep, mailbox, dovecot, imap_user):
    me = imap_user[0]
    make_lead(rep, at=timezone.now() - timedelta(days=2), email="ada@acme.test", email_normalized="ada@acme.test")
    thread = Conversation("p1", "Demo")
    thread.say("ada@acme.test", me, timezone.now() - timedelta(days=1, minutes=10), sent=False)
    thread.say(me, "ada@acme.test", timezone.now() - timedelta(days=1, minutes=6), sent=True)
    load(dovecot, *imap_user, thread.mails)
    assert sync_mailbox(mailbox.pk) == "ok"
    client.force_login(rep)
    page = client.get("/mailbox/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "My mailbox: reply times and activity" in text and "4 min 00 s" in text and "Sync now" in text
    assert client.get(f"/mailbox/?rep={other_rep.pk}").status_code == 404
    other = connect_mailbox(other_rep, dovecot, "other@ourco.test", "pw")
    assert client.post(f"/mailbox/{other.pk}/sync/").status_code == 404
    assert client.post(f"/mailbox/{other.pk}/disconnect/").status_code == 404
    assert client.post(f"/mailbox/{mailbox.pk}/sync/").status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.sync_requested_at is not None


def test_a_manager_compares_the_reps_of_a_team(client, manager, rep, other_rep, mailbox, dovecot):
    connect_mailbox(other_rep, dovecot, "other@ourco.test", "pw")
    team = make_team("East", manager=manager, members=[rep, other_rep])
    client.force_login(manager)
    page = client.get(f"/mailbox/?team={team.pk}&days=7")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Team East" in text and "Per rep" in text and "rep.one" in text and "rep.two" in text
    assert client.get(f"/mailbox/?rep={rep.pk}").status_code == 200
    assert client.get("/mailbox/?team=999999").status_code == 404
    assert client.get("/mailbox/?days=abc&rep=x").status_code == 200  # nonsense: the defaults


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/mailbox/")["Location"].startswith("/accounts/login/")


def test_a_manager_connects_a_reps_mailbox_in_the_admin_and_syncs_it(client, manager, rep, dovecot, imap_user):
    user, password = imap_user
    client.force_login(manager)
    data = form(dovecot, user, password, owner=rep.pk, active="on")
    bad = client.post("/admin/mailboxes/mailbox/add/", {**data, "password": "wrong"})
    assert bad.status_code == 200 and b"refused the user name or password" in bad.content
    added = client.post("/admin/mailboxes/mailbox/add/", data)
    assert added.status_code == 302
    mailbox = Mailbox.objects.get(owner=rep)
    assert decrypt(mailbox.password) == password
    change = client.get(f"/admin/mailboxes/mailbox/{mailbox.pk}/change/")
    assert change.status_code == 200 and mailbox.password.encode() not in change.content
    assert password.encode() not in change.content
    Mailbox.objects.filter(pk=mailbox.pk).update(sync_requested_at=None)
    action = client.post(
        "/admin/mailboxes/mailbox/", {"action": "sync_now", "_selected_action": [mailbox.pk]}, follow=True
    )
    assert b"Asked the worker to sync 1 mailbox" in action.content
    mailbox.refresh_from_db()
    assert mailbox.sync_requested_at is not None
    listing = client.get("/admin/mailboxes/mailbox/")
    assert listing.status_code == 200 and b"Not synced yet" in listing.content
