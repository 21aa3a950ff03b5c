"""Template helpers for languages: the switcher in `base.html`, messages in the page's language."""

from __future__ import annotations

import unicodedata

from django import template
from django.conf import settings
from django.utils.safestring import SafeData
from django.utils.translation import get_language

from tinhso.core.text import in_language

register = template.Library()


@register.simple_tag
def language_choices() -> list[tuple[str, str]]:
    """`settings.LANGUAGES` as written there: each language named in itself and never translated (a
    Vietnamese reader looking for English must find "English", not "Tiếng Anh"), in NFC, the form every
    Vietnamese string of the site uses (Django's own name for Vietnamese is decomposed)."""
    return [(code, unicodedata.normalize("NFC", str(name))) for code, name in settings.LANGUAGES]


@register.filter(name="in_language")
def in_language_filter(value: object) -> object:
    """A refusal or an error written "Tiếng Việt. / English." shown in the page's language only
    (`core.text.in_language`); anything else, and text already marked safe, as it is."""
    if value is None:
        return value
    text = str(value)  # a message of the messages framework: its text, marked safe or not
    if isinstance(text, SafeData):
        return text
    return in_language(text, get_language())
