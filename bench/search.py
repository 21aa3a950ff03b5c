"""`dossier_search` and `dossier_search_province`: the dossiers' search (`selectors.search`) on a million
dossiers, as the counter's client asks for it: GET /api/dossiers?q=…&page=1 with an official's bearer token.

- `dossier_search`: a counter officer of the ward that holds the most dossiers in the database (the worst
  case among the province's communes), searching that ward's dossiers;
- `dossier_search_province`: the leader of the agency at the root of that ward's tree (the provincial
  People's Committee), whose search runs over every dossier of the province.

Each side's queries are drawn at set-up from its own dossiers (`random.Random(SEED)`), in rotation, in the mix
a counter sees: an applicant's ID number (a citizen back with an ID card), an applicant's whole name typed
without diacritics, a given name alone with its diacritics, the start of a code up to its date (a receipt
read aloud). Set-up runs every query once through `selectors.search` and checks that it finds the dossier it
was drawn from, unless the query matched more than a search lists (`more`: then the newest are listed), and
that PostgreSQL's plan for it reads an index rather than every dossier's row; it prints the plan of each
kind's first query. A name query's first SEARCH_LIMIT + 1 keys must be those of the name's LIKE conditions
alone: the words' index, when the search reads it, changes how they are found, not which. The figures of
that are printed, and checked after the run.

The data: the million generated dossiers of `bench/volume.py`, in their own kept database.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench import volume
from bench.load import Request
from bench.spec import Check, Outcome, Workload

SEED = 7
PER_KIND = 12  # queries of each kind, per side
KINDS = ("id_number", "name", "given_name", "code_day")


@dataclass
class _Side:
    token: str
    scope: str  # as printed: who searches, over which dossiers
    dossiers: int
    queries: list[tuple[str, str]]  # (kind, query)
    found: Counter[str] = field(default_factory=Counter)  # kind → queries that found their dossier
    more: Counter[str] = field(default_factory=Counter)  # kind → queries that matched more than are listed
    missed: list[str] = field(default_factory=list)
    whole_table: list[str] = field(default_factory=list)  # queries whose plan reads every dossier's row
    # Name queries whose first SEARCH_LIMIT + 1 keys differ from those of the name's LIKE conditions alone
    # (what the words' index, when the search uses it, must not change).
    differ: list[str] = field(default_factory=list)


_STATE: dict[str, _Side] = {}


def _without_marks(text: str) -> str:
    from tinhso.core.text import fold_name

    return fold_name(text)


def _draw(name: str, user_key: int, dossiers: int, token: str, scope: str) -> _Side:
    """PER_KIND queries of each kind, drawn from the dossiers the user may see, and checked once."""
    from tinhso.accounts.models import User
    from tinhso.dossiers import selectors
    from tinhso.dossiers.models import applicant_named

    user = User.objects.get(pk=user_key)
    visible = selectors.dossiers_visible_to(user)
    rng = random.Random(f"{SEED}:{name}")
    top = visible.order_by("-pk").values_list("pk", flat=True).first() or 0
    bottom = visible.order_by("pk").values_list("pk", flat=True).first() or 0
    drawn: list[tuple[str, str, str]] = []  # (kind, query, the code it was drawn from)
    wanted = PER_KIND * len(KINDS)
    for _attempt in range(100 * wanted):
        if len(drawn) == wanted:
            break
        row = (
            visible.filter(pk__gte=rng.randint(bottom, top))
            .order_by("pk")
            .values("code", "applicant_id_number", "applicant_name", "applicant_kind")
            .first()
        )
        if row is None or row["applicant_kind"] != "citizen" or not row["applicant_id_number"]:
            continue
        kind = KINDS[len(drawn) % len(KINDS)]
        words = row["applicant_name"].split()
        if kind == "given_name" and len(words[-1]) < selectors.SEARCH_MIN:
            continue  # "An", "Hà": too short to be searched as a name alone (selectors.search)
        query = {
            "id_number": row["applicant_id_number"],
            "name": _without_marks(row["applicant_name"]),
            "given_name": words[-1],
            "code_day": row["code"].rsplit("-", 1)[0],
        }[kind]
        drawn.append((kind, query, row["code"]))
    if len(drawn) < wanted:
        raise RuntimeError(f"{name}: drew {len(drawn)} of {wanted} queries from the dossiers it may see")
    side = _Side(token=token, scope=scope, dossiers=dossiers, queries=[(k, q) for k, q, _ in drawn])
    shown: set[str] = set()
    for kind, query, code in drawn:
        keys = selectors.search_keys(user, query)
        assert keys is not None, query
        plan = keys[: selectors.SEARCH_LIMIT + 1].explain()
        if "Seq Scan on dossiers_dossier" in plan:
            side.whole_table.append(f"{kind} {query!r}")
        if kind not in shown:  # the plan of each kind's first query, for the record
            shown.add(kind)
            print(f"  {name}: plan of {kind} {query!r}:", flush=True)
            for line in plan.splitlines():
                if "Scan" in line or "Limit" in line:
                    print(f"      {line.strip()[:150]}", flush=True)
        if kind in ("name", "given_name"):
            named = applicant_named(query)
            assert named is not None, query
            plain = visible.filter(named).order_by("-submitted_at", "-id").values_list("pk", flat=True)
            limit = selectors.SEARCH_LIMIT + 1
            if list(keys[:limit]) != list(plain[:limit]):
                side.differ.append(f"{kind} {query!r}")
        result = selectors.search(user, query)
        if result.more:
            side.more[kind] += 1
        elif result.rows.filter(code=code).exists():
            side.found[kind] += 1
        else:
            side.missed.append(f"{kind} {query!r} (from {code})")
    return side


def _setup(name: str, *, province: bool) -> None:
    from django.db.models import Count

    from bench.fixtures import bearer_token, official_ensure
    from tinhso.accounts.models import Agency, Role
    from tinhso.dossiers.models import Dossier

    volume.ensure()
    largest = (
        Dossier.objects.filter(agency__commune__isnull=False)
        .values("agency_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "agency_id")
        .first()
    )
    if largest is None:
        raise RuntimeError(f"{name}: no dossier at a commune")
    ward = Agency.objects.get(pk=largest["agency_id"])
    if province:
        root = Agency.objects.get(pk=ward.line_ids[0])
        user = official_ensure(
            username=f"bench_search_{root.code}",
            agency=root,
            roles=[Role.AGENCY_LEADER],
            full_name="Lãnh đạo UBND tỉnh (bench)",
        )
        scope = f"leader of {root.code} {root.name}, every dossier under it"
        dossiers = Dossier.objects.filter(agency__in=Agency.objects.subtree_of(root).values("pk")).count()
    else:
        user = official_ensure(
            username=f"bench_search_{ward.code}",
            agency=ward,
            roles=[Role.COUNTER_OFFICER],
            full_name="Cán bộ một cửa (bench)",
        )
        scope = f"counter officer of {ward.code} {ward.name}"
        dossiers = largest["n"]
    side = _draw(name, user.pk, dossiers, bearer_token(user, f"bench {name}"), scope)
    _STATE[name] = side
    print(
        f"  {name}: {side.scope}, {dossiers:,} dossiers; {len(side.queries)} queries "
        f"({', '.join(KINDS)}); found their dossier: {sum(side.found.values())}, matched more than a "
        f"search lists: {dict(side.more)}, missed: {len(side.missed)}, names found otherwise than by LIKE: "
        f"{len(side.differ)}",
        flush=True,
    )
    for missed in side.missed:
        print(f"    missed: {missed}", flush=True)


def setup_ward() -> None:
    _setup("dossier_search", province=False)


def setup_province() -> None:
    _setup("dossier_search_province", province=True)


def workload(name: str) -> Workload:
    side = _STATE[name]
    headers = {"Authorization": f"Bearer {side.token}"}
    requests = [Request(f"/api/dossiers?{urlencode({'q': q})}", headers=headers) for _, q in side.queries]
    return Workload(
        label=f"GET /api/dossiers?q=… ({len(requests)} queries in rotation; {side.scope})",
        requests=lambda client, n: requests[(client * 7 + n) % len(requests)],
        preflight=requests,
        targets=[f"/api/dossiers?q=… as the {side.scope}: {len(requests)} queries of {len(KINDS)} kinds"],
    )


def check(name: str, outcome: Outcome) -> list[Check]:
    """Every answer 200, and what it was measured on: every query found its dossier (or matched more)."""
    side = _STATE[name]
    statuses = outcome.statuses()
    others = sum(n for status, n in statuses.items() if status != 200)
    return [
        Check("answers not 200", others, "= 0", others == 0),
        Check("dossiers searched", side.dossiers, "≥ 1,000", side.dossiers >= 1_000),
        Check("queries missing their dossier", len(side.missed), "= 0", not side.missed),
        Check("plans reading every dossier", len(side.whole_table), "= 0", not side.whole_table),
        Check("names found otherwise than by LIKE", len(side.differ), "= 0", not side.differ),
    ]
