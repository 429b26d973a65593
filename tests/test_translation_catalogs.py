"""The translation catalogs in locale/ are complete and their committed .mo files match
the .po files (README "Languages"). Runs without gettext: the .po is read here and the
.mo through Python's own gettext module, which is what Django loads at run time."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
DOMAINS = ["django", "djangojs"]  # the pages and the text their scripts write (/jsi18n/)


def po_entries(path: Path) -> list[dict]:
    """Each entry of a .po file: its flags, msgctxt, msgid, msgid_plural and msgstr(s)."""
    entries, entry, field = [], {"flags": set()}, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if "msgid" in entry:
                entries.append(entry)
            entry, field = {"flags": set()}, None
        elif line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[field] += ast.literal_eval(line)
        else:
            field, _, value = line.partition(" ")
            entry[field] = ast.literal_eval(value)
    return entries


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_has_every_message_translated_and_nothing_fuzzy(language, domain):
    entries = po_entries(LOCALE / language / "LC_MESSAGES" / f"{domain}.po")
    assert len(entries) > (300 if domain == "django" else 60)
    untranslated = [entry["msgid"] for entry in entries[1:] if not entry.get("msgstr", entry.get("msgstr[0]"))]
    fuzzy = [entry["msgid"] for entry in entries if "fuzzy" in entry["flags"]]
    assert not untranslated, f"untranslated in {language}: {untranslated}"
    assert not fuzzy, f"fuzzy in {language}: {fuzzy}"


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_ships_a_compiled_catalog_that_matches_the_po_file(language, domain):
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / f"{domain}.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog
    for entry in po_entries(folder / f"{domain}.po")[1:]:
        key = f"{entry['msgctxt']}\x04{entry['msgid']}" if "msgctxt" in entry else entry["msgid"]
        if "msgid_plural" in entry:
            assert catalog.get((key, 0)) == entry["msgstr[0]"], f"{language}: stale .mo for {key!r}"
        else:
            assert catalog.get(key) == entry["msgstr"], f"{language}: stale .mo for {key!r}: run compilemessages"
    po_keys = {entry["msgid"] for entry in po_entries(folder / f"{domain}.po")[1:]}
    mo_keys = {(key[0] if isinstance(key, tuple) else key).split("\x04")[-1] for key in catalog} - {""}
    assert mo_keys == po_keys, "the .mo holds other messages than the .po: run compilemessages"


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_keeps_every_placeholder_of_the_english_text(language, domain):
    placeholder = re.compile(r"%\((\w+)\)[sd]|%%")
    for entry in po_entries(LOCALE / language / "LC_MESSAGES" / f"{domain}.po")[1:]:
        translated = entry.get("msgstr", entry.get("msgstr[0]", ""))
        assert sorted(placeholder.findall(entry["msgid"])) == sorted(placeholder.findall(translated)), entry["msgid"]
