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


def shortened(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis where it was cut (an SMS's names)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fold_name(name: str, limit: int = 200) -> str:
    """The search copy of a person's or an organisation's name: its folded words (`fold_words`), one
    space apart, at most `limit` characters (folding can lengthen a name)."""
    return " ".join(fold_words(name))[:limit]


# A refusal is written "Tiếng Việt. / English." (STYLE.md): both halves for the API's clients and the logs.
# A page shows the half of its language. The separator is a " / " after the end of a sentence, followed
# by a half written in English (mostly ASCII letters), not a "/" inside a sentence ("Nộp / tiếp nhận").
_HALVES = re.compile(r"(?<=[.?!)”»]) / (?=[A-Z0-9“(\"'])")


def _ascii_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ch.isascii() for ch in letters) / len(letters) if letters else 1.0


def _own_words(english: str, vietnamese: str) -> str:
    """The English half without the words it quotes from the Vietnamese one (a name, a role, an agency:
    "The recipient must be: Cán bộ một cửa." after "Người nhận phải là Cán bộ một cửa …")."""
    quoted = set(re.findall(r"\w+", vietnamese))
    return " ".join(w for w in re.findall(r"\w+", english) if w not in quoted)


def in_language(message: str, language: str | None) -> str:
    """The Vietnamese or the English half of a bilingual message, by `language` ("vi…" or "en…");
    any other message, or another language, as it is. The English half is told by its own words being
    ASCII letters, 90 % or more: words it quotes from the Vietnamese half do not count."""
    if not language or not language.startswith(("vi", "en")) or " / " not in message:
        return message
    for found in _HALVES.finditer(message):
        vietnamese, english = message[: found.start()], message[found.end() :]
        own = _own_words(english, vietnamese)
        if any(ch.isalpha() for ch in own) and _ascii_share(own) >= 0.9 and _ascii_share(vietnamese) < 0.9:
            return vietnamese if language.startswith("vi") else english
    return message
