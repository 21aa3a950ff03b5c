"""Display helpers of the e-document pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def hash_groups(value: str) -> str:
    """A SHA-256 in groups of eight (`1a2b3c4d 5e6f…`): easy to compare by eye, and it wraps on a phone."""
    value = value or ""
    return " ".join(value[i : i + 8] for i in range(0, len(value), 8))


@register.filter
def file_size(value: int) -> str:
    """Bytes as people read them: 850 KB, 2,4 MB (Vietnamese decimal comma)."""
    if value < 1024 * 1024:
        return f"{max(1, round(value / 1024))} KB"
    return f"{value / (1024 * 1024):.1f} MB".replace(".", ",")
