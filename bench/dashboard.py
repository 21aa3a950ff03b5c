"""`dashboard_leader`: the leaders' dashboard page of the whole province on a million dossiers.

GET /bang-dieu-khien/ (this year, the default), signed in as a leader of the province's People's Committee
(the root agency: every dossier is in their scope), with a session that has passed the second factor, as
a browser sends it: the whole page — the trend of 12 months, the units and procedures most often late, the
officials' workload, the dossiers due within 2 working days (read live), the SVG charts.

The figures of a period and scope are computed from the dossiers at most once every
`DASHBOARD_CACHE_SECONDS` (60 by default) per server process, so the measured requests are those a leader
meets in a working day: served from the kept figures but for the first of each process and minute. The
setup also times one computation of those figures in the runner (the page's cold cost, printed, and kept
as a check that it ran), so the cache does not hide what a first request costs.

The data: the million generated dossiers of `bench/volume.py`, in their own kept database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench import volume
from bench.load import Request
from bench.spec import Check, Outcome, Workload

PATH = "/bang-dieu-khien/"


@dataclass(frozen=True)
class _Leader:
    cookie: str
    agency: str
    cold_ms: float


_STATE: dict[str, _Leader] = {}


def setup() -> None:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from bench.fixtures import official_ensure
    from tinhso.accounts.models import Agency, Role
    from tinhso.core.working_time import VIETNAM_TZ
    from tinhso.reports import dashboard
    from tinhso.reports.periods import Period
    from tinhso.reports.scope import Scope

    volume.ensure()
    root = Agency.objects.filter(parent__isnull=True).order_by("path").first()
    if root is None:
        raise RuntimeError("dashboard_leader: no root agency")
    user = official_ensure(
        username="bench_dashboard_province",
        agency=root,
        roles=[Role.AGENCY_LEADER],
        full_name="Lãnh đạo tỉnh (bench)",
    )
    # A confirmed authenticator and a session that passed it, as after sign-in and the second factor.
    device, _created = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    engine = __import__(settings.SESSION_ENGINE, fromlist=["SessionStore"])
    session = engine.SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()

    now = timezone.now()
    period = Period.year(timezone.localdate(now, VIETNAM_TZ).year)
    started = time.perf_counter()
    dashboard.monthly_trend(period, Scope(), now=now)
    dashboard.late_units(period, Scope(), now=now)
    dashboard.late_procedures(period, Scope(), now=now)
    dashboard.workload(Scope(), now=now)
    cold_ms = (time.perf_counter() - started) * 1000
    _STATE["leader"] = _Leader(
        cookie=f"{settings.SESSION_COOKIE_NAME}={session.session_key}", agency=root.name, cold_ms=cold_ms
    )
    print(
        f"  dashboard_leader: {root.code} {root.name}; the page's figures computed once in {cold_ms:,.0f} ms "
        f"(kept {settings.DASHBOARD_CACHE_SECONDS} s per process)",
        flush=True,
    )


def workload() -> Workload:
    leader = _STATE["leader"]
    request = Request(PATH, headers={"Cookie": leader.cookie})
    return Workload(
        label=f"GET {PATH} (a leader of {leader.agency}: the whole province, this year)",
        requests=lambda client, n: request,
        preflight=[request],
        targets=[f"{PATH} as a leader of {leader.agency}"],
        keep_header="Content-Type",
    )


def check(outcome: Outcome) -> list[Check]:
    """The page answered as a page (not a redirect to sign-in or the second factor), and the cold cost."""
    leader = _STATE["leader"]
    html = sum(1 for value in outcome.kept() if value.startswith("text/html"))
    answers = sum(outcome.statuses().values())
    return [
        Check("HTML pages answered", html, f"= {answers} answers", html == answers and answers > 0),
        Check("figures computed cold (ms)", round(leader.cold_ms), "> 0", leader.cold_ms > 0),
    ]
