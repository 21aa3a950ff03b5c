"""Messages for citizens in plain words."""

from __future__ import annotations

from django.utils.translation import get_language

# The lower apps' messages are "Vietnamese / English" (an API client may be either); the separator has
# spaces on both sides, which legal references ("61/2018/NĐ-CP") never do.
_SEPARATOR = " / "


def plain(message: str) -> str:
    """The message in the reader's language: its Vietnamese half on a Vietnamese page, whole otherwise."""
    if (get_language() or "vi").startswith("vi") and _SEPARATOR in message:
        return message.split(_SEPARATOR, 1)[0].strip()
    return message
