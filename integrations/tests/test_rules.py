"""Pure rules of the integrations, as tables of cases: signatures against values computed
from the providers' documented recipes, the mapping's paths, secrets at rest, and which
timeline events become which public webhook events."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet

from integrations import secret_store, signatures
from integrations.choices import WEBHOOK_EVENTS
from integrations.mapping import MISSING, apply_map, effective_map, lookup
from integrations.webhooks import TIMELINE_TO_EVENTS, public_events
from leads.models import LeadEvent


def test_hubspot_v3_follows_the_documented_recipe_including_the_uri_decoding():
    secret, body, timestamp = "s3cret", b'[{"objectId":1}]', "1764000000000"
    uri = "https://leads.example.com/hooks/hubspot/crm/?a=b%3Ac&d=%2Fe"
    source = b"POST" + b"https://leads.example.com/hooks/hubspot/crm/?a=b:c&d=/e" + body + timestamp.encode()
    expected = base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()
    now = int(timestamp) / 1000 + 10
    assert signatures.check_hubspot(secret, "POST", [uri], body, timestamp, expected, now=now) == ""
    assert "older than 5 minutes" in signatures.check_hubspot(secret, "POST", [uri], body, timestamp, expected,
                                                              now=now + 300)  # fmt: skip
    assert "milliseconds" in signatures.check_hubspot(secret, "POST", [uri], body, "soon", expected, now=now)


def test_meta_and_typeform_signatures_are_hex_and_base64_of_the_same_hmac():
    digest = hmac.new(b"k", b"body", hashlib.sha256).digest()
    assert signatures.meta_signature("k", b"body") == "sha256=" + digest.hex()
    assert signatures.typeform_signature("k", b"body") == "sha256=" + base64.b64encode(digest).decode()
    assert signatures.check_meta("k", b"body", "SHA256=" + digest.hex().upper()) == ""  # case-insensitive hex
    assert signatures.check_meta("k", b"body", "sha1=" + digest.hex())


def test_standard_webhooks_accepts_any_of_several_signatures_and_refuses_skewed_times():
    secret = "whsec_" + base64.b64encode(b"0123456789abcdef").decode()
    good = signatures.standard_signature(secret, "msg_1", 1000, b"{}")
    assert signatures.check_standard(secret, "msg_1", "1000", f"v1,bogus {good}", b"{}", now=1000) == ""
    assert signatures.check_standard(secret, "msg_1", "1000", good, b"{}", now=1301)
    assert signatures.check_standard(secret, "msg_1", "1000", good, b"{}", now=699)
    assert signatures.check_standard("whsec_!!!", "msg_1", "1000", good, b"{}", now=1000)


@pytest.mark.parametrize(
    "path, expected",
    [("a.b", 1), ("$.a.b", 1), ("list.1.x", "y"), ("list.-1.x", "y"), ("list.5", MISSING), ("a.c", MISSING),
     ("", {"a": {"b": 1}, "list": [{"x": "z"}, {"x": "y"}]})],
)  # fmt: skip
def test_lookup_follows_dotted_paths_and_list_indexes(path, expected):
    assert lookup({"a": {"b": 1}, "list": [{"x": "z"}, {"x": "y"}]}, path) == expected


def test_the_mapping_takes_the_first_path_found_and_an_empty_override_removes_a_default():
    mapping = effective_map("google-ads", {"company": "", "job_title": ["TITLE", "JOB_TITLE"]})
    assert "company" not in mapping and mapping["email"] == ["EMAIL", "WORK_EMAIL"]
    document = {"WORK_EMAIL": "w@x.io", "COMPANY_NAME": "X", "JOB_TITLE": "CTO", "FULL_NAME": ["A", "B"]}
    assert apply_map(document, mapping) == {"email": "w@x.io", "job_title": "CTO", "name": "A, B"}


def test_secrets_are_encrypted_and_a_rotated_key_still_reads_old_ones(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.LEADOPS_SECRETS_KEY = [old]
    token = secret_store.encrypt("page-token")
    assert "page-token" not in token and secret_store.decrypt(token) == "page-token"
    settings.LEADOPS_SECRETS_KEY = [new, old]  # rotation: the new key encrypts, the old one still decrypts
    assert secret_store.decrypt(token) == "page-token"
    settings.LEADOPS_SECRETS_KEY = [new]
    with pytest.raises(secret_store.SecretUnreadable):
        secret_store.decrypt(token)
    assert secret_store.matches_hash("key", secret_store.hash_secret("key")) and not secret_store.matches_hash("", "")


def test_every_mapped_timeline_kind_has_a_public_event_and_a_reached_attempt_is_also_connected():
    assert {name for names in TIMELINE_TO_EVENTS.values() for name in names} | {"lead.connected"} == set(WEBHOOK_EVENTS)
    reached = LeadEvent(kind="attempt.logged", data={"outcome": "connected"})
    missed = LeadEvent(kind="attempt.logged", data={"outcome": "no_answer"})
    assert public_events(reached) == ("lead.contacted", "lead.connected")
    assert public_events(missed) == ("lead.contacted",)
    assert public_events(LeadEvent(kind="note.added")) == ()


def test_the_system_checks_refuse_a_bad_secrets_key_and_ask_for_one_in_production(settings):
    from integrations.checks import secrets_key_is_set, secrets_keys_are_valid

    settings.LEADOPS_SECRETS_KEY = ["not-a-key"]
    assert [problem.id for problem in secrets_keys_are_valid(None)] == ["integrations.E001"]
    settings.LEADOPS_SECRETS_KEY = [Fernet.generate_key().decode()]
    assert secrets_keys_are_valid(None) == [] and secrets_key_is_set(None) == []
    settings.LEADOPS_SECRETS_KEY = []
    assert [problem.id for problem in secrets_key_is_set(None)] == ["integrations.W001"]
