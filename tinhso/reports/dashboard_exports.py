"""The dashboard's tables, as the page shows them and as CSV and XLSX files.

Each table is built once (`DashTable`: a header row and value rows, numbers as numbers) and written by the
statistics' conventions (`exports`): CSV in UTF-8 with a byte-order mark, one header row, plain numbers with
a decimal point, empty for no value; XLSX with openpyxl, a title line, the period and scope, then the table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from tinhso.reports.dashboard import DueSoonRow, Load, Ranked, TrendPoint
from tinhso.reports.exports import BOM, CSV_TYPE, XLSX_TYPE, attachment, local_time

__all__ = [
    "TABLE_KEYS",
    "DashTable",
    "due_soon_table",
    "procedures_table",
    "table_csv",
    "table_xlsx",
    "trend_table",
    "units_table",
    "workload_table",
]

TABLE_KEYS = ("xu-huong", "don-vi", "thu-tuc", "can-bo", "sap-den-han")


@dataclass(frozen=True)
class DashTable:
    key: str  # in URLs and file names
    title: str
    header: list[str]
    rows: list[list[Any]]


def trend_table(points: Sequence[TrendPoint]) -> DashTable:
    return DashTable(
        "xu-huong",
        _("Xu hướng 12 tháng"),
        [_("Tháng"), _("Mới tiếp nhận"), _("Đã giải quyết"), _("Tỷ lệ đúng hạn (%)")],
        [[p.label, p.received, p.processed, p.on_time_ratio] for p in points],
    )


def _ranked(key: str, title: str, first: str, ranked: Sequence[Ranked]) -> DashTable:
    return DashTable(
        key,
        title,
        [
            _("STT"),
            first,
            _("Đã giải quyết"),
            _("Đã giải quyết quá hạn"),
            _("Tỷ lệ đúng hạn (%)"),
            _("Đang giải quyết quá hạn"),
        ],
        [
            [i, r.label, r.processed, r.late, r.on_time_ratio, r.overdue]
            for i, r in enumerate(ranked, start=1)
        ],
    )


def units_table(ranked: Sequence[Ranked]) -> DashTable:
    return _ranked("don-vi", _("Đơn vị có nhiều hồ sơ giải quyết quá hạn nhất"), _("Đơn vị"), ranked)


def procedures_table(ranked: Sequence[Ranked]) -> DashTable:
    return _ranked("thu-tuc", _("Thủ tục có nhiều hồ sơ giải quyết quá hạn nhất"), _("Thủ tục"), ranked)


def workload_table(loads: Sequence[Load]) -> DashTable:
    return DashTable(
        "can-bo",
        _("Hồ sơ cán bộ đang giữ"),
        [_("STT"), _("Cán bộ"), _("Đơn vị"), _("Đang giữ"), _("Trong đó quá hạn")],
        [[i, x.name, x.agency, x.held, x.overdue] for i, x in enumerate(loads, start=1)],
    )


def due_soon_table(dossiers: Sequence[DueSoonRow]) -> DashTable:
    return DashTable(
        "sap-den-han",
        _("Hồ sơ đến hạn trong 2 ngày làm việc"),
        [_("STT"), _("Mã hồ sơ"), _("Thủ tục"), _("Đơn vị tiếp nhận"), _("Người đang giữ"), _("Hẹn trả")],
        [
            [
                i,
                d.code,
                d.procedure,
                d.agency,
                d.holder,
                local_time(d.due_at),
            ]
            for i, d in enumerate(dossiers, start=1)
        ],
    )


def table_csv(table: DashTable, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow(["" if v is None else str(v) for v in row])
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type=CSV_TYPE)
    attachment(response, f"{filename}.csv")
    return response


def table_xlsx(table: DashTable, context: str, filename: str) -> HttpResponse:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.title[:31]
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([context])
    sheet.append([""])
    sheet.append(table.header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    attachment(response, f"{filename}.xlsx")
    return response
