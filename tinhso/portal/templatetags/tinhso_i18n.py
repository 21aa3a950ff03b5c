"""Template helpers for the language switcher in `base.html`."""

from __future__ import annotations

import unicodedata

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def language_choices() -> list[tuple[str, str]]:
    """`settings.LANGUAGES` as written there: each language named in itself and never translated (a
    Vietnamese reader looking for English must find "English", not "Tiếng Anh"), in NFC, the form every
    Vietnamese string of the site uses (Django's own name for Vietnamese is decomposed)."""
    return [(code, unicodedata.normalize("NFC", str(name))) for code, name in settings.LANGUAGES]
