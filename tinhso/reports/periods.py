"""Reporting periods (*kỳ báo cáo*): a month, a quarter, a year or any run of days, in local dates.

`Period` is `tinhso.dossiers.ratings.Period` (whole local days, `start` to `end` included, `bounds()` in
Vietnam's time) with the kind of period it is, its constructors and its Vietnamese label ("Tháng 3/2026",
"Quý I/2026", "Năm 2026", "Từ 01/03/2026 đến 15/03/2026"). Being a subclass, it is accepted wherever the
ratings and feedback summaries take a period.

`period_from_query` reads a period from a page's query parameters (`period`=month|quarter|year|custom with
`year`, `month`, `quarter`, `start`, `end`) and raises `PeriodError` with a plain Vietnamese message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from tinhso.dossiers.ratings import Period as _DayPeriod

__all__ = ["KINDS", "MAX_CUSTOM_DAYS", "Period", "PeriodError", "period_from_query"]

KINDS = ("month", "quarter", "year", "custom")
ROMAN = ("I", "II", "III", "IV")
# A custom period longer than this is almost always a typing error in a year; five years still fit.
MAX_CUSTOM_DAYS = 5 * 366
MIN_YEAR, MAX_YEAR = 2000, 2100


class PeriodError(ValueError):
    """A period that cannot be read from the query; the message is for people (Vietnamese)."""


@dataclass(frozen=True)
class Period(_DayPeriod):
    """*Kỳ báo cáo*: whole local days from `start` to `end` included, and what kind of period it is."""

    kind: str = "custom"

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = dt.date(year, month, 1)
        following = dt.date(year + (month == 12), month % 12 + 1, 1)
        return cls(start, following - dt.timedelta(days=1), "month")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise ValueError("a quarter is 1 to 4")
        first = cls.month(year, 3 * quarter - 2)
        last = cls.month(year, 3 * quarter)
        return cls(first.start, last.end, "quarter")

    @classmethod
    def quarter_of(cls, day: dt.date) -> Period:
        return cls.quarter(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")

    @classmethod
    def custom(cls, start: dt.date, end: dt.date) -> Period:
        return cls(start, end, "custom")

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("Tháng %(month)d/%(year)d") % {"month": self.start.month, "year": self.start.year}
        if self.kind == "quarter":
            quarter = (self.start.month - 1) // 3
            return _("Quý %(quarter)s/%(year)d") % {"quarter": ROMAN[quarter], "year": self.start.year}
        if self.kind == "year":
            return _("Năm %(year)d") % {"year": self.start.year}
        return _("Từ %(start)s đến %(end)s") % {
            "start": self.start.strftime("%d/%m/%Y"),
            "end": self.end.strftime("%d/%m/%Y"),
        }

    @property
    def slug(self) -> str:
        """For file names: 2026-03, 2026-Q1, 2026, 2026-03-01_2026-03-15."""
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    def as_query(self) -> dict[str, str]:
        """The query parameters that `period_from_query` reads back into this period."""
        if self.kind == "month":
            return {"period": "month", "year": str(self.start.year), "month": str(self.start.month)}
        if self.kind == "quarter":
            return {
                "period": "quarter",
                "year": str(self.start.year),
                "quarter": str((self.start.month - 1) // 3 + 1),
            }
        if self.kind == "year":
            return {"period": "year", "year": str(self.start.year)}
        return {"period": "custom", "start": self.start.isoformat(), "end": self.end.isoformat()}

    def months(self) -> list[Period]:
        """The calendar months the period touches, each cut to the period (a month when it is whole)."""
        out: list[Period] = []
        year, month = self.start.year, self.start.month
        while dt.date(year, month, 1) <= self.end:
            whole = Period.month(year, month)
            start, end = max(whole.start, self.start), min(whole.end, self.end)
            out.append(whole if (start, end) == (whole.start, whole.end) else Period.custom(start, end))
            year, month = year + (month == 12), month % 12 + 1
        return out


def _int(params: Mapping[str, str], name: str, label: str, low: int, high: int, default: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PeriodError(
            _("%(label)s phải là một số (bạn nhập “%(raw)s”).") % {"label": label, "raw": raw[:20]}
        ) from None
    if not low <= value <= high:
        raise PeriodError(
            _("%(label)s phải từ %(low)d đến %(high)d.") % {"label": label, "low": low, "high": high}
        )
    return value


def _date(params: Mapping[str, str], name: str, label: str) -> dt.date:
    raw = (params.get(name) or "").strip()
    if not raw:
        raise PeriodError(_("Nhập %(label)s của kỳ tùy chọn.") % {"label": label})
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise PeriodError(
        _("%(label)s “%(raw)s” không đúng dạng ngày/tháng/năm (ví dụ 01/03/2026).")
        % {"label": label, "raw": raw[:20]}
    )


def period_from_query(params: Mapping[str, str], *, today: dt.date) -> Period:
    """The period a page asks for; without parameters, the current month."""
    kind = (params.get("period") or "month").strip()
    if kind not in KINDS:
        raise PeriodError(_("Chọn loại kỳ báo cáo: tháng, quý, năm hoặc tùy chọn."))
    if kind == "custom":
        start = _date(params, "start", _("ngày bắt đầu"))
        end = _date(params, "end", _("ngày kết thúc"))
        if end < start:
            raise PeriodError(_("Ngày kết thúc phải cùng ngày hoặc sau ngày bắt đầu."))
        if (end - start).days + 1 > MAX_CUSTOM_DAYS:
            raise PeriodError(_("Kỳ tùy chọn dài tối đa 5 năm."))
        if start.year < MIN_YEAR or end.year > MAX_YEAR:
            raise PeriodError(_("Năm phải từ %(low)d đến %(high)d.") % {"low": MIN_YEAR, "high": MAX_YEAR})
        return Period.custom(start, end)
    year = _int(params, "year", _("Năm"), MIN_YEAR, MAX_YEAR, today.year)
    if kind == "month":
        return Period.month(year, _int(params, "month", _("Tháng"), 1, 12, today.month))
    if kind == "quarter":
        return Period.quarter(year, _int(params, "quarter", _("Quý"), 1, 4, (today.month - 1) // 3 + 1))
    return Period.year(year)
