"""The statistics pages: who may see them, the numbers they show (the hand-counted March of `test_stats`),
the lists behind the numbers, and the CSV and XLSX downloads read back."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from tinhso.accounts.models import Role, User
from tinhso.accounts.tests import factories as people
from tinhso.dossiers.tests.factories import World, world
from tinhso.dossiers.tests.test_ratings import kiosk_account
from tinhso.reports.stats import TABLES, UNKNOWN_RATIOS
from tinhso.reports.tests.test_stats import MARCH_BY_HAND, march

pytestmark = pytest.mark.django_db

MARCH_QUERY = "period=month&year=2026&month=3"


@pytest.fixture
def w(reference_data: None) -> World:
    return world()


def logged_in(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def text(response: Any) -> str:
    return response.content.decode()


class _Cells(HTMLParser):
    """{table: {row key: {figure: raw value}}} from the report page's `data-*` attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, dict[str, str]]] = {}
        self.labels: dict[str, dict[str, str]] = {}
        self._table = self._row = ""
        self._in_label = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("data-table"):
            self._table = a["data-table"] or ""
            self.tables[self._table] = {}
            self.labels[self._table] = {}
        elif tag == "tr" and "data-row" in a and self._table:
            self._row = a["data-row"] or ""
            self.tables[self._table][self._row] = {}
        elif tag == "td" and a.get("data-figure") and self._table:
            self.tables[self._table][self._row][a["data-figure"] or ""] = a.get("data-value") or ""
        elif tag == "th" and a.get("scope") == "row" and self._table:
            self._in_label = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = ""
        elif tag == "th":
            self._in_label = False

    def handle_data(self, data: str) -> None:
        if self._in_label and data.strip():
            self.labels[self._table][self._row] = data.strip()


def page_cells(body: str) -> _Cells:
    parser = _Cells()
    parser.feed(body)
    return parser


def admin() -> User:
    return people.official(agency_prefix="000.00.00", roles=(Role.SYSTEM_ADMIN,), full_name="Quản Trị Tỉnh")


# --- Who may see -------------------------------------------------------------------------------------


def test_citizens_and_the_rating_kiosk_get_403_and_strangers_are_sent_to_sign_in(w: World) -> None:
    assert logged_in(w.citizen).get("/thong-ke/").status_code == 403
    assert logged_in(w.citizen).get("/thong-ke/ho-so/?figure=processed").status_code == 403
    assert logged_in(w.citizen).get("/thong-ke/bao-cao.csv").status_code == 403
    assert logged_in(kiosk_account()).get("/thong-ke/").status_code == 403
    anonymous = Client().get("/thong-ke/bao-cao.xlsx")
    assert anonymous.status_code == 302 and "next=" in anonymous["Location"]


def test_an_official_sees_their_own_unit_and_not_another(w: World) -> None:
    ds = march(w)
    mine = logged_in(w.counter).get(f"/thong-ke/?{MARCH_QUERY}")
    assert mine.status_code == 200
    assert w.ward.name in text(mine).split('data-testid="report-heading">')[1].split("</h2>")[0]
    assert page_cells(text(mine)).tables["ket-qua"][""]["received_total"] == "13"

    # Another ward's officer: their own unit has nothing; asking for the ward is refused, in Vietnamese.
    other = logged_in(w.other_counter)
    theirs = page_cells(text(other.get(f"/thong-ke/?{MARCH_QUERY}"))).tables["ket-qua"][""]
    assert theirs["received_total"] == "0"
    refused = other.get(f"/thong-ke/?{MARCH_QUERY}&agency={w.ward.code}")
    assert refused.status_code == 400
    assert "Bạn chỉ xem được số liệu của" in text(refused) and 'data-testid="report-errors"' in text(refused)
    assert (
        other.get(f"/thong-ke/ho-so/?{MARCH_QUERY}&agency={w.ward.code}&figure=processed").status_code == 400
    )
    assert other.get(f"/thong-ke/bao-cao.csv?{MARCH_QUERY}&agency={w.ward.code}").status_code == 400
    listed = text(other.get(f"/thong-ke/ho-so/?{MARCH_QUERY}&figure=received_total"))
    assert ds["A"].code not in listed and 'data-testid="empty-list"' in listed

    # Nor the province above them.
    province = w.ward.parent
    assert province is not None
    assert logged_in(w.counter).get(f"/thong-ke/?{MARCH_QUERY}&agency={province.code}").status_code == 400


def test_a_system_administrator_sees_the_province(w: World) -> None:
    march(w)
    page = logged_in(admin()).get(f"/thong-ke/?{MARCH_QUERY}")
    assert page.status_code == 200
    assert "Tháng 3/2026 — Toàn tỉnh" in text(page)
    cells = page_cells(text(page))
    assert cells.tables["ket-qua"][w.ward.code]["received_total"] == "13"
    assert cells.labels["ket-qua"][w.ward.code] == w.ward.name


def test_a_period_or_scope_that_cannot_be_read_is_explained(w: World) -> None:
    c = logged_in(w.counter)
    for query, message in (
        ("period=month&year=2026&month=13", "Tháng phải từ 1 đến 12."),
        (
            "period=custom&start=2026-03-10&end=2026-03-01",
            "Ngày kết thúc phải cùng ngày hoặc sau ngày bắt đầu.",
        ),
        ("period=custom&start=10-03-2026&end=2026-03-31", "không đúng dạng ngày/tháng/năm"),
        ("period=week", "Chọn loại kỳ báo cáo"),
        ("procedure=9.999999", "Không có thủ tục nào mã"),
        ("channel=fax", "Kênh tiếp nhận đã chọn không hợp lệ."),
        ("group=officer", "Cách chia dòng của báo cáo không hợp lệ."),
        ("field=99999999999999999999", "Lĩnh vực đã chọn không có trong danh mục."),
        ("commune=99999", "Không có xã, phường nào mã"),
    ):
        response = c.get(f"/thong-ke/?{query}")
        assert response.status_code == 400, query
        assert message in text(response), query
    unknown = c.get(f"/thong-ke/ho-so/?{MARCH_QUERY}&figure=bogus")
    assert unknown.status_code == 400 and "Không có số liệu" in text(unknown)
    huge_row = c.get(f"/thong-ke/ho-so/?{MARCH_QUERY}&figure=processed&group=field&row=1{'0' * 30}")
    assert huge_row.status_code == 400 and "Dòng của báo cáo không hợp lệ." in text(huge_row)


# --- The numbers, their lists and their files ---------------------------------------------------------


def test_the_page_shows_the_hand_counted_march_with_each_count_a_link(
    w: World, django_assert_max_num_queries: Any
) -> None:
    march(w)
    c = logged_in(w.counter)
    with django_assert_max_num_queries(14):
        page = c.get(f"/thong-ke/?{MARCH_QUERY}")
    body = text(page)
    cells = page_cells(body)
    total = cells.tables["ket-qua"][""] | cells.tables["chat-luong"][""]
    for figure, letters in MARCH_BY_HAND.items():
        if figure in total:
            assert total[figure] == str(len(letters.split())), figure
    assert (total["on_time_ratio"], total["online_ratio"], total["not_satisfied_ratio"]) == (
        "87.5",
        "25.0",
        "33.3",
    )
    # Online payment: 1 of the 9 new dossiers with a fee paid by transfer, shown beside its counts.
    assert (total["fee_due"], total["paid_online"], total["paid_online_ratio"]) == ("9", "1", "11.1")
    assert "figure=paid_online&amp;row=" in body
    assert "chưa có dữ liệu thanh toán" not in body and 'id="unknown-note"' not in body and "—*" not in body
    assert "punctuality.finished_date.v1" in body and "Thông tư 02/2017/TT-VPCP" in body
    # One row per receiving unit (the ward), and the total; shown in Vietnamese number format.
    assert set(cells.tables["ket-qua"]) == {w.ward.code, ""}
    assert 'href="/thong-ke/ho-so/?period=month&amp;year=2026&amp;month=3&amp;agency=' in body
    assert "figure=in_process_overdue&amp;row=" in body


def test_a_share_the_data_cannot_give_is_shown_with_its_reason(w: World, monkeypatch: Any) -> None:
    """No share is unknown today; the mechanism stays for one that would be (here, pretend digitisation)."""
    march(w)
    monkeypatch.setitem(UNKNOWN_RATIOS, "digitised_ratio", "chưa đủ dữ liệu số hóa")
    c = logged_in(w.counter)
    body = text(c.get(f"/thong-ke/?{MARCH_QUERY}"))
    total = page_cells(body).tables["chat-luong"][""]
    assert total["digitised_ratio"] == "" and total["paid_online_ratio"] == "11.1" and "—*" in body
    assert 'id="unknown-note"' in body and "Tỷ lệ số hóa giấy tờ: chưa đủ dữ liệu số hóa" in body
    response = c.get(f"/thong-ke/bao-cao.csv?{MARCH_QUERY}&table=chat-luong")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    column = 2 + [col.key for col in TABLES["chat-luong"].columns].index("digitised_ratio")
    assert rows[-1][column] == "chưa đủ dữ liệu số hóa"


def test_the_list_behind_a_number_has_that_many_dossiers_and_pages(w: World) -> None:
    ds = march(w)
    c = logged_in(w.counter)
    page = c.get(f"/thong-ke/?{MARCH_QUERY}&group=channel")
    cells = page_cells(text(page)).tables["ket-qua"]
    assert cells["online"]["received_new"] == "3"
    listed = c.get(f"/thong-ke/ho-so/?{MARCH_QUERY}&group=channel&figure=received_new&row=online")
    body = text(listed)
    assert 'data-testid="list-count" data-value="3"' in body
    assert {ds[x].code for x in ("D", "J", "M")} == {
        code for code in (ds[x].code for x in ds) if f'data-testid="dossier-code">{code}<' in body
    }
    assert "Mới tiếp nhận — Trực tuyến — Tháng 3/2026" in body
    for figure, letters in MARCH_BY_HAND.items():
        listed = c.get(f"/thong-ke/ho-so/?{MARCH_QUERY}&figure={figure}")
        assert f'data-testid="list-count" data-value="{len(letters.split())}"' in text(listed), figure


def test_a_long_list_is_paginated_50_to_a_page(w: World, django_assert_max_num_queries: Any) -> None:
    for i in range(53):
        w.received(when=f"2026-03-{2 + i % 20:02d} 09:{i:02d}")
    c = logged_in(w.counter)
    with django_assert_max_num_queries(8):
        first = text(c.get(f"/thong-ke/ho-so/?{MARCH_QUERY}&figure=received_new"))
    assert 'data-value="53"' in first and first.count('data-testid="dossier-code"') == 50
    assert 'data-testid="next-page"' in first
    second = text(c.get(f"/thong-ke/ho-so/?{MARCH_QUERY}&figure=received_new&page=2"))
    assert second.count('data-testid="dossier-code"') == 3


def test_the_csv_of_each_table_reads_back_to_the_pages_numbers(w: World) -> None:
    march(w)
    c = logged_in(admin())
    cells = page_cells(text(c.get(f"/thong-ke/?{MARCH_QUERY}&group=channel")))
    for key, table in TABLES.items():
        response = c.get(f"/thong-ke/bao-cao.csv?{MARCH_QUERY}&group=channel&table={key}")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        assert f"thong-ke-{key}-2026-03.csv" in response["Content-Disposition"]
        raw = response.content
        assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        header, body = rows[0], rows[1:]
        assert header[:2] == ["STT", "Kênh tiếp nhận"]
        assert len(header) == 2 + len(table.columns)
        labels = cells.labels[key]
        by_label = {labels[k]: v for k, v in cells.tables[key].items()}
        assert [r[1] for r in body] == [*(labels[k] for k in cells.tables[key] if k), "Tổng cộng"]
        for r in body:
            page_row = by_label[r[1]]
            for column, value in zip(table.columns, r[2:], strict=True):
                assert value == page_row[column.key], (key, r[1], column.key)
    assert "Trực tuyến" in {r[1] for r in body} and "Trực tiếp tại Bộ phận Một cửa" in {r[1] for r in body}


def test_the_xlsx_has_both_tables_and_the_definitions_with_the_pages_numbers(w: World) -> None:
    march(w)
    c = logged_in(w.counter)
    cells = page_cells(text(c.get(f"/thong-ke/?{MARCH_QUERY}")))
    response = c.get(f"/thong-ke/bao-cao.xlsx?{MARCH_QUERY}")
    assert response.status_code == 200 and "thong-ke-2026-03.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 3
    for (key, table), sheet in zip(TABLES.items(), book.worksheets[:2], strict=True):
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert values[0][0] == str(table.title)
        assert "Tháng 3/2026" in values[1][0]
        top = next(i for i, r in enumerate(values) if r[0] == "STT")
        data = values[top + 2 :]
        assert [r[1] for r in data] == [w.ward.name, "Tổng cộng"]
        for r, row_key in zip(data, (w.ward.code, ""), strict=True):
            for column, value in zip(table.columns, r[2:], strict=True):
                shown = cells.tables[key][row_key][column.key]
                if shown == "":
                    assert value is None
                else:
                    assert float(value) == float(shown), (key, column.key)
    notes = list(book.worksheets[2].iter_rows(values_only=True))
    assert any("punctuality.finished_date.v1" in (r[1] or "") for r in notes)


def test_the_list_downloads_hold_the_same_dossiers_as_the_list(w: World) -> None:
    ds = march(w)
    c = logged_in(w.counter)
    expected = sorted(ds[x].code for x in MARCH_BY_HAND["processed"].split())
    response = c.get(f"/thong-ke/ho-so.csv?{MARCH_QUERY}&figure=processed")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["STT", "Mã hồ sơ"]
    assert sorted(r[1] for r in rows[1:]) == expected
    assert {r[10] for r in rows[1:]} == {"Trước hạn", "Đúng hạn", "Quá hạn"}
    book = load_workbook(io.BytesIO(c.get(f"/thong-ke/ho-so.xlsx?{MARCH_QUERY}&figure=processed").content))
    sheet_rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert sheet_rows[0][0].startswith("Đã giải quyết — Tháng 3/2026")
    assert sorted(r[1] for r in sheet_rows[2:]) == expected
