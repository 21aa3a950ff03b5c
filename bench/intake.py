"""`dossier_intake` and `dossier_intake_one_ward`: counter reception over the API, then what it wrote.

Each request is what a counter's client sends when a citizen hands in a complete paper dossier: POST
/api/dossiers with `receive: true` (created and received at once, Mẫu 01 ready), the officer's bearer
token, and an `Idempotency-Key` of its own, for the province's commonest counter procedure, certified
copies (2.000815, *chứng thực bản sao từ bản chính*), with a random applicant.

- `dossier_intake`: client i is the counter officer of commune i mod 8, eight of the province's largest
  communes (the largest ward excepted): as eight counters across the province would, each ward numbering
  its dossiers on its own daily counter. This is the figure the issue's target reads.
- `dossier_intake_one_ward`: every client is one of eight counter officers of the largest ward: every
  creation takes that ward's counter row for the day in turn (`transitions._take_number`, a row lock held
  to the end of the creating transaction), the worst case.
- `dossier_intake_portal`: the intake of the online channels: each client is the national portal
  adapter's account at one of eight more communes (a counter officer's token, as the adapter acts for the
  unit), sending each dossier that arrived there (`channel` "national_portal", `receive` false: created
  awaiting reception, status 1 — no steps, no fee request yet). A figure beside the issue's, not the
  issue's: its target reads `dossier_intake`.

After the run (`check`), on the database: the dossiers the run added at those units (all but the history
generated before it: `fixtures.history_ensure`) against the 201 answers (preflight and warm-up included), no
answer other than 201, no code answered twice, and per unit and day the sequence numbers 1…last with no gap
and no duplicate, `last` equal to the day's counter.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.load import Request
from bench.spec import Check, Outcome, Workload

if TYPE_CHECKING:
    from tinhso.procedures.models import ProcedureBinding

PROCEDURE = "2.000815"  # Chứng thực bản sao từ bản chính: the counter's commonest procedure
COMMUNES = 8  # dossier_intake: one commune per client of the default 8
OFFICERS_ONE_WARD = 8  # dossier_intake_one_ward: eight counters at the one ward
# Past dossiers in the database before the first reception, as a province's database holds them (and as
# the planner then sees it: `fixtures.history_ensure`); the checks count only what the run added.
HISTORY = 20_000
HISTORY_SEED = 11
SECONDS = 30.0  # the issue: 8 clients for 30 s (per phase; B T T B, so 60 s of intake in all)

FAMILY = ["Nguyễn", "Trần", "Lê", "Hoàng", "Phạm", "Vũ", "Ma", "Lò", "Vàng", "Triệu", "Đặng", "Nông"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quốc", "Ngọc", "Hữu"]
GIVEN = ["Hằng", "Minh", "Mai", "Páo", "Dín", "Huy", "Thu", "Sình", "Lan", "Tùng", "Chư", "Mỷ", "Hà", "Sơn"]


@dataclass(frozen=True)
class _Counter:
    token: str
    procedure: str  # the binding's local code at the officer's unit
    paper_id: int | None  # the checklist's paper (the original to copy)


@dataclass(frozen=True)
class _State:
    counters: list[_Counter]
    agency_ids: list[int]
    user_ids: list[int]
    dossiers_before: int  # of those units at set-up: the generated history (`fixtures.history_ensure`)
    keys_before: int  # idempotency records of those officers (none: the officers are new to the database)
    portal: bool = False  # dossier_intake_portal: submissions from the national portal, not receptions


_STATE: dict[str, _State] = {}


def _bindings(one_ward: bool, after: int = 0) -> Sequence[ProcedureBinding]:
    """PROCEDURE's bindings at communes, largest commune first (as the generator weighs them: former
    communes merged into it, wards ×1.6), the code breaking ties: the first, or the next COMMUNES (skipping
    `after` more: another benchmark on the same database keeps to communes of its own)."""
    from django.db.models import Count

    from tinhso.procedures.models import ProcedureBinding

    bindings = list(
        ProcedureBinding.objects.filter(
            procedure__code=PROCEDURE,
            is_active=True,
            current_process__isnull=False,
            agency__is_active=True,
            agency__commune__isnull=False,
        )
        .select_related("procedure", "agency", "agency__commune")
        .annotate(former=Count("agency__commune__former_communes", distinct=True))
    )

    def size(b: ProcedureBinding) -> float:
        commune = b.agency.commune
        assert commune is not None
        ward = commune.division_type.lower().startswith("phường")
        return max(1, b.former) * (1.6 if ward else 1.0)  # type: ignore[attr-defined]

    bindings.sort(key=lambda b: (-size(b), b.agency.code))
    if len(bindings) < COMMUNES + 1 + after:
        raise RuntimeError(
            f"intake: {PROCEDURE} is bound at {len(bindings)} communes, {COMMUNES + 1 + after} needed"
        )
    return bindings[:1] if one_ward else bindings[1 + after : COMMUNES + 1 + after]


def setup(name: str, *, one_ward: bool, after: int = 0, portal: bool = False) -> None:
    from bench.fixtures import bearer_token, catalog_ensure, history_ensure, official_ensure
    from tinhso.accounts.models import Role
    from tinhso.dossiers.models import Dossier, IdempotencyRecord
    from tinhso.procedures.models import RequiredPaper

    catalog_ensure()
    history_ensure(HISTORY, seed=HISTORY_SEED)
    bindings = _bindings(one_ward, after)
    counters: list[_Counter] = []
    users: list[int] = []
    pairs = [(bindings[0], i) for i in range(OFFICERS_ONE_WARD)] if one_ward else [(b, 0) for b in bindings]
    for binding, i in pairs:
        paper = (
            RequiredPaper.objects.filter(version_id=binding.procedure.current_version_id)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        user = official_ensure(
            username=f"bench_{name}_{binding.agency.code}_{i}",
            agency=binding.agency,
            roles=[Role.COUNTER_OFFICER],
            full_name=f"Cán bộ một cửa {i + 1} (bench)",
        )
        users.append(user.pk)
        counters.append(_Counter(bearer_token(user, f"bench {name}"), binding.local_code, paper))
    agency_ids = [b.agency_id for b in bindings]
    before = Dossier.objects.filter(agency_id__in=agency_ids).count()
    keys = IdempotencyRecord.objects.filter(user_id__in=users).count()
    _STATE[name] = _State(
        counters=counters,
        agency_ids=agency_ids,
        user_ids=users,
        dossiers_before=before,
        keys_before=keys,
        portal=portal,
    )
    names = ", ".join(f"{b.agency.code} {b.agency.name}" for b in bindings)
    print(f"  {name}: {len(counters)} counter officers at {names}", flush=True)


def _body(counter: _Counter, rng: random.Random, *, portal: bool = False) -> bytes:
    year = rng.randint(1950, 2007)
    century_sex = (0 if year < 2000 else 2) + rng.randint(0, 1)
    id_number = f"008{century_sex}{year % 100:02d}{rng.randrange(10**6):06d}"
    paper: dict[str, object] = {"kind": "electronic" if portal else "original", "quantity": rng.randint(1, 3)}
    if counter.paper_id is not None:
        paper["required_paper_id"] = counter.paper_id
    else:
        paper["name"] = "Bản chính giấy tờ cần chứng thực"
    data = {
        "procedure": counter.procedure,
        "channel": "national_portal" if portal else "counter",
        "applicant": {
            "name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
            "id_number": id_number,
            "phone": f"09{rng.randrange(10**8):08d}",
        },
        "papers": [paper],
        "receive": not portal,
    }
    return json.dumps(data, ensure_ascii=False).encode()


def portal_body(counter: _Counter, key: str) -> bytes:
    """The body `dossier_intake_portal` sends with this `Idempotency-Key` (for `intake_cost`'s submission)."""
    return _body(counter, random.Random(key), portal=True)


def workload(name: str) -> Workload:
    state = _STATE[name]
    counters = state.counters

    def request(client: int, n: int) -> Request:
        counter = counters[client % len(counters)]
        key = uuid.uuid4().hex  # every request its own key: a new dossier each time, never a replay
        headers = {
            "Authorization": f"Bearer {counter.token}",
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": key,
        }
        body = _body(counter, random.Random(key), portal=state.portal)
        return Request("/api/dossiers", method="POST", headers=headers, body=body)

    units = "1 ward, 8 officers" if len(set(state.agency_ids)) == 1 else f"{len(state.agency_ids)} communes"
    what = "national portal submission" if state.portal else "counter reception"
    how = "channel=national_portal receive=false" if state.portal else "receive=true"
    return Workload(
        label=f"POST /api/dossiers ({what}, {units})",
        requests=request,
        preflight=[request(i, 0) for i in range(len(counters))],  # every officer's token, once
        targets=[f"POST /api/dossiers {PROCEDURE} {how} at {units}"],
        keep_header="Location",
    )


def check(name: str, outcome: Outcome) -> list[Check]:
    from django.db import connection

    from tinhso.dossiers.models import Dossier, DossierCodeCounter, IdempotencyRecord

    state = _STATE[name]
    statuses = outcome.statuses()
    created_answers = statuses.get(201, 0)
    other_answers = sum(count for status, count in statuses.items() if status != 201)
    answered = [location.rsplit("/", 1)[-1] for location in outcome.kept()]
    answered_twice = len(answered) - len(set(answered))
    dossiers = Dossier.objects.filter(agency_id__in=state.agency_ids)
    created = dossiers.count() - state.dossiers_before
    keys = IdempotencyRecord.objects.filter(user_id__in=state.user_ids).count() - state.keys_before
    # The units and days the run wrote to (the history holds many more, checked with them below).
    run_days = len({code.rsplit("-", 1)[0] for code in answered})
    known = set(dossiers.filter(code__in=set(answered)).values_list("code", flat=True))
    unknown = len(set(answered) - known)
    with connection.cursor() as cursor:
        # Per unit and day: the sequence numbers given (the code's last part), against the day's counter.
        cursor.execute(
            f"""
            WITH given AS (
                SELECT agency_id, split_part(code, '-', 2) AS day, split_part(code, '-', 3)::int AS seq
                FROM {Dossier._meta.db_table} WHERE agency_id = ANY(%s)
            ), days AS (
                SELECT agency_id, day, count(*) AS n, count(DISTINCT seq) AS distinct_n, max(seq) AS top
                FROM given GROUP BY agency_id, day
            )
            SELECT count(*),
                   coalesce(sum(n - distinct_n), 0),
                   coalesce(sum(top - distinct_n), 0),
                   count(*) FILTER (WHERE c.last IS DISTINCT FROM days.top)
            FROM days
            LEFT JOIN {DossierCodeCounter._meta.db_table} c
              ON c.agency_id = days.agency_id AND to_char(c.day, 'YYMMDD') = days.day
            """,  # noqa: S608 — table names from the models, values as parameters
            [state.agency_ids],
        )
        _days, duplicate_seqs, gaps, counter_mismatch = (int(v) for v in cursor.fetchone())
    return [
        Check("201 answers", created_answers, "> 0", created_answers > 0),
        Check("other answers", other_answers, "= 0", other_answers == 0),
        Check("dossiers created", created, f"= 201 answers ({created_answers})", created == created_answers),
        Check("idempotency keys", keys, f"= 201 answers ({created_answers})", keys == created_answers),
        Check("codes answered twice", answered_twice, "= 0", answered_twice == 0),
        Check("codes not in db", unknown, "= 0", unknown == 0),
        Check("unit-days written", run_days, "> 0", run_days > 0),
        Check("duplicate numbers", duplicate_seqs, "= 0", duplicate_seqs == 0),
        Check("gaps", gaps, "= 0", gaps == 0),
        Check("counter ≠ last no.", counter_mismatch, "= 0", counter_mismatch == 0),
    ]
