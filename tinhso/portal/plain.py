"""Messages for citizens in plain words."""

from __future__ import annotations

from django.utils.translation import get_language

from tinhso.core.text import in_language


def plain(message: str) -> str:
    """The message in the reader's language: the lower apps' messages are "Tiếng Việt. / English." (an API
    client may read either); a page shows the half of its language (`core.text.in_language`)."""
    return in_language(str(message), get_language() or "vi")
