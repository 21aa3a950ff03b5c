"""`worklist_due_soon`: a counter officer's worklist "due within 2 working days" on a million dossiers.

GET /api/dossiers?list=due_soon&page=1 with the bearer token of a counter officer of the ward that holds
the most dossiers in the database, the worst case among the province's communes: the answer is the first
page of that list and the size of every worklist (`selectors.worklist_counts`, one aggregate over the
ward's dossiers), as the counter's screen asks for it.

The data: the million generated dossiers of `bench/volume.py`, in their own kept database.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench import volume
from bench.load import Request
from bench.spec import Check, Outcome, Workload

DOSSIERS = volume.DOSSIERS
MIN_WARD_DOSSIERS = 1_000
PATH = "/api/dossiers?list=due_soon&page=1"


@dataclass(frozen=True)
class _Ward:
    token: str
    code: str
    name: str
    dossiers: int
    open: int
    due_soon: int


_STATE: dict[str, _Ward] = {}


def setup() -> None:
    from django.db.models import Count

    from bench.fixtures import bearer_token, official_ensure
    from tinhso.accounts.models import Agency, Role
    from tinhso.dossiers import selectors
    from tinhso.dossiers.models import Dossier

    total = volume.ensure()
    counts = (
        Dossier.objects.filter(agency__commune__isnull=False)
        .values("agency_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "agency_id")
    )
    largest = counts.first()
    if largest is None:
        raise RuntimeError("worklist_due_soon: no dossier at a commune")
    ward = Agency.objects.get(pk=largest["agency_id"])
    user = official_ensure(
        username=f"bench_worklist_{ward.code}",
        agency=ward,
        roles=[Role.COUNTER_OFFICER],
        full_name="Cán bộ một cửa (bench)",
    )
    lists = selectors.worklist_counts(user)
    open_ = Dossier.objects.filter(agency=ward, status__in=selectors.RUNNING).count()
    _STATE["ward"] = _Ward(
        token=bearer_token(user, "bench worklist"),
        code=ward.code,
        name=ward.name,
        dossiers=largest["n"],
        open=open_,
        due_soon=lists["due_soon"],
    )
    print(
        f"  worklist_due_soon: {total:,}+ dossiers; {ward.code} {ward.name}: "
        f"{largest['n']:,} dossiers, {open_} being processed, {lists['due_soon']} due soon, "
        f"{lists['overdue']} overdue",
        flush=True,
    )


def workload() -> Workload:
    ward = _STATE["ward"]
    request = Request(PATH, headers={"Authorization": f"Bearer {ward.token}"})
    return Workload(
        label=f"GET {PATH} (counter officer of {ward.code}, {ward.dossiers:,} dossiers)",
        requests=lambda client, n: request,
        preflight=[request],
        targets=[f"{PATH} as a counter officer of {ward.code} {ward.name}"],
    )


def check(outcome: Outcome) -> list[Check]:
    """Not what was measured but what it was measured on, recorded with the figures."""
    from tinhso.dossiers.models import Dossier

    ward = _STATE["ward"]
    total = Dossier.objects.count()
    return [
        Check("dossiers in database", total, f"≥ {DOSSIERS:,}", total >= DOSSIERS),
        Check(
            "ward's dossiers", ward.dossiers, f"≥ {MIN_WARD_DOSSIERS:,}", ward.dossiers >= MIN_WARD_DOSSIERS
        ),
        Check("ward's being processed", ward.open, "> 0", ward.open > 0),
        Check("ward's due soon", ward.due_soon, "> 0", ward.due_soon > 0),
    ]
