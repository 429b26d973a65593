"""The default cadences of SPEC §3.7 (hot, warm, cold); managers edit them in the admin.

Delays count business time ("+7 min", "+4 h") or, in whole days, business days. Emails
get a footer that quotes the inquiry and an unsubscribe link, SMS end with "Reply STOP
to opt out" (cadences/messages.py); call steps carry the rep's talk track."""

from datetime import timedelta

from django.db import migrations

M, H, D = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
CALL = dict(channel="call", needs_phone=True)
SMS = dict(channel="sms", needs_phone=True, needs_sms_consent=True)
DAILY = dict(vary_time_of_day=True, delay=D)
BOOKING = (
    "{% if booking_url %}Pick a time that suits you: {{ booking_url }} - or reply{% else %}Reply{% endif %}"
)

HOT = [
    dict(**CALL, name="Call 1: inside the SLA", delay=0 * M, body=(
        "First call, inside the promise. They asked for a {{ inquiry_label }}"
        "{% if lead.product_interest %} ({{ lead.product_interest }}){% endif %}: \"{{ quote }}\"\n"
        "Confirm what they need, who else is involved and by when; book the next step before you hang up. "
        "No answer: leave a short voicemail with your direct number."
    )),
    dict(**CALL, name="Call 2: 7 minutes later", delay=7 * M, body=(
        "Second try. Open with their own words: \"{{ quote }}\". No answer: no voicemail this time."
    )),
    dict(**CALL, name="Call 3: 20 minutes later", delay=20 * M, body=(
        "Third try. No answer: leave a voicemail saying an email with times to talk is on its way."
    )),
    dict(channel="email", name="Email after the third call", delay=5 * M,
         subject="{{ greeting_name }}, about your {{ inquiry_label }}", body=(
        "Hi {{ greeting_name }},\n\n"
        "{% if lead.phone_e164 %}I tried to reach you on {{ lead.phone_e164 }} about your {{ inquiry_label }}"
        "{% if lead.company %} for {{ lead.company }}{% endif %} and could not get through, so here is an email instead."
        "{% else %}Thank you for your {{ inquiry_label }}{% if lead.company %} for {{ lead.company }}{% endif %}."
        "{% endif %}\n\n"
        "So that our conversation is useful from the first minute, it helps to know:\n"
        "- what you want to achieve, and by when;\n"
        "- how your team handles it today;\n"
        "- who else should join the call.\n\n"
        + BOOKING + " with two times that work for you and I will confirm one. "
        "You can also call me on {{ contact_phone }}.\n\n"
        "Best regards,\n{{ owner_name }}"
    )),
    dict(**CALL, name="Call 4: same day, later", delay=4 * H, body=(
        "Fourth try, a few hours later. Mention the email about their {{ inquiry_label }}: \"{{ quote }}\""
    )),
    dict(**SMS, name="SMS on day 1", delay=1 * H, body=(
        "Hi {{ greeting_name }}, {{ owner_first_name }} from {{ company_name }} about your {{ inquiry_label }}"
        "{% if quote_short %} (\"{{ quote_short }}\"){% endif %}. I tried to call - when suits you for 10 minutes? "
        "Or call {{ contact_phone }}."
    )),
    dict(**CALL, **DAILY, name="Day 2: call", body=(
        "Day 2, at another hour than yesterday. Their request: \"{{ quote }}\""
    )),
    dict(channel="email", **DAILY, name="Day 3: email",
         subject="A few answers before we talk, {{ greeting_name }}", body=(
        "Hi {{ greeting_name }},\n\n"
        "People who send us a {{ inquiry_label }} usually want three things answered first:\n\n"
        "1. How quickly you could get started, and what it takes from your side.\n"
        "2. What changes compared with the way your team works today.\n"
        "3. What it would cost for a team like yours{% if lead.company %} at {{ lead.company }}{% endif %}.\n\n"
        "I can answer all three in a 15-minute call. "
        + BOOKING + " with a good time.\n\n"
        "{{ owner_name }}"
    )),
    dict(**CALL, **DAILY, name="Day 4: call", body=(
        "Day 4, another hour of the day. Reference the questions in Day 3's email. Their request: \"{{ quote }}\""
    )),
    dict(channel="email", **DAILY, name="Day 5: email",
         subject="{{ greeting_name }}, is this week better?", body=(
        "Hi {{ greeting_name }},\n\n"
        "I know a {{ inquiry_label }} can slip down the list when the week gets busy. "
        "If it is still on yours, I am keeping a slot free for you this week.\n\n"
        + BOOKING + " with a time, or just \"not now\" and I will stop following up.\n\n"
        "{{ owner_name }}"
    )),
    dict(**CALL, **DAILY, name="Day 6: call", body=(
        "Day 6. Last call of the sequence: leave a voicemail saying you will close the request unless they reply."
    )),
    dict(channel="email", **DAILY, name="Day 7: email",
         subject="Should I close your {{ inquiry_label }}?", body=(
        "Hi {{ greeting_name }},\n\n"
        "I have tried to reach you a few times about your {{ inquiry_label }} and have not managed to, "
        "so I will assume the timing is not right and close it for now.\n\n"
        "If I have got that wrong, reply to this email or call {{ contact_phone }} and we will pick it up "
        "straight away.\n\n"
        "{{ owner_name }}"
    )),
]

WARM = [
    dict(channel="email", name="Content email at once", delay=0 * M, business_hours_only=False,
         subject="Your {{ inquiry_label }}{% if lead.product_interest %}: {{ lead.product_interest }}{% endif %}",
         body=(
        "Hi {{ greeting_name }},\n\n"
        "Thank you for your {{ inquiry_label }}"
        "{% if lead.product_interest %} - {{ lead.product_interest }}{% endif %}. "
        "{% if lead.extra.content_url %}Here it is: {{ lead.extra.content_url }}"
        "{% else %}If the download did not start, reply to this email and we will send it to you straight away."
        "{% endif %}\n\n"
        "Most readers get the most out of it by starting with the part that matches their biggest bottleneck. "
        "Tell me yours and I will point you to the right page, or show you in 15 minutes.\n\n"
        "{{ owner_name }}"
    )),
    dict(**CALL, name="Call within 15 minutes", delay=15 * M, body=(
        "They just got our {{ inquiry_label }}: \"{{ quote }}\". Ask what prompted it and what they are trying "
        "to solve; offer a short walk-through."
    )),
    dict(**SMS, name="SMS an hour later", delay=1 * H, body=(
        "Hi {{ greeting_name }}, {{ owner_first_name }} from {{ company_name }}. Did the "
        "{{ lead.product_interest|default:inquiry_label }} answer your question? Happy to walk you through it "
        "in 10 minutes."
    )),
    dict(**CALL, name="Second call, same day", delay=3 * H, body=(
        "Second call. Ask whether the {{ inquiry_label }} helped and what they would do next."
    )),
    dict(channel="email", name="Follow-up the next business day", delay=D,
         subject="Did you find what you were looking for, {{ greeting_name }}?", body=(
        "Hi {{ greeting_name }},\n\n"
        "Yesterday you asked us for {{ lead.product_interest|default:inquiry_label }}. "
        "Did it answer your question? If something was missing, reply with what you are working on and I will "
        "send you exactly what helps, or set up a 15-minute call.\n\n"
        "{{ owner_name }}"
    )),
]

COLD = [
    dict(channel="email", name="Nurture 1: welcome", delay=D,
         subject="Welcome, {{ greeting_name }} - where to start", body=(
        "Hi {{ greeting_name }},\n\n"
        "Thanks for your {{ inquiry_label }}. Over the next few weeks we will send you a short note now and then "
        "with practical ideas - nothing more.\n\n"
        "To start: the teams that answer their inbound requests within five minutes are many times more likely "
        "to win them than those that take half an hour. If that is a challenge for you too, reply and tell us "
        "how you handle it today.\n\n"
        "{{ owner_name }}"
    )),
    dict(channel="email", name="Nurture 2: a week later", delay=5 * D,
         subject="How other teams answer in minutes, not hours", body=(
        "Hi {{ greeting_name }},\n\n"
        "Three habits we see in teams that respond fastest:\n\n"
        "1. Every request reaches a named person at once, with a deadline.\n"
        "2. Follow-ups are planned up front - six to eight touches in the first two days.\n"
        "3. Managers watch the response time every day, not once a quarter.\n\n"
        "Want to see how this would look for {{ lead.company|default:\"your team\" }}? Reply and we will set up "
        "a short call.\n\n"
        "{{ owner_name }}"
    )),
    dict(channel="email", name="Nurture 3: two weeks later", delay=5 * D,
         subject="A five-minute checklist for your inbound requests", body=(
        "Hi {{ greeting_name }},\n\n"
        "A quick checklist you can run this week:\n\n"
        "- How long did your last ten inbound requests wait for a first reply?\n"
        "- How many attempts did each get before someone gave up?\n"
        "- Which of them were answered outside business hours?\n\n"
        "If the answers surprise you, we are happy to help: just reply.\n\n"
        "{{ owner_name }}"
    )),
    dict(channel="email", name="Nurture 4: a month in", delay=10 * D,
         subject="Still on your list, {{ greeting_name }}?", body=(
        "Hi {{ greeting_name }},\n\n"
        "A month ago you sent us a {{ inquiry_label }}. If improving how you follow up is still on your list, "
        "reply with a good time for a 15-minute call - or call us on {{ contact_phone }}.\n\n"
        "If not, this is the last note in this series.\n\n"
        "{{ owner_name }}"
    )),
]

CADENCES = [
    dict(name="Hot: call now, 6+ touches in 48 h", position=10, temperatures=["hot"], steps=HOT,
         description="SPEC §3.7: calls at once, +7 min and +20 min, an email, a call +4 h, an SMS on day 1, then "
         "one touch a day for days 2-7, alternating call and email at a different hour each day."),
    dict(name="Warm: content now, call within 15 min", position=20, temperatures=["warm"], steps=WARM,
         description="The content at once by email, a call within 15 minutes, follow-ups over the next day."),
    dict(name="Cold: nurture over four weeks", position=30, temperatures=["cold"], steps=COLD,
         description="Four nurture emails over about four weeks."),
]


def seed(apps, schema_editor):
    Cadence = apps.get_model("cadences", "Cadence")
    CadenceStep = apps.get_model("cadences", "CadenceStep")
    if Cadence.objects.exists():
        return
    for spec in CADENCES:
        spec = dict(spec)
        steps = spec.pop("steps")
        cadence = Cadence.objects.create(**spec)
        CadenceStep.objects.bulk_create(
            CadenceStep(cadence=cadence, order=order * 10, **step) for order, step in enumerate(steps, start=1)
        )


class Migration(migrations.Migration):
    dependencies = [("cadences", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
