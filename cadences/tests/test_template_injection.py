"""Step templates render from plain strings and may use only the documented variables
(issue 16, item 3): a manager's `{{ lead.owner.password }}` must neither save nor, in a
row written before the check, render a password hash or an API token into a message."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Engine, VariableDoesNotExist

from cadences.messages import compose, context, talk_track
from cadences.models import Cadence, CadenceStep
from leadops.apitokens.models import ApiToken
from tests.workspace_kit import make_team

pytestmark = pytest.mark.django_db
LEAKS = [
    "{{ lead.owner.password }}",
    "{{ lead.team.manager.auth_token.key }}",
    "{{ lead.owner.api_tokens.first.key_hash }}",
    "{% for t in lead.owner.api_tokens.all %}{{ t.key_hash }}{% endfor %}",
    "{{ quote|default:lead.owner.password }}",
    "{% if lead.owner.is_superuser %}admin{% endif %}",
    "{% with p=lead.owner.password %}{{ p }}{% endwith %}",
]


@pytest.fixture
def lead(make_lead, rep, manager):
    team = make_team("East", manager=manager)
    ApiToken.issue(manager)
    return make_lead(team=team, extra={"content_url": "https://example.com/guide.pdf", "nested": {"a": 1}})


@pytest.mark.parametrize("source", LEAKS)
def test_a_template_saved_before_the_check_renders_no_secret(lead, rep, manager, source):
    try:
        sent = compose("email", "Hi {{ greeting_name }}", f"Dear {{{{ greeting_name }}}}: [{source}]", lead)
    except VariableDoesNotExist:  # a filter argument that is not there: Django raises, nothing is sent
        return
    secrets = [rep.password, manager.password, *manager.api_tokens.values_list("key_hash", flat=True)]
    assert not any(secret in sent["body"] for secret in secrets)
    assert "[]" in sent["body"]
    assert rep.password not in talk_track(source, lead)


@pytest.mark.parametrize("source", LEAKS)
def test_a_template_with_an_undocumented_variable_is_refused_on_save(source):
    step = CadenceStep(cadence=Cadence.objects.first(), order=99, channel="email", subject="Hi", body=source)
    with pytest.raises(ValidationError, match="unknown variable 'lead.(owner|team)"):
        step.full_clean()


@pytest.mark.parametrize(
    "source, named",
    [
        ("{% load static %}{% static 'x' %}", "{% load %}"),
        ('{% include "registration/password_reset_email.html" %}', "{% include %}"),
        ("{% debug %}", "{% debug %}"),
        ("{{ settings.SECRET_KEY }}", "'settings.SECRET_KEY'"),
        ("{{ lead }}", "'lead'"),
    ],
)
def test_tags_and_names_outside_the_documented_set_are_refused(source, named):
    with pytest.raises(ValidationError) as refused:
        CadenceStep(cadence=Cadence.objects.first(), order=99, channel="sms", body=source).full_clean()
    assert named in str(refused.value)


def test_the_admin_form_names_the_unknown_variable(client, manager):
    client.force_login(manager)
    form = {
        "name": "Leaky", "position": "1", "active": "on", "temperatures": "[]", "sources": "[]",
        "inquiry_types": "[]", "description": "",
        "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0", "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000",
        "steps-0-order": "1", "steps-0-channel": "email", "steps-0-delay": "0", "steps-0-name": "Hello",
        "steps-0-subject": "Hi", "steps-0-body": "{{ lead.owner.password }}", "steps-0-business_hours_only": "on",
    }  # fmt: skip
    response = client.post("/admin/cadences/cadence/add/", form)
    assert response.status_code == 200 and b"unknown variable &#x27;lead.owner.password&#x27;" in response.content
    assert not Cadence.objects.filter(name="Leaky").exists()


def test_every_seeded_step_passes_the_check_and_renders_as_with_the_model(lead):
    """The plain context renders the seeded templates exactly as the live instance did."""
    steps = list(CadenceStep.objects.all())
    assert steps
    for step in steps:
        step.full_clean()
        plain = context(lead)
        with_model = {**plain, "lead": lead}
        for source in (step.subject, step.body):
            template = Engine.get_default().from_string(source)
            assert template.render(Context(plain, autoescape=False)) == template.render(
                Context(with_model, autoescape=False)
            ), (step, source)


def test_documented_variables_render(lead):
    body = "{{ lead.first_name }} {{ lead.company|default:'your team' }} {{ lead.extra.content_url }} {{ reference }}"
    CadenceStep(cadence=Cadence.objects.first(), order=99, channel="sms", body=body).full_clean()
    sent = compose("sms", "", body, lead)
    assert sent["body"].startswith(f"Ada Analytical Engines https://example.com/guide.pdf L-{lead.pk}")
