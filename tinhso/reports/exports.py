"""CSV and XLSX downloads of the statistics tables and of the dossier lists behind their numbers.

- CSV: UTF-8 with a byte-order mark, so that Excel opens Vietnamese text correctly; comma-separated, one
  header row, numbers as plain digits (shares with a decimal point), the total row last.
- XLSX (openpyxl): the page's layout — a title, the period and scope, two header rows with the grouped
  headers merged as on the national forms, numeric cells; one sheet per table and one with the definitions.

A share that cannot be known (online payment) carries its reason instead of a number; a share whose
denominator is 0 is empty.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from tinhso.core.working_time import CLASSIFY_RULE, VIETNAM_TZ
from tinhso.dossiers.models import Channel, Dossier, Punctuality, Status
from tinhso.reports.stats import GROUPS, TABLES, UNKNOWN_RATIOS, Report, Row, Table

__all__ = [
    "BOM",
    "CSV_TYPE",
    "XLSX_TYPE",
    "attachment",
    "dossiers_csv",
    "dossiers_xlsx",
    "local_time",
    "report_csv",
    "report_xlsx",
    "table_header",
    "table_values",
]

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"


def attachment(response: HttpResponse | StreamingHttpResponse, filename: str) -> None:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"


def _cell(row: Row, key: str) -> int | Decimal | str | None:
    if key in UNKNOWN_RATIOS:
        return str(UNKNOWN_RATIOS[key])
    return row.value(key)


def table_header(report: Report, table: Table) -> list[str]:
    """One header row: "STT", the rows' label, then each column ("Đã giải quyết — Trước hạn")."""
    first = str(GROUPS.get(report.group_by or "", _("Phạm vi")))
    return [_("STT"), first] + [
        f"{c.group} — {c.header}" if c.group else str(c.header) for c in table.columns
    ]


def table_values(report: Report, table: Table) -> list[list[Any]]:
    """The rows (numbered) then the total row, values as numbers (None: no value)."""
    out: list[list[Any]] = []
    for i, row in enumerate(report.rows, start=1):
        out.append([i, row.label] + [_cell(row, c.key) for c in table.columns])
    out.append(["", report.total.label] + [_cell(report.total, c.key) for c in table.columns])
    return out


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def report_csv(report: Report, table_key: str) -> HttpResponse:
    table = TABLES[table_key]
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(table_header(report, table))
    for values in table_values(report, table):
        writer.writerow([_csv_text(v) for v in values])
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type=CSV_TYPE)
    attachment(response, f"thong-ke-{table.key}-{report.period.slug}.csv")
    return response


def _context_lines(report: Report) -> list[str]:
    as_of = timezone.localtime(report.as_of, VIETNAM_TZ)
    return [
        _("Kỳ báo cáo: %(period)s. Phạm vi: %(scope)s.")
        % {"period": report.period.label, "scope": report.scope.label},
        _(
            "Số liệu tính trực tiếp từ hồ sơ; đang giải quyết tính đến %(as_of)s; trước hạn, đúng hạn, "
            "quá hạn theo quy tắc %(rule)s (so ngày xử lý xong với ngày hẹn trả)."
        )
        % {"as_of": as_of.strftime("%H:%M %d/%m/%Y"), "rule": CLASSIFY_RULE},
    ]


def _sheet_title(text: str) -> str:
    for bad in "[]:*?/\\":
        text = text.replace(bad, " ")
    return text[:31]


def _table_sheet(book: Workbook, report: Report, table: Table, *, first: bool) -> None:
    sheet = book.active if first else book.create_sheet()
    assert sheet is not None
    sheet.title = _sheet_title(str(table.title))
    bold = Font(bold=True)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.append([str(table.title)])
    sheet["A1"].font = Font(bold=True, size=13)
    for line in _context_lines(report):
        sheet.append([line])
    sheet.append([""])
    first_col = str(GROUPS.get(report.group_by or "", _("Phạm vi")))
    groups = [str(c.group) if c.group else str(c.header) for c in table.columns]
    subs = [str(c.header) if c.group else "" for c in table.columns]
    sheet.append([_("STT"), first_col, *groups])
    sheet.append(["", "", *subs])
    top = sheet.max_row - 1  # the first of the two header rows
    # Merge as on the national forms: a group's header over its columns, a lone header over both rows.
    sheet.merge_cells(start_row=top, end_row=top + 1, start_column=1, end_column=1)
    sheet.merge_cells(start_row=top, end_row=top + 1, start_column=2, end_column=2)
    col = 0
    while col < len(table.columns):
        c = table.columns[col]
        start = col
        if c.group:
            while col + 1 < len(table.columns) and table.columns[col + 1].group == c.group:
                col += 1
            if col > start:
                sheet.merge_cells(start_row=top, end_row=top, start_column=start + 3, end_column=col + 3)
        else:
            sheet.merge_cells(start_row=top, end_row=top + 1, start_column=start + 3, end_column=start + 3)
        col += 1
    for row in sheet.iter_rows(min_row=top, max_row=top + 1):
        for cell in row:
            cell.font = bold
            cell.alignment = centre
    for values in table_values(report, table):
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in values])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 40
    for i in range(len(table.columns)):
        sheet.column_dimensions[get_column_letter(i + 3)].width = 13
    sheet.freeze_panes = sheet.cell(row=top + 2, column=3)


def report_xlsx(report: Report, definitions: Iterable[tuple[str, str]]) -> HttpResponse:
    """Both tables, one sheet each, and a sheet of definitions ((term, meaning) pairs)."""
    book = Workbook()
    for i, table in enumerate(TABLES.values()):
        _table_sheet(book, report, table, first=i == 0)
    notes = book.create_sheet(_sheet_title(_("Cách tính")))
    notes.append([_("Số liệu"), _("Cách tính")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for term, meaning in definitions:
        notes.append([term, meaning])
    notes.column_dimensions["A"].width = 30
    notes.column_dimensions["B"].width = 120
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    attachment(response, f"thong-ke-{report.period.slug}.xlsx")
    return response


# --- The dossiers behind a number --------------------------------------------------------------------


def local_time(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return timezone.localtime(value, VIETNAM_TZ).strftime("%d/%m/%Y %H:%M")


def _list_header() -> list[str]:
    return [
        _("STT"),
        _("Mã hồ sơ"),
        _("Đơn vị tiếp nhận"),
        _("Mã thủ tục"),
        _("Thủ tục"),
        _("Kênh tiếp nhận"),
        _("Trạng thái"),
        _("Tiếp nhận"),
        _("Hẹn trả"),
        _("Xử lý xong"),
        _("Kết quả xử lý"),
        _("Rút, dừng, từ chối lúc"),
    ]


def _list_rows(qs: QuerySet[Dossier]) -> Iterator[list[str]]:
    columns = (
        "code",
        "agency__name",
        "procedure__code",
        "procedure__name",
        "channel",
        "status",
        "received_at",
        "due_at",
        "finished_at",
        "punctuality",
        "closed_at",
    )
    channels, states, punctual = dict(Channel.choices), dict(Status.choices), dict(Punctuality.choices)
    for i, v in enumerate(qs.order_by("received_at", "code").values_list(*columns).iterator(2000), start=1):
        code, agency, pcode, pname, channel, status, received, due, finished, punctuality, closed = v
        yield [
            str(i),
            code,
            agency,
            pcode,
            pname,
            str(channels.get(channel, channel)),
            str(states.get(status, status)),
            local_time(received),
            local_time(due),
            local_time(finished),
            str(punctual.get(punctuality, "")),
            local_time(closed),
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def dossiers_csv(qs: QuerySet[Dossier], filename: str) -> StreamingHttpResponse:
    """Streamed: a list may hold every dossier of a year."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[bytes]:
        yield (BOM + writer.writerow(_list_header())).encode("utf-8")
        for row in _list_rows(qs):
            yield writer.writerow(row).encode("utf-8")

    response = StreamingHttpResponse(lines(), content_type=CSV_TYPE)
    attachment(response, f"{filename}.csv")
    return response


def dossiers_xlsx(qs: QuerySet[Dossier], filename: str, title: str) -> HttpResponse:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_sheet_title(_("Danh sách hồ sơ")))
    sheet.append([title])
    sheet.append(_list_header())
    for row in _list_rows(qs):
        sheet.append([int(row[0]), *row[1:]])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    attachment(response, f"{filename}.xlsx")
    return response
