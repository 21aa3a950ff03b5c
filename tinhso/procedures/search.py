"""Procedure catalog search (*tra cứu thủ tục hành chính*): ranked, faceted, the same on SQLite and PostgreSQL.

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

`SearchResult.items` are the page's `Procedure`s (with `field` loaded), best first; `total` counts every
match; `facets` counts the matches per field, level, online level and agency, each ignoring its own
filter (as faceted search does: choosing "Cấp xã" still shows how many matches each other level has);
`corrections` maps an unknown word of the query to the catalog word it was read as ("sihn" -> "sinh").

How a query is read and ranked
-------------------------------
The query is folded (`core.text.fold`) and split into words: runs of a-z and 0-9, like the index (see
migration 0002). Each word also matches its y/i spelling ("ky"/"ki", "ly"/"li", "quy"/"qui": both are
correct Vietnamese), and a few acronyms people type are spelled out ("cccd" -> "can cuoc"). The last word
also matches as a prefix (as-you-type), at half weight. A word found nowhere is read as the word of the
catalog's procedure names one letter away from it, if there is one, else ignored: an extra word
never empties the results.

Each word weighs its rarity (BM25's idf over the procedures whose name or body holds it). A procedure
scores, per word, the larger of
- the word's weight × a name-length factor (BM25's, clamped to at least NAME_FLOOR) when its name holds
  the word: a short name that the query covers beats a long one that merely contains it, and
- BODY_WEIGHT × the word's weight when only its body does (so a name match always counts more);
plus ADJACENT_BONUS for each pair of consecutive query words that stand side by side in the name (the
words of "khai sinh" together, not scattered). A procedure whose national code the query names comes
first. Ties go to the smaller code.

A procedure is a match when the words it holds (name or body) carry at least MIN_MATCH of the query's
weight, and it scores at least MIN_RELATIVE of the best match: a missing word or an extra word lowers a
score, it does not exclude the procedure, while a procedure that shares only a common word with the
query ("thu tuc", "cap") is left out.

Same results on both databases
------------------------------
The database answers one question only: which procedures hold a word (exactly or as a prefix) in the
name, the body or either, through its full-text index (an FTS5 table on SQLite, GIN indexes on
`to_tsvector('simple', …)` on PostgreSQL), from the same folded text split into the same words. Everything
else (weights, scores, order, the cut-off, the facets of the three procedure columns) is computed here
in Python from those answers and the folded names, so it cannot differ between the databases. Weights
enter SQL only as integers (the minimum-match filter), so no floating-point sum is compared there.

Queries: two for the word counts and the candidates, one per agency filter or facet, one for the page;
one more, over the procedure names, when a word needs a correction.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count

from tinhso.accounts.models import Agency
from tinhso.core.text import fold
from tinhso.procedures.models import Level, OnlineLevel, Procedure, ProcedureBinding, ProcedureField

# --- Ranking constants (tuned on bench/procedure_queries.csv; bench/relevance.py reports the hit rates) --

K1 = 1.2  # BM25 term saturation, here only through the length factor: a name holds a word or not
B = 0.75  # how much a longer name is penalised
AVERAGE_NAME_WORDS = 20.0  # about the catalog's mean (22; median 17); a constant, not a query per search
NAME_FLOOR = 0.6  # the length factor's least value: a name match never counts less than 2 × a body match
BODY_WEIGHT = 0.3
PREFIX_WEIGHT = 0.5  # a last word matched only as the start of a word ("kha" -> "khai")
ADJACENT_BONUS = 0.5
CODE_SCORE = 1000.0  # above any text score
MIN_MATCH = 0.5  # of the query's weight, held in the name or the body
MIN_RELATIVE = 0.15  # of the best text score
MAX_WORDS = 12  # a pasted paragraph is cut, not searched word by word
WEIGHT_SCALE = 1000  # weights as integers in SQL

WORD = re.compile(r"[a-z0-9]+")
# A national code (1.001193), also at the start of a province's local code (1.001193.000.00.30.h60).
CODE = re.compile(r"(?<![\w.])([1-3]\.\d{6})(?:\.[a-z0-9]+)*(?![\w])")
CODE_PREFIX = re.compile(r"[1-3]\.\d{1,5}")
# A syllable ending in y or i after consonants only: both spellings are in use (kỹ/kĩ, lý/lí, quy/qui).
Y_OR_I = re.compile(r"([bcdghklmnpqrstvx]+|qu)[yi]")

# Acronyms people type for words the catalog spells out.
ACRONYMS: dict[str, str] = {
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
    "mst": "ma so thue",
    "gtgt": "gia tri gia tang",
    "tncn": "thu nhap ca nhan",
    "tndn": "thu nhap doanh nghiep",
    "bhxh": "bao hiem xa hoi",
    "bhyt": "bao hiem y te",
    "lltp": "ly lich tu phap",
    "xnc": "xuat nhap canh",
    "vbhn": "van ban hop nhat",
}

PROCEDURE_TABLE = Procedure._meta.db_table
FTS_TABLE = f"{PROCEDURE_TABLE}_fts"  # SQLite only (migration 0002)
# PostgreSQL: tsvector columns kept by a trigger (migration 0002); not model fields.
PG_NAME = "search_name"
PG_BODY = "search_body"


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
    weight: float = 0.0  # idf; 0 for a word the catalog does not hold


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
    words: list[str] = []
    for word in WORD.findall(rest):
        words.extend(ACRONYMS.get(word, word).split())
    words = words[: MAX_WORDS * 2]
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
    """The vendor's full-text index behind one interface: subqueries selecting procedure ids."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        if self.vendor not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"procedure search has no index for the {self.vendor} database")

    def ids(self, variants: Sequence[str], *, where: str, prefix: bool) -> tuple[str, list[str]]:
        """SQL selecting the ids of procedures holding one of `variants` (or a word they start) in
        `where`: "any" (name or body), "name" or "body"."""
        if self.vendor == "sqlite":
            star = "*" if prefix else ""
            expression = " OR ".join(f'"{v}"{star}' for v in variants)
            column = {"any": "", "name": "name_folded : ", "body": "body_folded : "}[where]
            sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
            return sql, [f"{column}({expression})"]
        star = ":*" if prefix else ""
        tsquery = " | ".join(f"{v}{star}" for v in variants)
        test = "{} @@ to_tsquery('simple'::regconfig, %s)"
        if where == "any":
            condition = f"{test.format(PG_NAME)} OR {test.format(PG_BODY)}"
            params = [tsquery, tsquery]
        else:
            condition = test.format(PG_NAME if where == "name" else PG_BODY)
            params = [tsquery]
        return f"SELECT id FROM {PROCEDURE_TABLE} WHERE {condition}", params


def _document_counts(index: _Index, terms: Sequence[Term]) -> tuple[int, list[tuple[int, int]]]:
    """The number of procedures, and per term how many hold it (exactly, and as a prefix if a prefix
    term) in the name or the body: one query."""
    parts = [f"SELECT COUNT(*) FROM {PROCEDURE_TABLE}"]
    params: list[Any] = []
    for term in terms:
        for prefix in (False, True) if term.prefix else (False,):
            sql, p = index.ids(term.variants, where="any", prefix=prefix)
            parts.append(f"SELECT COUNT(*) FROM ({sql}) AS t")
            params.extend(p)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"({part})" for part in parts), params)
        row = cursor.fetchone()
    total, rest = row[0], list(row[1:])
    counts = []
    for term in terms:
        exact = rest.pop(0)
        counts.append((exact, rest.pop(0) if term.prefix else exact))
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
    """The most frequent name word one edit (delete, swap, replace, insert) from `word`, if any."""
    if len(word) < 3 or word.isdigit():
        return None
    candidates = [w for w in _one_letter_away(word) if w in vocabulary]
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
        holding = exact or prefixed
        term.weight = _idf(total, holding) if holding else 0.0
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
    body: list[float]  # per term: 1 held exactly in the body, PREFIX_WEIGHT as a prefix, 0 not held
    score: float = 0.0


_COLUMNS = (
    "p.id, p.code, p.name_folded, p.field_id, f.name, p.level_ministry, p.level_province, "
    "p.level_commune, p.level_other, p.online_level"
)
_LEVELS = (Level.MINISTRY.value, Level.PROVINCE.value, Level.COMMUNE.value, Level.OTHER.value)


def _candidates(index: _Index, parsed: ParsedQuery | None) -> list[_Row]:
    """Every procedure (no query), or those the query's words or codes select, with their body flags."""
    select = [_COLUMNS]
    params: list[Any] = []
    where: list[str] = []
    where_params: list[Any] = []
    terms = [t for t in parsed.terms if t.weight > 0] if parsed else []
    if parsed is not None:
        for term in terms:
            for prefix in (False, True) if term.prefix else (False,):
                sql, p = index.ids(term.variants, where="body", prefix=prefix)
                select.append(f"CASE WHEN p.id IN ({sql}) THEN 1 ELSE 0 END")
                params.extend(p)
        if terms:
            weights = [round(t.weight * WEIGHT_SCALE) for t in terms]
            held = []
            for term, weight in zip(terms, weights, strict=True):
                sql, p = index.ids(term.variants, where="any", prefix=term.prefix)
                held.append(f"CASE WHEN p.id IN ({sql}) THEN {int(weight)} ELSE 0 END")
                where_params.extend(p)
            where.append(f"({' + '.join(held)}) >= %s")
            where_params.append(math.ceil(MIN_MATCH * sum(weights)))
        if parsed.codes:
            where.append(f"p.code IN ({', '.join(['%s'] * len(parsed.codes))})")
            where_params.extend(parsed.codes)
        if parsed.code_prefix:
            where.append("p.code LIKE %s")
            where_params.append(parsed.code_prefix + "%")
        if not where:
            return []
    sql = (
        f"SELECT {', '.join(select)} FROM {PROCEDURE_TABLE} p "
        f"JOIN {ProcedureField._meta.db_table} f ON f.id = p.field_id"
    )
    if where:
        sql += " WHERE " + " OR ".join(f"({w})" for w in where)
    with connection.cursor() as cursor:
        cursor.execute(sql, params + where_params)
        rows = cursor.fetchall()
    # Where each term's flags are: (exact column, prefix column), the same column for a whole-word term.
    columns = []
    at = 10
    for term in terms:
        columns.append((at, at + 1 if term.prefix else at))
        at += 2 if term.prefix else 1
    result = []
    for row in rows:
        body = [1.0 if row[e] else PREFIX_WEIGHT if row[p] else 0.0 for e, p in columns]
        result.append(
            _Row(
                id=row[0],
                code=row[1],
                name_folded=row[2],
                field_id=row[3],
                field_name=row[4],
                levels=frozenset(level for level, on in zip(_LEVELS, row[5:9], strict=True) if on),
                online_level=row[9],
                body=body,
            )
        )
    return result


# --- Ranking (pure Python: the same on every database) ------------------------------------------------


class _Scorer:
    """The query's terms and word pairs, prepared once to score many names."""

    def __init__(self, parsed: ParsedQuery) -> None:
        self.terms = [t for t in parsed.terms if t.weight > 0]
        self.exact = {v: i for i, t in enumerate(self.terms) for v in t.variants}
        self.prefix = next((i for i, t in enumerate(self.terms) if t.prefix), None)
        self.prefix_variants = self.terms[self.prefix].variants if self.prefix is not None else ()
        index = {t.word: i for i, t in enumerate(self.terms)}
        pairs = []
        for a, b in zip(parsed.words, parsed.words[1:], strict=False):
            if a != b and a in index and b in index and (index[a], index[b]) not in pairs:
                pairs.append((index[a], index[b]))
        self.pairs = pairs

    def score(self, name_folded: str, body: Sequence[float]) -> float:
        """The text score of one procedure (see the module docstring)."""
        words = WORD.findall(name_folded)
        n = len(self.terms)
        name = [0.0] * n
        positions: list[list[int]] = [[] for _ in range(n)]
        for position, word in enumerate(words):
            i = self.exact.get(word)
            if i is not None:
                name[i] = 1.0
                positions[i].append(position)
            elif self.prefix is not None and word.startswith(self.prefix_variants):
                name[self.prefix] = max(name[self.prefix], PREFIX_WEIGHT)
                positions[self.prefix].append(position)
        length = (K1 + 1) / (1 + K1 * (1 - B + B * len(words) / AVERAGE_NAME_WORDS))
        length = max(length, NAME_FLOOR)
        score = 0.0
        for term, in_name, in_body in zip(self.terms, name, body, strict=True):
            score += term.weight * max(in_name * length, BODY_WEIGHT * in_body)
        for a, b in self.pairs:
            if positions[a] and positions[b] and any(p + 1 in positions[b] for p in positions[a]):
                score += ADJACENT_BONUS * (self.terms[a].weight + self.terms[b].weight) / 2 * length
        return score


def _rank(parsed: ParsedQuery, rows: list[_Row]) -> list[_Row]:
    scorer = _Scorer(parsed)
    terms = scorer.terms
    codes = set(parsed.codes)
    best = 0.0
    for row in rows:
        row.score = scorer.score(row.name_folded, row.body) if terms else 0.0
        best = max(best, row.score)
    threshold = MIN_RELATIVE * best
    kept = []
    for row in rows:
        named = row.code in codes or bool(parsed.code_prefix and row.code.startswith(parsed.code_prefix))
        if named:
            row.score += CODE_SCORE
            kept.append(row)
        elif terms and row.score >= threshold and row.score > 0:
            kept.append(row)
    kept.sort(key=lambda r: (-r.score, r.code))
    return kept


# --- Filters and facets -------------------------------------------------------------------------------


def _agency_counts(ids: list[int] | None) -> dict[int, int]:
    """Procedures per agency through active bindings, among `ids` (None: among all)."""
    qs = ProcedureBinding.objects.filter(is_active=True).order_by()
    if ids is not None:
        qs = qs.filter(procedure_id__in=ids)
    # One binding per procedure and agency (binding_unique_procedure_agency): a count of bindings is a
    # count of procedures.
    return dict(qs.values_list("agency_id").annotate(n=Count("id")).values_list("agency_id", "n"))


def _facet(counts: Counter[Any], labels: dict[Any, str], selected: Any, *, order: Iterable[Any] | None) -> list[FacetValue]:
    values = [v for v in (order if order is not None else counts) if counts.get(v) or v == selected]
    if selected is not None and selected not in values and selected in labels:
        values.append(selected)
    facet = [FacetValue(value=v, label=labels.get(v, str(v)), count=counts.get(v, 0)) for v in values]
    if order is None:
        facet.sort(key=lambda f: (-f.count, fold(f.label)))
    return facet


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

    index = _Index()
    corrections: dict[str, str] = {}
    if q.strip():
        parsed = parse_query(q)
        if parsed.terms:
            corrections = _weigh(index, parsed)
        rows = _rank(parsed, _candidates(index, parsed))
    else:
        rows = sorted(_candidates(index, None), key=lambda r: r.code)

    agency: Agency | None = None
    bound: set[int] | None = None
    if agency_code:
        agency = Agency.objects.filter(code=agency_code).first()
        bound = (
            set(
                ProcedureBinding.objects.filter(agency=agency, is_active=True).values_list(
                    "procedure_id", flat=True
                )
            )
            if agency is not None
            else set()
        )

    def passes(row: _Row, *, skip: str = "") -> bool:
        return (
            (skip == "field" or field_id is None or row.field_id == field_id)
            and (skip == "level" or not level or level in row.levels)
            and (skip == "online_level" or not online_level or row.online_level == online_level)
            and (skip == "agency" or bound is None or row.id in bound)
        )

    matches = [row for row in rows if passes(row)]

    field_counts: Counter[int] = Counter(r.field_id for r in rows if passes(r, skip="field"))
    field_labels = {r.field_id: r.field_name for r in rows}
    if field_id is not None and field_id not in field_labels:
        found = ProcedureField.objects.filter(pk=field_id).values_list("name", flat=True).first()
        if found is not None:
            field_labels[field_id] = found
    level_counts: Counter[str] = Counter(
        lv for r in rows if passes(r, skip="level") for lv in r.levels
    )
    online_counts: Counter[str] = Counter(r.online_level for r in rows if passes(r, skip="online_level"))
    for_agencies = [r.id for r in rows if passes(r, skip="agency")]
    unfiltered = q.strip() == "" and field_id is None and not level and not online_level
    by_agency = _agency_counts(None if unfiltered else for_agencies) if for_agencies else {}
    agencies = {a.pk: a for a in Agency.objects.filter(pk__in=list(by_agency))} if by_agency else {}
    if agency is not None:
        agencies[agency.pk] = agency
    agency_counts: Counter[str] = Counter({agencies[k].code: n for k, n in by_agency.items()})
    facets = Facets(
        field=_facet(field_counts, field_labels, field_id, order=None),
        level=_facet(level_counts, {k: str(v) for k, v in Level.choices}, level or None, order=Level.values),
        online_level=_facet(
            online_counts,
            {k: str(v) for k, v in OnlineLevel.choices},
            online_level or None,
            order=OnlineLevel.values,
        ),
        agency=_facet(
            agency_counts,
            {a.code: a.name for a in agencies.values()},
            agency_code or None,
            order=None,
        ),
    )

    page_ids = [r.id for r in matches[offset : offset + limit]]
    by_id = Procedure.objects.select_related("field").in_bulk(page_ids) if page_ids else {}
    items = [by_id[i] for i in page_ids if i in by_id]
    return SearchResult(
        items=items,
        total=len(matches),
        facets=facets,
        limit=limit,
        offset=offset,
        corrections=corrections,
    )
