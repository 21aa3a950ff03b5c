"""Procedure catalog search (*tra cứu thủ tục hành chính*): ranked, faceted, the same on SQLite and PostgreSQL

    procedure_search(*, q="", field_id=None, level="", online_level="", agency_code="", limit=20, offset=0)
        -> SearchResult

- `q`: what the citizen typed, with or without diacritics, in any case: words of a procedure's name
  ("dang ky khai sinh", "tạm trú"), words of its body (papers, steps, results), a national code
  ("1.001193", or the province's local code "1.001193.000.00.30.H60") or the start of one ("1.0011").
  Empty: every procedure, in code order.
- Filters, combined with AND: `field_id` (`ProcedureField` id), `level` (a `Level` value: a procedure
  carried out at several levels matches each of them), `online_level` (an `OnlineLevel` value),
  `agency_code` (an `Agency` code: procedures with an active binding to that very agency). An unknown
  field id or agency code matches nothing; an unknown level or online level raises ValueError.
- `limit`, `offset`: the page of `items` (0 ≤ limit; 0 ≤ offset), after ranking.

`SearchResult.items` are the page's `Procedure`s, best first, with `field` loaded and `body_folded` (the
search's own copy of the body) deferred; `total` counts every match; `facets` counts the matches per
field, level, online level and agency, each ignoring its own filter (as faceted search does: choosing "Cấp
xã" still shows how many matches each other level has); `corrections` maps an unknown word of the query
to the catalog word it was read as ("sihn" -> "sinh").

How a query is read and ranked
-------------------------------
The query is folded (`core.text.fold`) and split into words: runs of a-z and 0-9, like the index (see
migration 0002). Acronyms and everyday phrases are replaced by the catalog's words (SYNONYMS: "cccd" ->
"can cuoc", "so do" -> "giay chung nhan quyen su dung dat"). Each word also matches its y/i spelling
("ky"/"ki", "ly"/"li", "quy"/"qui": both are correct Vietnamese). The last word also matches as the start
of a word (as-you-type), at PREFIX_WEIGHT. A word no procedure holds is read as the word of the
procedure names one letter away from it (`corrections`), if there is one, else ignored: an extra word
never empties the results.

Each word weighs its rarity (BM25's idf over the procedures whose name or body holds it). A procedure
scores, per word, the larger of
- the word's weight × a name-length factor when its name holds the word. The factor is BM25's length
  normalisation (clamped to at least NAME_FLOOR), over the name's words up to the last query word found
  and TAIL_WEIGHT of each word after it: a name says what the procedure is first ("Chứng thực bản sao
  …"), then for whom and where, so a short name the query covers comes first, and a long name that
  starts with the query is not buried under short ones that merely contain its words;
- BODY_WEIGHT × the word's weight when only its body holds it: a name match always counts more;
plus ADJACENT_BONUS for each pair of consecutive query words side by side in the name (the words of
"khai sinh" together, not scattered). Word order otherwise plays no part. A procedure whose national code
the query names (or starts) comes first. Ties go to the smaller code.

A procedure is a match when the words it holds (name or body) carry at least MIN_MATCH of the query's
weight and it scores at least MIN_RELATIVE of the best
match: a missing word or an extra word lowers a score, it does not exclude the procedure, while one that
shares only a common word with the query ("thu tuc", "cap") is left out. The constants are tuned on
bench/procedure_queries.csv, whose top-1 and top-3 hit rates `make bench` reports (bench/relevance.py).

Same results on both databases
------------------------------
The database answers one question only, through its full-text index (migration 0002: an FTS5 table on
SQLite, a GIN-indexed `tsvector` table on PostgreSQL) over the same folded text split into the same words:
which procedures hold a word, whole or as a prefix, in their name or body. Everything else (weights,
scores, order, the cut-off, the facets of the procedure columns) is computed here in Python from those
answers and the folded names, so it cannot differ between the databases. Weights enter SQL only as
integers (the minimum-match filter), so no floating-point sum is compared there. The tests run the same
cases on both.

Cost: a search's answer (the ranked matches and the facets) and its page of procedures are cached under
the catalog's stamp, a token that database triggers renew on every write to procedures, fields, bindings
and agencies (migration 0004): a repeated search costs one query (the stamp), another page of it two, and
no process ever serves an answer older than the catalog. A new search costs five: the stamp, the word
counts, the candidates with the words each holds, the agency facet, the page (one more with an agency
filter; one over the procedure names when a word needs a correction). The index is asked first for the
rarest words a match must hold (MaxScore), so a query with a rare word reads few rows even when its other
words are everywhere.
"""

# The SQL here is assembled from constants (table names, fixed fragments); every value, the query's
# words included, goes as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tinhso.accounts.models import Agency
from tinhso.core.text import fold
from tinhso.procedures.models import Level, OnlineLevel, Procedure, ProcedureBinding, ProcedureField

# --- Ranking constants (tuned on bench/procedure_queries.csv; bench/relevance.py reports the hit rates) --

K1 = 1.2  # BM25 term saturation, here only through the length factor: a name holds a word or not
B = 0.75  # how much a longer name is penalised
AVERAGE_NAME_WORDS = 20.0  # about the catalog's mean (22; median 17); a constant, not a query per search
TAIL_WEIGHT = 0.25  # a name word after the last query word found counts as a quarter of a word
HEAD_WEIGHT = 0.1  # of the heaviest term's weight: lighter words found do not extend a name's head
NAME_FLOOR = 0.6  # the length factor's least value: a name match never counts less than 2 × a body match
BODY_WEIGHT = 0.3
PREFIX_WEIGHT = 0.5  # a last word matched only as the start of a word ("kha" -> "khai")
ADJACENT_BONUS = 0.5
CODE_SCORE = 1000.0  # above any text score
MIN_MATCH = 0.5  # of the query's weight, held in the name or the body
MIN_RELATIVE = 0.15  # of the best text score
MAX_WORDS = 12  # a pasted paragraph is cut, not searched word by word
WEIGHT_SCALE = 1000  # weights as integers in SQL
# How long a search's answer is kept (settings.PROCEDURE_SEARCH_CACHE_SECONDS overrides; 0: not kept). The
# catalog's stamp, not this, keeps answers fresh: it only bounds how long an unused one takes memory.
CACHE_SECONDS = 600

WORD = re.compile(r"[a-z0-9]+")
# A national code (1.001193), also at the start of a province's local code (1.001193.000.00.30.h60).
CODE = re.compile(r"(?<![\w.])([1-3]\.\d{6})(?:\.[a-z0-9]+)*(?![\w])")
CODE_PREFIX = re.compile(r"[1-3]\.\d{1,5}")
# A syllable ending in y or i after consonants only: both spellings are in use (kỹ/kĩ, lý/lí, quy/qui).
Y_OR_I = re.compile(r"([bcdghklmnpqrstvx]+|qu)[yi]")

# What people type for what the catalog says: acronyms, and everyday words for official ones. A query's
# phrase is replaced by the catalog's words (longest phrase first).
SYNONYMS: dict[str, str] = {
    # Acronyms
    "cccd": "can cuoc",
    "cmnd": "chung minh nhan dan",
    "gplx": "giay phep lai xe",
    "gcn": "giay chung nhan",
    "qsdd": "quyen su dung dat",
    "gcnqsdd": "giay chung nhan quyen su dung dat",
    "dkkd": "dang ky kinh doanh",
    "gpkd": "giay phep kinh doanh",
    "hkd": "ho kinh doanh",
    "htx": "hop tac xa",
    "dn": "doanh nghiep",
    "mst": "ma so thue",
    "gtgt": "gia tri gia tang",
    "tncn": "thu nhap ca nhan",
    "tndn": "thu nhap doanh nghiep",
    "bhxh": "bao hiem xa hoi",
    "bhyt": "bao hiem y te",
    "lltp": "ly lich tu phap",
    "pccc": "phong chay chua chay",
    "xnc": "xuat nhap canh",
    # Everyday words
    "bao tu": "khai tu",  # báo tử: a death is registered (đăng ký khai tử)
    "doc than": "tinh trang hon nhan",  # giấy xác nhận độc thân
    "sao y": "chung thuc ban sao",  # sao y bản chính
    "ho khau": "thuong tru",  # nhập hộ khẩu: the household book is gone, the phrase is not
    "so do": "giay chung nhan quyen su dung dat",  # sổ đỏ
    "so hong": "giay chung nhan quyen so huu nha o",  # sổ hồng
    "bang lai": "giay phep lai",  # bằng lái xe
    "xe may": "xe",  # registration procedures say "xe" for every vehicle
}
_SYNONYMS = {tuple(k.split()): v.split() for k, v in SYNONYMS.items()}
_LONGEST_SYNONYM = max(len(k) for k in _SYNONYMS)


def _spell_out(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(_LONGEST_SYNONYM, len(words) - i), 0, -1):
            replacement = _SYNONYMS.get(tuple(words[i : i + n]))
            if replacement is not None:
                out.extend(replacement)
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return out


PROCEDURE_TABLE = Procedure._meta.db_table
FTS_TABLE = f"{PROCEDURE_TABLE}_fts"  # SQLite only (migration 0002)
FIELD_TABLE = ProcedureField._meta.db_table
PG_INDEX_TABLE = f"{PROCEDURE_TABLE}_search"  # PostgreSQL only (migration 0002)


# --- Results ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetValue:
    value: int | str  # field: ProcedureField id; level, online_level: the choice value; agency: its code
    label: str
    count: int


@dataclass(frozen=True)
class Facets:
    """Counts of the matches per value, each facet ignoring its own filter. Values with no match are left
    out, except the one selected. Fields and agencies: most matches first; levels: in their fixed order."""

    field: list[FacetValue]
    level: list[FacetValue]
    online_level: list[FacetValue]
    agency: list[FacetValue]


@dataclass(frozen=True)
class SearchResult:
    items: list[Procedure]
    total: int
    facets: Facets
    limit: int
    offset: int
    corrections: dict[str, str] = field(default_factory=dict)


# --- Reading the query --------------------------------------------------------------------------------


@dataclass
class Term:
    """One distinct word of the query and the spellings it matches."""

    word: str
    variants: tuple[str, ...]
    prefix: bool  # the last word: also matches as the start of a word
    weight: float = 0.0  # idf of the word; 0 when no procedure holds it
    prefix_weight: float = 0.0  # a prefix term: PREFIX_WEIGHT × idf of holding a word it starts

    @property
    def top(self) -> float:
        return max(self.weight, self.prefix_weight)


@dataclass
class ParsedQuery:
    codes: list[str]  # national codes named in the query
    code_prefix: str  # the start of a code, when that is the whole query
    words: list[str]  # the query's words in order (acronyms spelled out), for adjacency
    terms: list[Term]


def _variants(word: str) -> tuple[str, ...]:
    m = Y_OR_I.fullmatch(word)
    if m is None:
        return (word,)
    other = m.group(1) + ("i" if word.endswith("y") else "y")
    return (word, other)


def parse_query(q: str) -> ParsedQuery:
    folded = fold(q)
    codes = list(dict.fromkeys(m.group(1) for m in CODE.finditer(folded)))
    rest = CODE.sub(" ", folded)
    code_prefix = folded if not codes and CODE_PREFIX.fullmatch(folded) else ""
    if code_prefix:
        rest = ""
    words = _spell_out(WORD.findall(rest))[: MAX_WORDS * 2]
    distinct = list(dict.fromkeys(words))[:MAX_WORDS]
    # As-you-type: the last word may be unfinished. Not a number ("20" is not the start of "2019") and
    # not a single letter, which starts too many words to mean anything.
    last = words[-1] if words else ""
    terms = [
        Term(
            word=w,
            variants=_variants(w),
            prefix=w == last and len(w) >= 2 and not w.isdigit() and words.count(w) == 1,
        )
        for w in distinct
    ]
    return ParsedQuery(codes=codes, code_prefix=code_prefix, words=words, terms=terms)


# --- What the database answers: which procedures hold a word --------------------------------------------


class _Index:
    """The vendor's side index (migration 0002) behind one interface: whether a procedure row `p` holds a
    word, as SQL."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        if self.vendor not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"procedure search has no index for the {self.vendor} database")

    def holds(self, variants: Sequence[str], *, prefix: bool) -> tuple[str, list[str]]:
        """A condition on `p`: its name or body holds one of `variants` (or, `prefix`, a word one of them
        starts)."""
        return self.holds_any([(variants, prefix)])

    def holds_any(self, words: Sequence[tuple[Sequence[str], bool]]) -> tuple[str, list[str]]:
        """A condition on `p`: its name or body holds one of the (variants, prefix) `words`. Through the
        index (FTS5; GIN), so it also picks the few rows to look at when the words are rare."""
        spellings = [(v, prefix) for variants, prefix in words for v in variants]
        if self.vendor == "sqlite":
            # Words are [a-z0-9]+, safe inside FTS5 quotes.
            match = " OR ".join(f'"{v}"{"*" if prefix else ""}' for v, prefix in spellings)
            return f"p.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)", [match]
        tsquery = " | ".join(f"{v}{':*' if prefix else ''}" for v, prefix in spellings)
        return "s.words @@ to_tsquery('simple'::regconfig, %s)", [tsquery]

    @property
    def procedures(self) -> str:
        """The FROM clause: procedures as `p` (and their index row as `s` on PostgreSQL)."""
        if self.vendor == "sqlite":
            return f"{PROCEDURE_TABLE} p"
        return f"{PG_INDEX_TABLE} s JOIN {PROCEDURE_TABLE} p ON p.id = s.id"

    def counts(self, conditions: list[tuple[str, list[str]]]) -> tuple[str, list[str]]:
        """One row: the number of procedures, then how many meet each condition."""
        params: list[str] = []
        if self.vendor == "sqlite":
            # Each IN-subquery reads the FTS index once; no pass over the procedures.
            parts = [f"(SELECT COUNT(*) FROM {PROCEDURE_TABLE})"]
            for sql, p in conditions:
                subquery = sql.removeprefix("p.id IN ")
                parts.append(f"(SELECT COUNT(*) FROM {subquery} AS t)")
                params.extend(p)
            return "SELECT " + ", ".join(parts), params
        # One pass over the narrow index table, a vector test per row and word.
        parts = ["COUNT(*)"]
        for sql, p in conditions:
            parts.append(f"COUNT(*) FILTER (WHERE {sql})")
            params.extend(p)
        return f"SELECT {', '.join(parts)} FROM {PG_INDEX_TABLE} s", params

    def id_in(self, column: str, ids: list[int]) -> tuple[str, list[Any]]:
        """`column` is one of `ids`, as one parameter however many ids there are."""
        if self.vendor == "sqlite":
            return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]
        return f"{column} = ANY(%s)", [ids]


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _term_conditions(index: _Index, terms: Sequence[Term]) -> list[tuple[str, list[str]]]:
    """Per term, whether a procedure holds it exactly, then (a prefix term) whether it holds a word it
    starts."""
    conditions = []
    for term in terms:
        conditions.append(index.holds(term.variants, prefix=False))
        if term.prefix:
            conditions.append(index.holds(term.variants, prefix=True))
    return conditions


def _document_counts(index: _Index, terms: Sequence[Term]) -> tuple[int, list[tuple[int, int]]]:
    """The number of procedures and, per term, how many hold it (exactly; as a prefix): one query."""
    sql, params = index.counts(_term_conditions(index, terms))
    row = list(_fetch(sql, params)[0])
    total = row.pop(0)
    counts = []
    for term in terms:
        exact = row.pop(0)
        counts.append((exact, row.pop(0) if term.prefix else exact))
    return total, counts


def _idf(total: int, holding: int) -> float:
    return math.log(1 + (total - holding + 0.5) / (holding + 0.5))


def _name_vocabulary() -> Counter[str]:
    vocabulary: Counter[str] = Counter()
    for name in Procedure.objects.values_list("name_folded", flat=True).iterator(chunk_size=2000):
        vocabulary.update(set(WORD.findall(name)))
    return vocabulary


def _one_letter_away(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    return (deletes | swaps | replaces | inserts) - {word}


def _correct(word: str, vocabulary: Counter[str]) -> str | None:
    """The most frequent name word one edit (delete, swap, replace, insert) from `word`, if any. Not for
    words under four letters, nor changing the first letter: nearly every short string is one letter from
    some syllable, and people seldom miss the first letter (a "vang" read as "dang" is a worse answer than
    none)."""
    if len(word) < 4 or word.isdigit():
        return None
    candidates = [w for w in _one_letter_away(word) if w in vocabulary and w[0] == word[0]]
    if not candidates:
        return None
    return min(candidates, key=lambda w: (-vocabulary[w], w))


def _weigh(index: _Index, parsed: ParsedQuery) -> dict[str, str]:
    """Set each term's weight, correcting the words the catalog does not hold; return the corrections."""
    total, counts = _document_counts(index, parsed.terms)
    corrections: dict[str, str] = {}
    unknown = [i for i, (exact, prefixed) in enumerate(counts) if prefixed == 0]
    if unknown:
        vocabulary = _name_vocabulary()
        for i in unknown:
            term = parsed.terms[i]
            corrected = _correct(term.word, vocabulary)
            if corrected is not None and all(corrected != t.word for t in parsed.terms):
                corrections[term.word] = corrected
                parsed.terms[i] = Term(word=corrected, variants=_variants(corrected), prefix=False)
                parsed.words = [corrected if w == term.word else w for w in parsed.words]
        if corrections:
            total, counts = _document_counts(index, parsed.terms)
    for term, (exact, prefixed) in zip(parsed.terms, counts, strict=True):
        term.weight = _idf(total, exact) if exact else 0.0
        if term.prefix and prefixed:
            term.prefix_weight = PREFIX_WEIGHT * _idf(total, prefixed)
    return corrections


@dataclass(slots=True)
class _Row:
    id: int
    code: str
    name_folded: str
    field_id: int
    field_name: str
    levels: frozenset[str]
    online_level: str
    held: list[float]  # per term, the weight earned by holding it (name or body): weight, prefix_weight, 0
    score: float = 0.0


_COLUMNS = (
    "p.id, p.code, p.name_folded, p.field_id, f.name, p.level_ministry, p.level_province, "
    "p.level_commune, p.level_other, p.online_level"
)
_LEVELS = (Level.MINISTRY.value, Level.PROVINCE.value, Level.COMMUNE.value, Level.OTHER.value)


def _enough_held(index: _Index, terms: list[Term]) -> tuple[str, list[Any]]:
    """The condition of a match on the query's words: it holds MIN_MATCH of their weight."""
    # Integer weights: the sum compared in SQL is exact on every database.
    scaled = [(round(t.weight * WEIGHT_SCALE), round(t.prefix_weight * WEIGHT_SCALE)) for t in terms]
    enough = math.ceil(MIN_MATCH * sum(max(pair) for pair in scaled))
    weighed: list[str] = []
    params: list[Any] = []
    # (weight, key, (variants, prefix)): every way a procedure earns weight, a term held whole or (the
    # last word) as the start of a word.
    ways: list[tuple[int, str, tuple[Sequence[str], bool]]] = []
    for term, (exact_w, prefix_w) in zip(terms, scaled, strict=True):
        exact_sql, exact_params = index.holds(term.variants, prefix=False)
        cases = f"WHEN {exact_sql} THEN {exact_w} "
        params.extend(exact_params)
        ways.append((exact_w, term.word, (term.variants, False)))
        if term.prefix:
            prefix_sql, prefix_params = index.holds(term.variants, prefix=True)
            cases += f"WHEN {prefix_sql} THEN {prefix_w} "
            params.extend(prefix_params)
            ways.append((prefix_w, term.word + "*", (term.variants, True)))
        weighed.append(f"CASE {cases}ELSE 0 END")
    # A match must earn weight in one of the heaviest ways, those the others together cannot make up for
    # (MaxScore): asked of the index first, they leave few rows to test when they are rare.
    necessary = []
    rest = sum(w for w, _key, _way in ways)
    for weight, _key, way in sorted(ways, key=lambda w: (-w[0], w[1])):
        necessary.append(way)
        rest -= weight
        if rest < enough:
            break
    necessary_sql, necessary_params = index.holds_any(necessary)
    return f"{necessary_sql} AND ({' + '.join(weighed)}) >= %s", [*necessary_params, *params, enough]


def _candidates(index: _Index, parsed: ParsedQuery | None) -> list[_Row]:
    """Every procedure (no query), or those holding enough of the query's weight or named by code, with
    which terms each holds."""
    terms = [t for t in parsed.terms if t.top > 0] if parsed else []
    select = [_COLUMNS]
    select_params: list[Any] = []
    where: list[str] = []
    where_params: list[Any] = []
    if parsed is not None:
        exact_held = [index.holds(t.variants, prefix=False) for t in terms]
        prefix_held = [index.holds(t.variants, prefix=True) if t.prefix else None for t in terms]
        for exact, prefixed in zip(exact_held, prefix_held, strict=True):
            for sql, p in [exact, prefixed] if prefixed else [exact]:
                select.append(f"CASE WHEN {sql} THEN 1 ELSE 0 END")
                select_params.extend(p)
        if terms:
            sql, p = _enough_held(index, terms)
            where.append(sql)
            where_params.extend(p)
        if parsed.codes:
            where.append(f"p.code IN ({', '.join(['%s'] * len(parsed.codes))})")
            where_params.extend(parsed.codes)
        if parsed.code_prefix:
            where.append("p.code LIKE %s")
            where_params.append(parsed.code_prefix + "%")
        if not where:
            return []
    source = index.procedures if parsed is not None else f"{PROCEDURE_TABLE} p"
    sql = f"SELECT {', '.join(select)} FROM {source} JOIN {FIELD_TABLE} f ON f.id = p.field_id"
    if where:
        sql += " WHERE " + " OR ".join(f"({w})" for w in where)
    rows = _fetch(sql, select_params + where_params)
    # Per term: (its exact flag's column, its prefix flag's column, the same for a whole-word term).
    columns = []
    at = len(_COLUMNS.split(","))
    for term in terms:
        columns.append((term, at, at + 1 if term.prefix else at))
        at += 2 if term.prefix else 1
    return [
        _Row(
            id=row[0],
            code=row[1],
            name_folded=row[2],
            field_id=row[3],
            field_name=row[4],
            levels=frozenset(level for level, on in zip(_LEVELS, row[5:9], strict=True) if on),
            online_level=row[9],
            held=[t.weight if row[e] else t.prefix_weight if row[p] else 0.0 for t, e, p in columns],
        )
        for row in rows
    ]


# --- Ranking (pure Python: the same on every database) ------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _name_words(name_folded: str) -> tuple[int, dict[str, tuple[int, ...]]]:
    """A name's number of words and where each word stands. Memoised: a pure function of the text, so
    a stale entry cannot exist; it spares re-splitting the same names on every search."""
    words = WORD.findall(name_folded)
    positions: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        positions.setdefault(word, []).append(i)
    return len(words), {word: tuple(at) for word, at in positions.items()}


@functools.lru_cache(maxsize=4096)
def _length_factor(words: float) -> float:
    """BM25's length normalisation for a name of `words` words, at least NAME_FLOOR."""
    return max((K1 + 1) / (1 + K1 * (1 - B + B * words / AVERAGE_NAME_WORDS)), NAME_FLOOR)


class _Scorer:
    """The query's terms and word pairs, prepared once to score many names."""

    def __init__(self, parsed: ParsedQuery) -> None:
        self.terms = [t for t in parsed.terms if t.top > 0]
        index = {t.word: i for i, t in enumerate(self.terms)}
        pairs = []
        for a, b in zip(parsed.words, parsed.words[1:], strict=False):
            if a != b and a in index and b in index and (index[a], index[b]) not in pairs:
                pairs.append((index[a], index[b]))
        self.pairs = pairs
        self.heavy = HEAD_WEIGHT * max((t.top for t in self.terms), default=0.0)

    def score(self, name_folded: str, held: Sequence[float]) -> float:
        """The text score of one procedure (see the module docstring). `held` is the weight each term
        earns from the name or body; a term the name holds earns it as a name match, so `held` counts as
        a body match only where the name does not hold the term."""
        n_words, positions = _name_words(name_folded)
        where: list[tuple[int, ...]] = []
        in_name: list[float] = []
        for term in self.terms:
            at: tuple[int, ...] = ()
            for variant in term.variants:
                at += positions.get(variant, ())
            earned = term.weight if at else 0.0
            # The last word as the start of a name word; the substring test spares the word loop.
            if not at and term.prefix and any(v in name_folded for v in term.variants):
                for word, word_at in positions.items():
                    if word.startswith(term.variants):
                        at += word_at
                earned = term.prefix_weight if at else 0.0
            where.append(at)
            in_name.append(earned)
        # A name says what the procedure is first, then whom and where it is for: the words up to the last
        # query word found count in full, those after it at TAIL_WEIGHT. Only words that weigh: a common
        # word found far down the name (hồ sơ folds to "ho") does not stretch the head to it.
        head = max(
            (min(at) + 1 for at, earned in zip(where, in_name, strict=True) if at and earned >= self.heavy),
            default=n_words,
        )
        length = _length_factor(head + TAIL_WEIGHT * (n_words - head))
        score = 0.0
        for earned, in_text in zip(in_name, held, strict=True):
            score += max(earned * length, BODY_WEIGHT * in_text)
        for a, b in self.pairs:
            if where[a] and where[b] and any(i + 1 in where[b] for i in where[a]):
                score += ADJACENT_BONUS * (in_name[a] + in_name[b]) / 2 * length
        return score


def _rank(parsed: ParsedQuery, rows: list[_Row]) -> list[_Row]:
    scorer = _Scorer(parsed)
    codes = set(parsed.codes)
    best = 0.0
    for row in rows:
        row.score = scorer.score(row.name_folded, row.held) if scorer.terms else 0.0
        best = max(best, row.score)
    threshold = MIN_RELATIVE * best
    kept = []
    for row in rows:
        if row.code in codes or bool(parsed.code_prefix and row.code.startswith(parsed.code_prefix)):
            row.score += CODE_SCORE
            kept.append(row)
        elif scorer.terms and row.score > 0 and row.score >= threshold:
            kept.append(row)
    kept.sort(key=lambda r: (-r.score, r.code))
    return kept


# --- Filters and facets -------------------------------------------------------------------------------

BINDING_TABLE = ProcedureBinding._meta.db_table
AGENCY_TABLE = Agency._meta.db_table


def _bound_to(agency_code: str) -> set[int]:
    """The procedures with an active binding to the agency of that code."""
    sql = (
        f"SELECT b.procedure_id FROM {BINDING_TABLE} b JOIN {AGENCY_TABLE} a ON a.id = b.agency_id "
        "WHERE a.code = %s AND b.is_active"
    )
    return {row[0] for row in _fetch(sql, [agency_code])}


def _agency_counts(index: _Index, ids: list[int] | None) -> list[tuple[str, str, int]]:
    """(code, name, procedures) per agency through active bindings, among `ids` (None: all procedures).
    One binding per procedure and agency (binding_unique_procedure_agency): bindings count procedures."""
    sql = (
        f"SELECT a.code, a.name, COUNT(*) FROM {BINDING_TABLE} b JOIN {AGENCY_TABLE} a ON a.id = b.agency_id "
        "WHERE b.is_active"
    )
    params: list[Any] = []
    if ids is not None:
        condition, params = index.id_in("b.procedure_id", ids)
        sql += f" AND {condition}"
    return [(code, name, n) for code, name, n in _fetch(sql + " GROUP BY a.code, a.name", params)]


def _facet(
    counts: dict[Any, int], labels: dict[Any, str], selected: Any, *, order: Sequence[Any] | None = None
) -> list[FacetValue]:
    """Values with matches (and the selected one, even without), with their labels."""
    values = [v for v in (order if order is not None else counts) if counts.get(v) or v == selected]
    if selected is not None and selected not in values and selected in labels:
        values.append(selected)
    facet = [FacetValue(value=v, label=labels.get(v, str(v)), count=counts.get(v, 0)) for v in values]
    if order is None:
        facet.sort(key=lambda f: (-f.count, _label_key(f.label), str(f.value)))
    return facet


@functools.lru_cache(maxsize=4096)
def _label_key(label: str) -> str:
    """Labels (field and agency names) sort by their folded form; memoised, as the same few hundred
    names come back on every search."""
    return fold(label)


STAMP_TABLE = "procedures_search_stamp"  # migration 0004


@dataclass(frozen=True)
class _Found:
    """What a search finds before its page is loaded; cached under the catalog's stamp. Level labels are
    translated, so those facets keep their counts only."""

    ids: list[int]  # the matches, best first
    field: list[FacetValue]
    level: dict[str, int]
    online_level: dict[str, int]
    agency: list[FacetValue]
    corrections: dict[str, str]


def _find(q: str, field_id: int | None, level: str, online_level: str, agency_code: str) -> _Found:
    index = _Index()
    corrections: dict[str, str] = {}
    if q.strip():
        parsed = parse_query(q)
        if parsed.terms:
            corrections = _weigh(index, parsed)
        rows = _rank(parsed, _candidates(index, parsed))
    else:
        rows = sorted(_candidates(index, None), key=lambda r: r.code)

    bound = _bound_to(agency_code) if agency_code else None

    def passes(row: _Row, skip: str = "") -> bool:
        return (
            (skip == "field" or field_id is None or row.field_id == field_id)
            and (skip == "level" or not level or level in row.levels)
            and (skip == "online_level" or not online_level or row.online_level == online_level)
            and (skip == "agency" or bound is None or row.id in bound)
        )

    field_counts = Counter(r.field_id for r in rows if passes(r, "field"))
    field_labels = {r.field_id: r.field_name for r in rows}
    if field_id is not None and field_id not in field_labels:
        name = ProcedureField.objects.filter(pk=field_id).values_list("name", flat=True).first()
        if name is not None:
            field_labels[field_id] = name
    for_agencies = [r.id for r in rows if passes(r, "agency")]
    everything = not q.strip() and field_id is None and not level and not online_level
    by_agency = _agency_counts(index, None if everything else for_agencies) if for_agencies else []
    agency_labels = {code: name for code, name, _n in by_agency}
    if agency_code and agency_code not in agency_labels:
        name = Agency.objects.filter(code=agency_code).values_list("name", flat=True).first()
        if name is not None:
            agency_labels[agency_code] = name
    return _Found(
        ids=[row.id for row in rows if passes(row)],
        field=_facet(field_counts, field_labels, field_id),
        level=dict(Counter(lv for r in rows if passes(r, "level") for lv in r.levels)),
        online_level=dict(Counter(r.online_level for r in rows if passes(r, "online_level"))),
        agency=_facet({code: n for code, _name, n in by_agency}, agency_labels, agency_code or None),
        corrections=corrections,
    )


def cache_seconds() -> int:
    return int(getattr(settings, "PROCEDURE_SEARCH_CACHE_SECONDS", CACHE_SECONDS))


def cache_key(*, q: str, field_id: int | None, level: str, online_level: str, agency_code: str) -> str | None:
    """The cache key of a search's answer under the catalog's current stamp (None: caching is off)."""
    return _cache_key(q, field_id, level, online_level, agency_code)


def _cache_key(q: str, field_id: int | None, level: str, online_level: str, agency_code: str) -> str | None:
    """Where the answer is cached, under the catalog's current stamp (a token that database triggers renew
    on every write to procedures, fields, bindings and agencies: migration 0004); None: not cached."""
    if not getattr(settings, "PROCEDURE_SEARCH_CACHE_SECONDS", CACHE_SECONDS):
        return None
    stamp = _fetch(f"SELECT token FROM {STAMP_TABLE} WHERE id = 1", [])[0][0]
    question = (connection.settings_dict["NAME"], " ".join(fold(q).split()), field_id, level, online_level)
    digest = hashlib.sha256(repr((*question, agency_code)).encode()).hexdigest()
    return f"procedure_search:{stamp}:{digest}"


def _page(ids: list[int]) -> list[Procedure]:
    # The folded body is the search's own copy, kilobytes a row: not loaded with the page.
    by_id = Procedure.objects.select_related("field").defer("body_folded").in_bulk(ids) if ids else {}
    return [by_id[i] for i in ids if i in by_id]


def procedure_search(
    *,
    q: str = "",
    field_id: int | None = None,
    level: str = "",
    online_level: str = "",
    agency_code: str = "",
    limit: int = 20,
    offset: int = 0,
) -> SearchResult:
    """Search the procedure catalog; see the module docstring."""
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must be ≥ 0")
    if level and level not in Level.values:
        raise ValueError(f"unknown level {level!r}; one of {', '.join(Level.values)}")
    if online_level and online_level not in OnlineLevel.values:
        raise ValueError(f"unknown online level {online_level!r}; one of {', '.join(OnlineLevel.values)}")
    key = _cache_key(q, field_id, level, online_level, agency_code)
    # The answer, and the page's procedures (fewer queries than loading them again), keyed apart: the next
    # page reuses the answer. A stale entry cannot be read (another stamp), it is left to expire.
    page_key = f"{key}:{offset}:{limit}"
    cached = cache.get_many([key, page_key]) if key else {}
    found = cached.get(key)
    if not isinstance(found, _Found):
        found = _find(q, field_id, level, online_level, agency_code)
    items = cached.get(page_key)
    if not isinstance(items, list):
        items = _page(found.ids[offset : offset + limit])
    if key:
        seconds = getattr(settings, "PROCEDURE_SEARCH_CACHE_SECONDS", CACHE_SECONDS)
        cache.set_many({k: v for k, v in [(key, found), (page_key, items)] if k not in cached}, seconds)
    facets = Facets(
        field=found.field,
        level=_facet(found.level, dict(_choices(Level)), level or None, order=Level.values),
        online_level=_facet(
            found.online_level, dict(_choices(OnlineLevel)), online_level or None, order=OnlineLevel.values
        ),
        agency=found.agency,
    )
    return SearchResult(
        items=items,
        total=len(found.ids),
        facets=facets,
        limit=limit,
        offset=offset,
        corrections=dict(found.corrections),
    )


def _choices(choices: type[Level] | type[OnlineLevel]) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in choices.choices]
