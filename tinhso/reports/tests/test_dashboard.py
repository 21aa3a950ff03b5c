"""The dashboards: the leaders' rankings, workload and due-soon list, the public headline figures, the SVG
charts, the downloads read back, and who may see what.

The scene (`scene`), every dossier through the real transitions, counted by hand (2026; now = Wed 15/4
10:00 in the unit tests):

Processed in March (the period for the rankings):
- Ward (Hà Giang 2), residence (7 working days): R1 received Mon 2/3 09:00, due Wed 11/3 09:00, approved
  Thu 12/3 → late; R2 received Tue 3/3, due Thu 12/3, approved Fri 13/3 → late; R3 received Wed 4/3,
  approved Thu 5/3 → early.
- Ward, birth (1 working day): B1 received Mon 23/3 09:00, due Tue 24/3 09:00, approved Wed 25/3 → late.
- Other ward (Hà Giang 1), residence: O1 received Mon 2/3, approved Thu 12/3 → late.

So units by late: ward 3 (of 4 processed, on time 1/4 = 25.0 %), other ward 1 (of 1, 0.0 %); procedures by
late: residence 3 (R1, R2, O1), birth 1 (B1).

Open on 15/4 10:00:
- X1: ward residence received Fri 20/3, handed to the head: held by the head, due Tue 31/3 → overdue.
- X2: ward residence received Tue 14/4, at the leader's step: held by the leader, due Thu 23/4 → not.
- S1: ward birth received Wed 15/4 09:00, due Thu 16/4 09:00: due within 2 working days.

This year (to 15/4 10:00): received 8 (R1 R2 R3 B1 O1 X1 X2 S1); processed 5, of them on time or early 1
(R3) → 20.0 %.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from tinhso.accounts.models import Role, User
from tinhso.accounts.tests import factories as people
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier
from tinhso.dossiers.selectors import worklist
from tinhso.dossiers.tests.factories import OTHER_WARD, World, at, bind, world
from tinhso.dossiers.tests.test_ratings import kiosk_account
from tinhso.procedures.models import OnlineLevel, Procedure
from tinhso.procedures.tests.catalog_fixtures import BIRTH, PERMANENT_RESIDENCE
from tinhso.reports import dashboard, svg
from tinhso.reports.periods import Period
from tinhso.reports.scope import Scope
from tinhso.reports.stats import dossiers_behind

pytestmark = pytest.mark.django_db

MARCH = Period.month(2026, 3)
NOW = at("2026-04-15 10:00")
YEAR_QUERY = "period=year&year=2026"


@dataclass
class Other:
    """The other ward's one-stop team."""

    counter: User
    head: User
    specialist: User
    leader: User


@dataclass
class Scene:
    w: World
    other: Other
    province_leader: User
    ds: dict[str, Dossier]


def _through(d: Dossier, when: str, *, counter: User, head: User, specialist: User, leader: User) -> Dossier:
    """From reception to the leader's step, in the quarter hour after `when`."""
    d = tr.hand_over(d, actor=counter, to=head, at=at(when.replace("09:00", "09:05")))
    d = tr.assign(d, actor=head, assignee=specialist, at=at(when.replace("09:00", "09:10")))
    return tr.hand_over(d, actor=specialist, to=leader, at=at(when.replace("09:00", "09:15")))


def _ward_done(w: World, received: str, done: str, binding: Any = None) -> Dossier:
    d = w.received(when=received, binding=binding)
    d = _through(d, received, counter=w.counter, head=w.head, specialist=w.specialist, leader=w.leader)
    return tr.approve(d, actor=w.leader, result_note="Đã giải quyết", at=at(done))


def scene(w: World) -> Scene:
    other = Other(
        counter=w.other_counter,
        head=people.official(agency_prefix=OTHER_WARD, roles=(Role.DEPARTMENT_HEAD,), full_name="Đỗ Văn Hải"),
        specialist=people.official(
            agency_prefix=OTHER_WARD, roles=(Role.SPECIALIST,), full_name="Vũ Thị Lan"
        ),
        leader=people.official(
            agency_prefix=OTHER_WARD, roles=(Role.AGENCY_LEADER,), full_name="Ngô Văn Minh"
        ),
    )
    province_leader = people.official(
        agency_prefix="000.00.00", roles=(Role.AGENCY_LEADER,), full_name="Lãnh Đạo Tỉnh"
    )
    ds: dict[str, Dossier] = {}
    ds["R1"] = _ward_done(w, "2026-03-02 09:00", "2026-03-12 10:00")
    ds["R2"] = _ward_done(w, "2026-03-03 09:00", "2026-03-13 10:00")
    ds["R3"] = _ward_done(w, "2026-03-04 09:00", "2026-03-05 10:00")
    ds["B1"] = _ward_done(w, "2026-03-23 09:00", "2026-03-25 10:00", binding=w.birth)
    assert [ds[k].punctuality for k in ("R1", "R2", "R3", "B1")] == ["late", "late", "early", "late"]

    binding = bind(w.residence.procedure, w.other_ward)
    o1 = tr.submit(
        binding=binding,
        channel="counter",
        applicant=tr.Applicant(name="Lý Văn Tâm", id_number="008190099999", phone="0912000000"),
        actor=other.counter,
        papers=[tr.PaperSpec(name="Tờ khai thay đổi thông tin cư trú (CT01)")],
        at=at("2026-03-02 09:00"),
    )
    o1 = tr.receive(o1, actor=other.counter, at=at("2026-03-02 09:00"))
    o1 = _through(
        o1,
        "2026-03-02 09:00",
        counter=other.counter,
        head=other.head,
        specialist=other.specialist,
        leader=other.leader,
    )
    ds["O1"] = tr.approve(o1, actor=other.leader, result_note="Đã giải quyết", at=at("2026-03-12 10:00"))
    assert ds["O1"].punctuality == "late"

    x1 = w.received(when="2026-03-20 09:00")
    ds["X1"] = tr.hand_over(x1, actor=w.counter, to=w.head, at=at("2026-03-20 09:05"))
    assert ds["X1"].due_at == at("2026-03-31 09:00") and ds["X1"].holder == w.head
    x2 = w.received(when="2026-04-14 09:00")
    ds["X2"] = _through(
        x2, "2026-04-14 09:00", counter=w.counter, head=w.head, specialist=w.specialist, leader=w.leader
    )
    assert ds["X2"].due_at == at("2026-04-23 09:00") and ds["X2"].holder == w.leader
    ds["S1"] = w.received(when="2026-04-15 09:00", binding=w.birth)
    assert ds["S1"].due_at == at("2026-04-16 09:00")
    return Scene(w, other, province_leader, ds)


@pytest.fixture
def w(reference_data: None) -> World:
    return world()


@pytest.fixture
def s(w: World) -> Scene:
    return scene(w)


def _dossier_reads(queries: Any) -> list[str]:
    """The statements of a captured request that read the dossiers (a kept page makes none)."""
    return [q["sql"] for q in queries.captured_queries if "dossiers_dossier" in q["sql"]]


def logged_in(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- The numbers -----------------------------------------------------------------------------------------


def test_units_are_ranked_by_their_late_dossiers_and_each_count_is_its_list(s: Scene) -> None:
    province = Scope(agency=s.province_leader.agency)
    units = dashboard.late_units(MARCH, province, now=NOW)
    assert [(u.key, u.late, u.processed, u.on_time_ratio) for u in units] == [
        (s.w.ward.code, 3, 4, Decimal("25.0")),
        (s.w.other_ward.code, 1, 1, Decimal("0.0")),
    ]
    listed = dossiers_behind(MARCH, province, "processed_late", now=NOW, group_by="agency", row=s.w.ward.code)
    assert {d.code for d in listed} == {s.ds[k].code for k in ("R1", "R2", "B1")}
    # A ward's own scope has only its own row.
    assert [u.key for u in dashboard.late_units(MARCH, Scope(agency=s.w.ward), now=NOW)] == [s.w.ward.code]


def test_procedures_are_ranked_by_their_late_dossiers(s: Scene) -> None:
    province = Scope(agency=s.province_leader.agency)
    procedures = dashboard.late_procedures(MARCH, province, now=NOW)
    assert [(p.key, p.late, p.processed) for p in procedures] == [(PERMANENT_RESIDENCE, 3, 4), (BIRTH, 1, 1)]
    assert dashboard.late_procedures(MARCH, province, now=NOW, limit=1)[0].key == PERMANENT_RESIDENCE


def test_workload_counts_the_dossiers_each_official_holds_and_their_overdue_ones(s: Scene) -> None:
    loads = {x.official_id: x for x in dashboard.workload(Scope(agency=s.w.ward), now=NOW)}
    assert (loads[s.w.head.pk].held, loads[s.w.head.pk].overdue) == (1, 1)  # X1
    assert (loads[s.w.leader.pk].held, loads[s.w.leader.pk].overdue) == (1, 0)  # X2
    # The same numbers as each official's own worklists "Tôi đang xử lý" and "Quá hạn".
    for official_id, load in loads.items():
        official = User.objects.get(pk=official_id)
        mine = worklist(official, "mine", now=NOW)
        overdue = worklist(official, "overdue", now=NOW).filter(holder=official)
        assert (load.held, load.overdue) == (mine.count(), overdue.count()), load.name
    # The other ward's officials hold nothing of the ward's.
    assert s.other.leader.pk not in loads


def test_due_soon_is_the_worklist_of_the_scope(s: Scene) -> None:
    soon = dashboard.due_soon(s.province_leader, Scope(agency=s.w.ward), now=NOW)
    assert [d.code for d in soon] == [s.ds["S1"].code]
    assert not dashboard.due_soon(s.province_leader, Scope(agency=s.w.other_ward), now=NOW).exists()


def test_the_trend_has_twelve_months_with_their_counts(s: Scene) -> None:
    trend = dashboard.monthly_trend(Period.year(2026), Scope(), now=NOW)
    assert trend[0].label == "5/2025" and trend[-1].label == "4/2026" and len(trend) == 12
    march = next(p for p in trend if p.key == "2026-03")
    assert (march.received, march.processed, march.on_time_ratio) == (6, 5, Decimal("20.0"))
    april = trend[-1]
    assert (april.received, april.processed, april.on_time_ratio) == (2, 0, None)


def test_the_headline_figures_are_this_years(s: Scene) -> None:
    Procedure.objects.filter(code=BIRTH).update(online_level=OnlineLevel.FULL)
    Procedure.objects.filter(code=PERMANENT_RESIDENCE).update(online_level="partial")
    figures = dashboard.headline(now=NOW)
    assert (figures.year, figures.procedures, figures.full_online) == (2026, 2, 1)
    assert figures.full_online_ratio == Decimal("50.0")
    assert (figures.received, figures.processed, figures.on_time_ratio) == (8, 5, Decimal("20.0"))


# --- The charts ------------------------------------------------------------------------------------------


def test_a_bar_chart_writes_its_values_and_names_and_says_what_it_shows() -> None:
    chart = svg.bar_chart([("Phường <Hà Giang 2>", 3), ("Phường Hà Giang 1", 1)], title="Hồ sơ quá hạn")
    assert chart.startswith("<svg") and 'role="img"' in chart
    assert "<title>Hồ sơ quá hạn. Phường &lt;Hà Giang 2&gt;: 3; Phường Hà Giang 1: 1</title>" in chart
    assert 'aria-label="Hồ sơ quá hạn. Phường &lt;Hà Giang 2&gt;: 3; Phường Hà Giang 1: 1"' in chart
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", chart)
    assert texts == ["Phường &lt;Hà Giang 2&gt;", "3", "Phường Hà Giang 1", "1"]
    assert "style=" not in chart and "<script" not in chart


def test_a_line_chart_tells_its_series_apart_without_colour() -> None:
    chart = svg.line_chart(
        ["1/2026", "2/2026", "3/2026"],
        [svg.Series("Mới tiếp nhận", [1234, 5, 6]), svg.Series("Đã giải quyết", [0, None, 4])],
        title="Xu hướng",
    )
    assert "<title>Xu hướng. Mới tiếp nhận: 1/2026 1.234, 2/2026 5, 3/2026 6; " in chart
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", chart)
    for value in ("1.234", "5", "6", "0", "4", "Mới tiếp nhận", "Đã giải quyết", "3/2026"):
        assert value in texts, value
    assert 'stroke-dasharray="8 5"' in chart  # the second line is dashed
    assert "<circle" in chart and "<rect" in chart  # round markers for one, square for the other


# --- The pages -------------------------------------------------------------------------------------------


def test_citizens_and_the_kiosk_get_403_strangers_sign_in_and_the_public_page_is_open(w: World) -> None:
    assert logged_in(w.citizen).get("/bang-dieu-khien/").status_code == 403
    assert logged_in(w.citizen).get("/bang-dieu-khien/don-vi.csv").status_code == 403
    assert logged_in(kiosk_account()).get("/bang-dieu-khien/").status_code == 403
    anonymous = Client().get("/bang-dieu-khien/don-vi.xlsx")
    assert anonymous.status_code == 302 and "next=" in anonymous["Location"]
    public = Client().get("/so-lieu/")
    assert public.status_code == 200 and 'data-testid="on-time"' in public.content.decode()
    assert logged_in(w.citizen).get("/so-lieu/").status_code == 200


def test_an_official_cannot_ask_for_a_unit_outside_their_own(s: Scene) -> None:
    refused = logged_in(s.w.leader).get(f"/bang-dieu-khien/?{YEAR_QUERY}&agency={s.w.other_ward.code}")
    assert refused.status_code == 400 and "Bạn chỉ xem được số liệu của" in refused.content.decode()
    assert logged_in(s.w.leader).get("/bang-dieu-khien/nothing.csv").status_code == 404


def test_the_dashboard_links_each_late_count_to_the_statistics_list_of_those_dossiers(s: Scene) -> None:
    c = logged_in(s.province_leader)
    page = c.get("/bang-dieu-khien/")  # the current year by default: 2026
    assert page.status_code == 200
    body = page.content.decode()
    assert "Năm 2026" in body and '<svg xmlns="http://www.w3.org/2000/svg"' in body
    link = re.search(rf'<a href="([^"]+)" data-testid="late-don-vi-{re.escape(s.w.ward.code)}"', body)
    assert link is not None
    href = link.group(1).replace("&amp;", "&")
    assert href.startswith("/thong-ke/ho-so/?period=year&year=2026&agency=")
    assert "group=agency&figure=processed_late&row=" in href
    listed = c.get(href).content.decode()
    assert 'data-testid="list-count" data-value="3"' in listed
    for k in ("R1", "R2", "B1"):
        assert f'data-testid="dossier-code">{s.ds[k].code}<' in listed
    assert s.ds["O1"].code not in listed and s.ds["R3"].code not in listed
    procedure_link = re.search(rf'href="([^"]+)" data-testid="late-thu-tuc-{re.escape(BIRTH)}"', body)
    assert procedure_link is not None
    listed = c.get(procedure_link.group(1).replace("&amp;", "&")).content.decode()
    assert 'data-value="1"' in listed and s.ds["B1"].code in listed


def test_the_tables_csv_and_xlsx_read_back_to_the_pages_rows(s: Scene) -> None:
    c = logged_in(s.province_leader)
    response = c.get(f"/bang-dieu-khien/don-vi.csv?{YEAR_QUERY}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "bang-dieu-khien-don-vi-2026.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == [
        "STT",
        "Đơn vị",
        "Đã giải quyết",
        "Đã giải quyết quá hạn",
        "Tỷ lệ đúng hạn (%)",
        "Đang giải quyết quá hạn",
    ]
    assert [r[1:4] for r in rows[1:]] == [[s.w.ward.name, "4", "3"], [s.w.other_ward.name, "1", "1"]]
    assert rows[1][4] == "25.0"

    book = load_workbook(io.BytesIO(c.get(f"/bang-dieu-khien/thu-tuc.xlsx?{YEAR_QUERY}").content))
    sheet = book.active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(min_row=5, values_only=True)]
    assert [(v[1].split(" ")[0], v[2], v[3]) for v in values] == [(PERMANENT_RESIDENCE, 4, 3), (BIRTH, 1, 1)]

    for key in ("xu-huong", "can-bo", "sap-den-han"):
        got = c.get(f"/bang-dieu-khien/{key}.csv?{YEAR_QUERY}")
        assert got.status_code == 200, key
        assert c.get(f"/bang-dieu-khien/{key}.xlsx?{YEAR_QUERY}").status_code == 200, key
    trend = list(
        csv.reader(io.StringIO(c.get(f"/bang-dieu-khien/xu-huong.csv?{YEAR_QUERY}").content.decode()[1:]))
    )
    march = next(r for r in trend if r[0] == "3/2026")
    assert march == ["3/2026", "6", "5", "20.0"]
    load = list(
        csv.reader(io.StringIO(c.get(f"/bang-dieu-khien/can-bo.csv?{YEAR_QUERY}").content.decode()[1:]))
    )
    assert ["Phạm Thị Dung", s.w.ward.name, "1", "1"] in [r[1:] for r in load]


def test_the_public_page_shows_the_headline_figures_and_the_trend(s: Scene) -> None:
    body = Client().get("/so-lieu/").content.decode()
    assert 'data-testid="procedures" data-value="2"' in body
    assert 'data-testid="received" data-value="8"' in body
    assert 'data-testid="on-time" data-value="20.0"' in body
    assert 'role="img"' in body and 'data-table="xu-huong"' in body


def test_the_public_page_is_computed_at_most_once_per_cache_period(s: Scene, settings: Any) -> None:
    first = Client().get("/so-lieu/").content.decode()
    assert 'data-testid="received" data-value="8"' in first
    s.w.received(when="2026-03-20 09:00")  # one more this year
    # Served from the cache: the same figures, computed at the same moment.
    again = Client().get("/so-lieu/").content.decode()
    assert 'data-testid="received" data-value="8"' in again
    stamp = re.search(r"Tính trực tiếp từ hồ sơ trên Tỉnh Số lúc [^<]*", first)
    assert stamp and stamp.group(0) in again
    settings.PUBLIC_FIGURES_CACHE_SECONDS = 0
    assert 'data-testid="received" data-value="9"' in Client().get("/so-lieu/").content.decode()


def test_the_leaders_figures_are_kept_per_period_and_scope(s: Scene, settings: Any) -> None:
    settings.DASHBOARD_CACHE_SECONDS = 60
    province, ward = logged_in(s.province_leader), logged_in(s.w.leader)
    first = province.get(f"/bang-dieu-khien/?{YEAR_QUERY}").content.decode()
    assert f'data-testid="late-don-vi-{s.w.other_ward.code}"' in first
    stamp = re.search(r'data-testid="computed-at">[^<]*', first)
    assert stamp is not None and "tính lại sau mỗi 60 giây" in stamp.group(0)

    # The ward's leader asks for the same year: their own scope, never the province's kept figures.
    own = ward.get(f"/bang-dieu-khien/?{YEAR_QUERY}").content.decode()
    assert f'data-testid="late-don-vi-{s.w.ward.code}"' in own
    assert f'data-testid="late-don-vi-{s.w.other_ward.code}"' not in own

    # One more late dossier in March: the kept figures stay until they expire.
    late = _ward_done(s.w, "2026-03-09 09:00", "2026-03-30 10:00")
    assert late.punctuality == "late"
    body = province.get(f"/bang-dieu-khien/?{YEAR_QUERY}").content.decode()
    assert stamp.group(0) in body
    assert re.search(rf'data-testid="late-don-vi-{re.escape(s.w.ward.code)}"[^>]*>3<', body)
    # The downloads read the same kept figures as the page.
    rows = list(
        csv.reader(
            io.StringIO(province.get(f"/bang-dieu-khien/don-vi.csv?{YEAR_QUERY}").content.decode()[1:])
        )
    )
    assert rows[1][1:4] == [s.w.ward.name, "4", "3"]

    settings.DASHBOARD_CACHE_SECONDS = 0
    fresh = province.get(f"/bang-dieu-khien/?{YEAR_QUERY}").content.decode()
    assert re.search(rf'data-testid="late-don-vi-{re.escape(s.w.ward.code)}"[^>]*>4<', fresh)
    assert "Số liệu tính trực tiếp từ hồ sơ lúc" in fresh


def test_the_page_shows_the_first_rows_of_long_tables_and_the_downloads_have_them_all(
    s: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinhso.reports import dashboard_views

    monkeypatch.setattr(dashboard_views, "WORKLOAD_SHOWN", 1)
    c = logged_in(s.province_leader)
    body = c.get(f"/bang-dieu-khien/?{YEAR_QUERY}").content.decode()
    table = body[
        body.index('data-table="can-bo"') : body.index("</table>", body.index('data-table="can-bo"'))
    ]
    assert table.count("<tr data-row=") == 1
    note = re.search(r'data-testid="shown-can-bo">([^<]*)<', body)
    holding = len(dashboard.workload(Scope()))
    assert holding >= 2
    assert note is not None and note.group(1).startswith(
        f"1 cán bộ giữ nhiều hồ sơ nhất trong {holding} cán bộ"
    )
    rows = list(
        csv.reader(io.StringIO(c.get(f"/bang-dieu-khien/can-bo.csv?{YEAR_QUERY}").content.decode()[1:]))
    )
    assert len(rows) == 1 + holding  # the header and every official


def test_due_figures_are_recomputed_by_one_request_while_the_others_get_the_previous_ones(
    s: Scene, settings: Any
) -> None:
    import datetime as dt

    from django.core.cache import cache

    from tinhso.reports.dashboard_views import figures_key

    settings.DASHBOARD_CACHE_SECONDS = 60
    c = logged_in(s.province_leader)
    late_count = rf'data-testid="late-don-vi-{re.escape(s.w.ward.code)}"[^>]*>(\d+)<'
    assert re.findall(late_count, c.get(f"/bang-dieu-khien/?{YEAR_QUERY}").content.decode()) == ["3"]
    _ward_done(s.w, "2026-03-09 09:00", "2026-03-30 10:00")  # one more late dossier

    province = s.province_leader.agency
    assert province is not None
    key = figures_key(Period.year(2026), Scope(agency=province), province.path)
    kept = cache.get(key)
    assert kept is not None
    # Due: computed 61 s ago.
    earlier = kept.computed_at - dt.timedelta(seconds=61)
    cache.set(key, dataclasses.replace(kept, computed_at=earlier), 600)
    cache.set(f"{key}:at", earlier, 600)
    cache.add(f"{key}:computing", 1, 60)  # another request is recomputing them
    assert re.findall(late_count, c.get(f"/bang-dieu-khien/?{YEAR_QUERY}").content.decode()) == ["3"]
    cache.delete(f"{key}:computing")  # it is done (or failed): this request recomputes them
    assert re.findall(late_count, c.get(f"/bang-dieu-khien/?{YEAR_QUERY}").content.decode()) == ["4"]


def test_a_kept_page_reads_no_dossier_and_is_kept_apart_per_language_and_visibility(
    s: Scene, settings: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    settings.DASHBOARD_CACHE_SECONDS = 60
    province = logged_in(s.province_leader)
    query = f"{YEAR_QUERY}&agency={s.w.ward.code}"
    first = province.get(f"/bang-dieu-khien/?{query}").content.decode()
    assert f'data-testid="late-don-vi-{s.w.ward.code}"' in first
    # Kept: the same page again reads no dossier (only the session, the user and their agency).
    with CaptureQueriesContext(connection) as queries:
        again = province.get(f"/bang-dieu-khien/?{query}").content.decode()

    def main(page: str) -> str:  # the frame carries a fresh CSRF mask in each answer
        return page[page.index("<h1>") : page.index("</main>")]

    assert main(again) == main(first)
    assert not _dossier_reads(queries)

    # The ward's leader asks for the same period and unit: the same figures, but their form offers only
    # their own unit, never the province leader's list of units.
    other = f'<option value="{s.w.other_ward.code}"'
    assert other in first
    own = logged_in(s.w.leader).get(f"/bang-dieu-khien/?{query}").content.decode()
    assert f'data-testid="late-don-vi-{s.w.ward.code}"' in own
    assert other not in own

    # In English, the page is drawn in English, not served from the Vietnamese one kept.
    with translation.override("vi"):  # the requests activate English in this thread: leave it as it was
        province.post("/i18n/setlang/", {"language": "en", "next": "/"})
        english = province.get(f"/bang-dieu-khien/?{query}").content.decode()
    assert '<html lang="en">' in english
    assert "Bảng điều khiển" not in english.split("<main", 1)[1]


def test_the_page_is_kept_in_the_redis_cache_the_server_processes_share(
    s: Scene, settings: Any, redis_cache: dict[str, Any]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tinhso.reports import dashboard_views

    settings.DASHBOARD_CACHE_SECONDS = 60
    province = logged_in(s.province_leader)
    first = province.get(f"/bang-dieu-khien/?{YEAR_QUERY}").content.decode()
    assert re.search(rf'data-testid="late-don-vi-{re.escape(s.w.ward.code)}"[^>]*>3<', first)
    _ward_done(s.w, "2026-03-09 09:00", "2026-03-30 10:00")  # one more late dossier, not yet counted
    dashboard_views._drawn.clear()  # as another server process: nothing drawn in its own memory
    with CaptureQueriesContext(connection) as queries:
        again = province.get(f"/bang-dieu-khien/?{YEAR_QUERY}").content.decode()
    assert not _dossier_reads(queries)
    assert re.search(rf'data-testid="late-don-vi-{re.escape(s.w.ward.code)}"[^>]*>3<', again)


def test_a_made_up_parameter_neither_reaches_the_page_nor_makes_a_new_one_to_keep(
    s: Scene, settings: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.DASHBOARD_CACHE_SECONDS = 60
    province = logged_in(s.province_leader)
    province.get(f"/bang-dieu-khien/?{YEAR_QUERY}")
    with CaptureQueriesContext(connection) as queries:
        body = province.get(f"/bang-dieu-khien/?{YEAR_QUERY}&month=abc&junk=1&quarter=9").content.decode()
    assert not _dossier_reads(queries)  # the kept page
    main = body[body.index("<h1>") : body.index("</main>")]  # the frame's language form repeats the address
    assert "abc" not in main and "junk" not in main
    # A real choice of the form's month is shown selected: a page of its own.
    march = province.get(f"/bang-dieu-khien/?{YEAR_QUERY}&month=3").content.decode()
    assert '<option value="3" selected>' in march


def test_the_page_is_drawn_from_the_dossiers_when_the_cache_does_not_answer(
    s: Scene, settings: Any, redis_down: dict[str, Any]
) -> None:
    settings.DASHBOARD_CACHE_SECONDS = 60
    province = logged_in(s.province_leader)  # a session in the database: the cache is down
    for _ in range(2):
        page = province.get(f"/bang-dieu-khien/?{YEAR_QUERY}")
        assert page.status_code == 200
        assert re.search(
            rf'data-testid="late-don-vi-{re.escape(s.w.ward.code)}"[^>]*>3<', page.content.decode()
        )
