"""Malay and Indonesian versions of the acknowledgment for the demo (README "Languages").
Managers edit them in the admin, Cadences -> Acknowledgment translations; seeding creates
only the ones missing, so an edited text is kept."""

from __future__ import annotations

from cadences.models import AcknowledgmentKind, AcknowledgmentTranslation

RECEIVED_MS = """Apa yang kami terima:
- Permintaan: {{ inquiry.type_label }}{% if inquiry.product_interest %} ({{ inquiry.product_interest }}){% endif %}
- Nama: {{ lead.display_name }}{% if lead.company %}, {{ lead.company }}{% endif %}
- Hubungan: {% if lead.phone_e164 %}{{ lead.phone_e164 }}{% if lead.email %}, {% endif %}{% endif %}{{ lead.email }}\
{% if message_quote %}
- Mesej anda: "{{ message_quote|truncatechars:500 }}"{% endif %}"""
WAYS_MS = """{% if booking_url %}Pilih masa untuk panggilan anda{% if rep_name %} bersama {{ rep_name }}{% endif %}, \
dengan satu klik: {{ booking_url }}

{% endif %}Tidak boleh menunggu? Hubungi kami di {{ contact_phone }}. Balas sahaja e-mel ini untuk menambah apa-apa \
pada permintaan anda.

{{ company_name }} — rujukan {{ reference }}"""
RECEIVED_ID = """Yang kami terima:
- Permintaan: {{ inquiry.type_label }}{% if inquiry.product_interest %} ({{ inquiry.product_interest }}){% endif %}
- Nama: {{ lead.display_name }}{% if lead.company %}, {{ lead.company }}{% endif %}
- Kontak: {% if lead.phone_e164 %}{{ lead.phone_e164 }}{% if lead.email %}, {% endif %}{% endif %}{{ lead.email }}\
{% if message_quote %}
- Pesan Anda: "{{ message_quote|truncatechars:500 }}"{% endif %}"""
WAYS_ID = """{% if booking_url %}Pilih waktu untuk panggilan Anda{% if rep_name %} dengan {{ rep_name }}{% endif %}, \
cukup sekali klik: {{ booking_url }}

{% endif %}Tidak bisa menunggu? Telepon kami di {{ contact_phone }}. Cukup balas email ini untuk menambahkan apa pun \
ke permintaan Anda.

{{ company_name }} — referensi {{ reference }}"""

SUBJECT = {"ms": "Kami telah menerima {{ inquiry_label }} anda ({{ reference }})",
           "id": "Kami sudah menerima {{ inquiry_label }} Anda ({{ reference }})"}  # fmt: skip
OPENING = {
    ("ms", AcknowledgmentKind.EMAIL_HOT): "Terima kasih atas {{ inquiry_label }} anda. Seorang pakar akan menghubungi "
    "anda {{ promise }}{% if lead.phone_e164 %} di {{ lead.phone_e164 }}{% endif %}.",
    ("ms", AcknowledgmentKind.EMAIL_WARM): "Terima kasih atas minat anda{% if inquiry.product_interest %} terhadap "
    "{{ inquiry.product_interest }}{% endif %}. Kami telah menerima {{ inquiry_label }} anda, dan seseorang daripada "
    "pasukan kami akan menghubungi anda {{ promise }} untuk memastikan anda mendapat apa yang diperlukan.",
    ("ms", AcknowledgmentKind.EMAIL_COLD): "Terima kasih kerana menghubungi kami. Kami telah menerima "
    "{{ inquiry_label }} anda dan akan membalas {{ promise }}.",
    ("ms", AcknowledgmentKind.EMAIL_AFTER_HOURS): "Terima kasih atas {{ inquiry_label }} anda. Pasukan kami tiada di "
    "pejabat sekarang, jadi inilah masa sebenar anda akan mendengar daripada kami: seorang pakar akan menghubungi anda "
    "{{ promise }} ({{ lead.resolved_time_zone }}).",
    ("id", AcknowledgmentKind.EMAIL_HOT): "Terima kasih atas {{ inquiry_label }} Anda. Seorang spesialis akan "
    "menghubungi Anda {{ promise }}{% if lead.phone_e164 %} di {{ lead.phone_e164 }}{% endif %}.",
    ("id", AcknowledgmentKind.EMAIL_WARM): "Terima kasih atas minat Anda{% if inquiry.product_interest %} pada "
    "{{ inquiry.product_interest }}{% endif %}. {{ inquiry_label|capfirst }} Anda sudah kami terima, dan tim kami akan "
    "menghubungi Anda {{ promise }} untuk memastikan Anda mendapatkan yang Anda butuhkan.",
    ("id", AcknowledgmentKind.EMAIL_COLD): "Terima kasih sudah menghubungi kami. {{ inquiry_label|capfirst }} Anda "
    "sudah kami terima dan akan kami balas {{ promise }}.",
    ("id", AcknowledgmentKind.EMAIL_AFTER_HOURS): "Terima kasih atas {{ inquiry_label }} Anda. Tim kami sedang di luar "
    "jam kerja, jadi inilah waktu pasti Anda akan mendapat kabar dari kami: seorang spesialis akan menghubungi Anda "
    "{{ promise }} ({{ lead.resolved_time_zone }}).",
}
NEXT = {
    ("ms", AcknowledgmentKind.EMAIL_HOT): "Apa seterusnya: pakar anda akan menelefon untuk memahami keperluan anda, "
    "menjawab soalan anda dan, jika membantu, mengatur demo khas untuk anda. Tiada persediaan diperlukan.",
    ("ms", AcknowledgmentKind.EMAIL_WARM): "Apa seterusnya: kami akan menghantar bahan yang anda minta dan menawarkan "
    "panggilan ringkas jika anda mahu membincangkannya.",
    ("ms", AcknowledgmentKind.EMAIL_COLD): "Apa seterusnya: seorang ahli pasukan kami akan membaca permintaan anda dan "
    "membalasnya sendiri.",
    ("ms", AcknowledgmentKind.EMAIL_AFTER_HOURS): "Apa seterusnya: permintaan anda berada di bahagian atas baris gilir "
    "pertama kami pada waktu pagi; anda tidak perlu bertanya lagi.",
    ("id", AcknowledgmentKind.EMAIL_HOT): "Langkah berikutnya: spesialis Anda akan menelepon untuk memahami kebutuhan "
    "Anda, menjawab pertanyaan Anda, dan bila perlu, menyiapkan demo khusus. Tidak perlu persiapan apa pun.",
    ("id", AcknowledgmentKind.EMAIL_WARM): "Langkah berikutnya: kami akan mengirimkan materi yang Anda minta dan "
    "menawarkan panggilan singkat jika Anda ingin membahasnya.",
    ("id", AcknowledgmentKind.EMAIL_COLD): "Langkah berikutnya: anggota tim kami akan membaca permintaan Anda dan "
    "membalasnya secara pribadi.",
    ("id", AcknowledgmentKind.EMAIL_AFTER_HOURS): "Langkah berikutnya: permintaan Anda ada di urutan teratas antrean "
    "pertama kami besok pagi; Anda tidak perlu bertanya lagi.",
}
GREETING = {"ms": "Hai {{ greeting_name }},", "id": "Halo {{ greeting_name }},"}
SMS = {
    "ms": "{{ company_name }}: terima kasih {{ greeting_name }}, kami telah menerima {{ inquiry_label }} anda "
    "({{ reference }}). Seorang pakar akan menghubungi anda {{ promise }}. Balas STOP untuk berhenti menerima mesej.",
    "id": "{{ company_name }}: terima kasih {{ greeting_name }}, {{ inquiry_label }} Anda ({{ reference }}) sudah kami "
    "terima. Seorang spesialis akan menghubungi Anda {{ promise }}. Balas STOP untuk berhenti berlangganan.",
}

WHATSAPP = {
    "ms": "{{ company_name }}: terima kasih {{ greeting_name }}, kami telah menerima {{ inquiry_label }} anda "
    "({{ reference }}).\nSeorang pakar akan menghubungi anda {{ promise }}.{% if booking_url %} Pilih masa yang "
    "sesuai: {{ booking_url }}{% endif %}\nBalas STOP untuk berhenti menerima mesej.",
    "id": "{{ company_name }}: terima kasih {{ greeting_name }}, {{ inquiry_label }} Anda ({{ reference }}) sudah kami "
    "terima.\nSeorang spesialis akan menghubungi Anda {{ promise }}.{% if booking_url %} Pilih waktu yang cocok: "
    "{{ booking_url }}{% endif %}\nBalas STOP untuk berhenti berlangganan.",
}


def acknowledgment_texts() -> list[dict]:
    """Every kind of the acknowledgment in Malay and Indonesian."""
    texts = []
    for language, received, ways in (("ms", RECEIVED_MS, WAYS_MS), ("id", RECEIVED_ID, WAYS_ID)):
        for kind in AcknowledgmentKind:
            if kind == AcknowledgmentKind.SMS:
                texts.append({"kind": kind, "language": language, "subject": "", "body": SMS[language]})
                continue
            if kind == AcknowledgmentKind.WHATSAPP:
                texts.append({"kind": kind, "language": language, "subject": "", "body": WHATSAPP[language]})
                continue
            body = "\n\n".join((GREETING[language], OPENING[language, kind], received, NEXT[language, kind], ways))
            texts.append({"kind": kind, "language": language, "subject": SUBJECT[language], "body": body})
    return texts


def ensure_acknowledgment_translations() -> int:
    """Create the missing ones; returns how many were created."""
    created = 0
    for text in acknowledgment_texts():
        _, new = AcknowledgmentTranslation.objects.get_or_create(
            kind=text["kind"], language=text["language"], defaults={"subject": text["subject"], "body": text["body"]}
        )
        created += new
    return created
