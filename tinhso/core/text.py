"""Vietnamese text helpers.

`fold()` is the one normalisation every diacritics-insensitive search uses: searches compare folded
query words against a folded copy of the searched text stored beside it, so SQLite and PostgreSQL give
the same answers without database extensions.
"""

from __future__ import annotations

import re
import unicodedata

# đ/Đ is a separate letter, not d + a combining mark, so NFD leaves it alone.
_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip diacritics and collapse whitespace: "Tuyên  Quang" -> "tuyen quang"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped.lower()).strip()


def fold_words(query: str) -> list[str]:
    """The folded words of a search query, punctuation removed."""
    return [w for w in re.split(r"[^\w.]+", fold(query)) if w]
