"""The English catalog is complete and its compiled .mo matches the .po (a fresh clone may have no gettext
tools, so the compiled file is committed and must not go stale).

Strings added to templates or code but not yet extracted are not seen here: run `makemessages` (see
tinhso/portal/README.md).
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[2] / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)


def read_po(path: Path) -> list[Entry]:
    """A small .po reader, enough for what makemessages writes (comments and obsolete entries skipped)."""
    entries: list[Entry] = []
    current = Entry()
    name, index = "", 0
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith('"'):
            keyword, _, line = line.partition(" ")
            if keyword in ("msgctxt", "msgid") and (not entries or current.msgstr):
                current = Entry()
                entries.append(current)
            plural = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            name, index = ("msgstr", int(plural.group(1))) if plural else (keyword, 0)
            if name == "msgstr":
                current.msgstr[index] = ""
            else:
                setattr(current, name, "")
        text = ast.literal_eval(line)  # PO strings use C escapes, which Python's literals share
        if name == "msgstr":
            current.msgstr[index] += text
        else:
            setattr(current, name, getattr(current, name) + text)
    return [e for e in entries if e.msgid]  # without the header


def english() -> list[Entry]:
    return read_po(LOCALE / "en" / "LC_MESSAGES" / "django.po")


def test_every_message_has_an_english_translation() -> None:
    entries = english()
    assert len(entries) > 100
    untranslated = [e.msgid for e in entries if not all(e.msgstr.values())]
    assert not untranslated, untranslated


def test_translations_keep_every_placeholder_of_the_vietnamese_text() -> None:
    for e in english():
        expected = sorted(PLACEHOLDER.findall(e.msgid))
        for text in e.msgstr.values():
            assert sorted(PLACEHOLDER.findall(text)) == expected, (e.msgid, text)


def test_the_compiled_english_catalog_matches_the_po_file() -> None:
    with (LOCALE / "en" / "LC_MESSAGES" / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for e in english():
        if e.msgid_plural is not None:
            got = [compiled.ngettext(e.msgid, e.msgid_plural, n) for n in (1, 2)]
            want = [e.msgstr[0], e.msgstr[1]]
        elif e.msgctxt is not None:
            got, want = [compiled.pgettext(e.msgctxt, e.msgid)], [e.msgstr[0]]
        else:
            got, want = [compiled.gettext(e.msgid)], [e.msgstr[0]]
        if got != want:
            stale.append(e.msgid)
    assert not stale, f"run `manage.py compilemessages`: {stale}"


def test_the_vietnamese_catalog_exists_and_is_compiled() -> None:
    # Vietnamese is the source language: its msgstr stay empty and gettext shows the msgid.
    po = LOCALE / "vi" / "LC_MESSAGES" / "django.po"
    assert po.exists() and (po.with_suffix(".mo")).exists()
    assert {e.msgid for e in read_po(po)} == {e.msgid for e in english()}
