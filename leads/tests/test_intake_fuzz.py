"""Fuzzing POST /api/v1/leads (SPEC §7: no 500, no unhandled input).

Random and hostile bodies — wrong types in every field, huge strings, deep nesting, NUL
bytes, escaped lone surrogates, RTL marks and emoji, bad time zones and dates, form and
multipart bodies, wrong content types, bytes that are not UTF-8 — and one property: the
reply is never 5xx, every rejection is JSON `{"errors": {field: [messages]}}`, and an
accepted lead has the SPEC §6 reply and is in the database.

`HYPOTHESIS_PROFILE=thorough` runs many more examples (leads/tests/fuzzing.py)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from leads.intake import BOOLEAN_FIELDS, TEXT_LIMITS
from leads.models import Lead
from leads.tests.fuzzing import examples

URL = "/api/v1/leads"
FIELDS = [*TEXT_LIMITS, *BOOLEAN_FIELDS, "extra", "fax"]
ACCEPTED_KEYS = {"id", "status", "temperature", "duplicate_of", "sla"}
SLA_KEYS = {"assign_by", "first_contact_by", "after_hours"}
REJECTIONS = {400, 401, 405, 413, 415, 429}

ODD_TEXT = [
    "", " ", "\x00", "a\x00b", "\u202eevil\u202c", "\u200f\u200e", "😀" * 50, "👩‍👩‍👧‍👦", "\ufeff", "\uffff",
    "e\u0301" * 30, "Ω≈ç√∫", "null", "None", "true", "0", "-1", "1e309", "NaN", "[]", "{}", "'; DROP TABLE leads;--",
    '<script>alert("x")</script>', "<img src=x onerror=alert(1)>", "../../etc/passwd", "%00", "\r\n\r\n", "\t",
    "Europe/Nowhere", "Etc/GMT+99", "UTC", "../zoneinfo", "Europe/Paris\x00", "US", "zz", "ÉÉ",
    "2026-02-30T10:00:00+01:00", "2026-11-24T10:00:00", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00Z",
    "2026-11-24T10:00:00+25:00", "1999-12-31T23:59:59Z", "0001-01-01T00:00:00-23:59", "9999-12-31T23:59:59-23:59",
    "2001-01-01T00:00:00+23:59", "localtime", "Factory", "posixrules", "US/Eastern", "Etc/GMT+5", "yesterday",
    "+1 646 555 0142", "+999 1", "+" + "9" * 39,
    "ada@example.com", "@", "a@b", "ada@exa mple.com", "ada@" + "x" * 250 + ".com", "x" * 254 + "@a.io",
]  # fmt: skip
FIELD_SAMPLES = {
    "email": ["ada@example.com", "Ada.Lovelace+tag@Analytical.io", "bad", "ada@ex\u202eample.com"],
    "phone": ["+1 646 555 0142", "646 555 0142", "+33 1 23 45 67 89", "++", "☎"],
    "country": ["US", "fr", "GB", "XX", "USA", "1"],
    "timezone": ["Europe/Paris", "America/New_York", "Mars/Olympus", "europe/paris", "+01:00", "localtime", "Factory"],
    "inquiry_type": ["demo_request", "pricing", "support", "general", "DEMO", "x"],
    "source": ["paid_ads", "organic", "referral", "chat", "spam"],
    "submitted_at": ["2026-01-01T10:00:00+01:00", "2026-01-01", "2026-01-01T10:00:00Z", "2001-01-01T00:00:00-12:00"],
    "consent_email": [True, False, "yes", "no", "maybe", 1, 0, 2],
}


def _deep(depth: int, kind: str):
    value: object = "leaf"
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


NON_FINITE = [float("nan"), float("inf"), float("-inf")]  # json.dumps writes NaN, Infinity: PostgreSQL refuses them
json_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30), st.sampled_from(ODD_TEXT), st.sampled_from(NON_FINITE),
)  # fmt: skip
json_values = st.recursive(
    json_leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip
huge_text = st.integers(min_value=1, max_value=70_000).map(lambda size: "x" * size)
deep_values = st.tuples(st.integers(1, 40), st.sampled_from(["list", "dict"])).map(lambda args: _deep(*args))


def field_value(name: str):
    samples = FIELD_SAMPLES.get(name, [])
    strategies = [json_values, st.sampled_from(ODD_TEXT), huge_text, deep_values, st.text(max_size=300)]
    if samples:
        strategies.insert(0, st.sampled_from(samples))
    return st.one_of(*strategies)


VALID_LEAD = {
    "first_name": "Ada", "last_name": "Lovelace", "company": "Analytical Engines", "phone": "+1 646 555 0142",
    "country": "US", "timezone": "America/New_York", "inquiry_type": "demo_request", "message": "A demo, please.",
    "consent_email": True, "utm_source": "google", "extra": {"page": "/pricing"},
}  # fmt: skip


@st.composite
def submissions(draw) -> dict:
    """A mapping of lead fields: either random fields, or a valid lead with a few fields
    spoilt, often with a valid email so that it reaches the database."""
    names = draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=8))
    body = dict(VALID_LEAD) if draw(st.booleans()) else {}
    body.update({name: draw(field_value(name)) for name in names[: draw(st.integers(0, 8))]})
    if draw(st.booleans()):
        body.setdefault("email", f"lead{draw(st.integers(0, 50))}@example{draw(st.integers(0, 3))}.com")
    if draw(st.booleans()):
        body.update(draw(st.dictionaries(st.text(max_size=12), json_values, max_size=3)))  # unknown fields
    return body


def _form_value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@st.composite
def requests(draw) -> dict:
    """Keyword arguments for Client.generic: method, body, content type and headers."""
    shape = draw(
        st.sampled_from(
            ["json", "json", "json", "ascii_json", "form", "multipart", "multipart_file", "raw_json", "bytes", "deep"]
        )
    )
    content_type = "application/json"
    if shape in ("json", "ascii_json"):
        data = json.dumps(draw(submissions()), ensure_ascii=shape == "ascii_json").encode("utf-8", "surrogatepass")
    elif shape == "form":
        content_type = "application/x-www-form-urlencoded"
        data = urlencode({name: _form_value(value) for name, value in draw(submissions()).items()}).encode()
    elif shape == "multipart":
        boundary = "fuzzboundary"
        content_type = f"multipart/form-data; boundary={boundary}"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{_form_value(value)}\r\n'
            for name, value in draw(submissions()).items()
            if '"' not in name and "\r" not in name and "\n" not in name
        ]
        data = ("".join(parts) + f"--{boundary}--\r\n").encode("utf-8", "surrogatepass")
    elif shape == "multipart_file":  # a file part among the fields: refused, never stored
        boundary = "fuzzboundary"
        content_type = f"multipart/form-data; boundary={boundary}"
        upload = f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="x.csv"\r\n\r\nemail\r\n'
        field = f'--{boundary}\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.io\r\n'
        data = (field + upload + f"--{boundary}--\r\n").encode()
    elif shape == "raw_json":  # escapes json.dumps never writes: lone surrogates, NUL, odd numbers
        data = draw(
            st.sampled_from([
                b'{"email": "a@b.io", "first_name": "\\ud800"}', b'{"email": "a@b.io", "extra": {"\\udfff": 1}}',
                b'{"email": "a@b.io", "company": "\\u0000"}', b'{"email": "a@b.io", "extra": {"k": "\\u0000"}}',
                b'{"email": "a@b.io", "consent_sms": NaN}', b'{"email": "a@b.io", "name": Infinity}',
                b'{"email": "a@b.io", "extra": 1e999}', b'{"email": "a@b.io", "first_name": 1e400}',
                b'{"email": "a@b.io", "email": 5}', b'{"email": "a@b.io"', b"[]", b"null", b'"text"', b"",
                b'{"email": "\\ud83d\\ude00@x.io"}', b'{"email": "a@b.io", "extra": "{\\"x\\": NaN}"}',
                b'{"email": "a@b.io", "phone": ' + b"9" * 5000 + b"}",
                b'{"email": "a@b.io", "extra": {"x": NaN}}', b'{"email": "a@b.io", "extra": {"x": [1, -Infinity]}}',
                b'{"email": "a@b.io", "extra": {"x": 1e999}}', b'{"email": "a@b.io", "extra": "{\\"x\\": 1e999}"}',
                b'{"email": "a@b.io", "submitted_at": "0001-01-01T00:00:00+23:59"}',
                b'{"email": "a@b.io", "submitted_at": "2001-01-01T00:00:00Z"}',
            ])
        )  # fmt: skip
    elif shape == "bytes":
        data = draw(st.binary(max_size=300))
        content_type = draw(
            st.sampled_from([
                "application/json", "application/json; charset=latin-1", "application/x-www-form-urlencoded",
                "application/x-www-form-urlencoded; charset=nope", "multipart/form-data",
                "multipart/form-data; boundary=", "multipart/form-data; boundary=x" + "y" * 100, "text/plain",
                "multipart/form-data; boundary=fuzzboundary",
                "application/xml", "", "application/vnd.api+json", "*/*", "application/json; charset=utf-32",
            ])
        )  # fmt: skip
    else:  # "deep": nesting far past Python's recursion limit
        depth = draw(st.integers(100, 30_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        data = ('{"email": "a@b.io", "extra": ' + opener * depth + "1" + closer * depth + "}").encode()
    lie = draw(st.sampled_from([None] * 9 + ["text/plain", "application/octet-stream", "application/json+xml"]))
    content_type = lie or content_type  # sometimes lie about the media type
    method = draw(st.sampled_from(["POST"] * 20 + ["GET", "PUT", "PATCH", "DELETE"]))
    return {"method": method, "data": data, "content_type": content_type}


def assert_reply_is_sound(response) -> None:
    assert response.status_code < 500, response.content[:500]
    event(f"status {response.status_code}")  # pytest --hypothesis-show-statistics
    assert response["Content-Type"] == "application/json", response.status_code
    body = json.loads(response.content)
    if response.status_code in (200, 201):
        assert set(body) == ACCEPTED_KEYS
        assert set(body["sla"]) == SLA_KEYS
        assert body["status"] in ("accepted", "duplicate", "junk")
        assert body["temperature"] in ("hot", "warm", "cold")
        assert Lead.objects.filter(pk=body["id"]).exists()
        return
    assert response.status_code in REJECTIONS, response.status_code
    assert set(body) == {"errors"} and isinstance(body["errors"], dict) and body["errors"]
    for field, messages in body["errors"].items():
        assert isinstance(field, str)
        assert isinstance(messages, list) and messages and all(isinstance(m, str) and m for m in messages)


@pytest.mark.django_db
@pytest.mark.usefixtures("redis_down")  # no rate limit, and intake must not need Redis
class TestIntakeFuzz:
    @given(call=requests())
    @settings(max_examples=examples(150))
    @example(call={"method": "POST", "data": b'{"email": "a@b.io", "company": "\\ud800"}',
                      "content_type": "application/json"})  # fmt: skip
    @example(call={"method": "POST", "data": b"email=a%40b.io&name=%ff%fe", "content_type":
                      "application/x-www-form-urlencoded"})  # fmt: skip
    def test_it_never_fails_on_any_body(self, client, intake_key, call):
        response = client.generic(
            call["method"], URL, data=call["data"], content_type=call["content_type"],
            HTTP_AUTHORIZATION=f"Bearer {intake_key}",
        )  # fmt: skip
        assert_reply_is_sound(response)
        if call["method"] != "POST":
            assert response.status_code == 405

    @given(body=submissions())
    @settings(max_examples=examples(100))
    def test_it_stores_or_explains_every_json_submission(self, client, intake_key, body):
        data = json.dumps(body).encode()
        response = client.post(
            URL, data=data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {intake_key}"
        )
        assert_reply_is_sound(response)
        if len(data) <= 64 * 1024:
            assert response.status_code in (200, 201, 400)

    @given(authorization=st.text(max_size=80) | st.sampled_from(["Bearer", "Bearer ", "Token abc", "Basic Og=="]))
    @settings(max_examples=examples(30))
    def test_it_answers_401_to_any_wrong_key(self, client, intake_key, authorization):
        authorization = authorization.replace("\r", "").replace("\n", "")
        response = client.post(
            URL, data=b'{"email": "a@b.io"}', content_type="application/json", HTTP_AUTHORIZATION=authorization
        )
        assert_reply_is_sound(response)
        assert response.status_code == 401


ADDRESSES = ["203.0.113.1", "203.0.113.2", "2001:db8::1", "not-an-address", ""]


@pytest.mark.django_db
class TestLimitsFuzz:
    """The per-address and wrong-key limits (real Redis): whatever the mix of right and
    wrong keys, addresses and forwarded headers, a request is stored (right key), refused
    with 401 (wrong key) or 429 with Retry-After, never anything else."""

    @given(
        calls=st.lists(
            st.tuples(st.booleans(), st.sampled_from(ADDRESSES), st.sampled_from(["", "198.51.100.1", "x, y"])),
            min_size=1,
            max_size=20,
        ),
        hops=st.integers(0, 2),
    )
    @settings(max_examples=examples(15))
    def test_the_limits_answer_201_401_or_429(self, client, intake_key, real_redis, settings, calls, hops):
        settings.LEADOPS_INTAKE_PER_IP_PER_MINUTE = 12
        settings.LEADOPS_INTAKE_BAD_KEYS_PER_IP_PER_MINUTE = 4
        settings.LEADOPS_TRUSTED_PROXY_HOPS = hops
        for number, (right_key, address, forwarded) in enumerate(calls):
            response = client.post(
                URL, data=json.dumps({"email": f"l{number}@limits.io"}), content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {intake_key if right_key else 'lo_wrong'}", REMOTE_ADDR=address,
                HTTP_X_FORWARDED_FOR=forwarded,
            )  # fmt: skip
            assert_reply_is_sound(response)
            assert response.status_code in ((200, 201, 429) if right_key else (401, 429))
            if response.status_code == 429:
                assert 1 <= int(response["Retry-After"]) <= 60
