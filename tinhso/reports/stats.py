"""Statistics of dossiers (*thống kê tình hình, kết quả giải quyết thủ tục hành chính*) for any period and
scope, computed **directly from the dossiers** with database aggregates: one `COUNT(…) FILTER (WHERE …)`
query for a report's rows (plus one for their names), one per month when the rows are months. There are
no pre-aggregates: every number is what the dossier rows say at the moment of the query.

Layout: the national one-stop statistics (Circular 02/2017/TT-VPCP report forms on the results of
handling procedures, as peers lay them out, docs/domain/one-stop.md §6–§7): received (carried over, new),
processed (early, on time, late), in process (within, past the deadline). The columns after them
(supplements, refusals, withdrawals, stops, the shares and satisfaction) are this project's own.

Definitions, for a period P = [first instant of its first day, first instant after its last day) in
Vietnam's time, and the dossiers of the scope (`Scope.q`):

- **Mới tiếp nhận** (`received_new`): received in P (`received_at` in P). Of them **trực tuyến**
  (`received_online`): channel online (the province's portal) or the National Public Service Portal.
- **Kỳ trước chuyển qua** (`carried_over`): received before P and neither finished nor closed (withdrawn,
  stopped) before P — open at P's start. For consecutive past periods it equals the previous period's
  "đang giải quyết".
- **Tổng số tiếp nhận** (`received_total`) = carried over + new.
- **Đã giải quyết** (`processed`): processing finished in P (`finished_at` in P: approved, or rejected
  after appraisal with the reasons), split **trước hạn / đúng hạn / quá hạn** by the dossier's stored
  `punctuality`, i.e. by the project's one rule `punctuality.finished_date.v1`
  (`tinhso.core.working_time.classify`): the local **date** processing finished against the due **date**
  — finished 3 minutes after a 17:00 due time on the same day is on time; at 00:01 after a 23:58 due time,
  late.
- **Đang giải quyết** (`in_process`): received and neither finished nor closed at the end of P — or at
  `now`, while P has not ended (`as_of` = the earlier of the two). **Quá hạn** (`in_process_overdue`):
  its due time is before that instant (TD's rule, one-stop.md §6: within the deadline while due ≥ the
  end of the period; with the date rule, a dossier still open when its due day has passed can only finish
  late), unless its clock was stopped then with time left (`paused_at` before that instant and not after
  the due time: waiting for a supplement, whose completion restarts the full time, ND 61 Art. 19(4); or
  for a financial obligation, whose end adds the paused time, DL10) **[derived]**; otherwise **trong
  hạn** (`in_process_within`). A dossier already late when it was paused stays late. The due time is the
  dossier's current one: an extension signed after the period's end moved a due time that was already
  after it (Mẫu 04 is signed at least one working day before the due date), so the split does not change.
- **Balance**: received total = processed + in process + withdrawn + stopped, row by row.
- **Bổ sung** (`supplement`): dossiers sent a supplement request (Mẫu 02) in P (its event's time).
- **Từ chối** (`refused`): refused at reception (Mẫu 03) in P; never received, so outside the total.
- **Rút** (`withdrawn`): withdrawn in P after being received (a dossier withdrawn before reception was
  never counted as received). **Dừng** (`stopped`): stopped (Mẫu 05) in P. Both by `closed_at`.
- **Tỷ lệ đúng hạn** = (trước hạn + đúng hạn) / đã giải quyết; **tỷ lệ trực tuyến** = trực tuyến / mới
  tiếp nhận.
- **Có phí, lệ phí** (`fee_due`): new dossiers with a fee to pay — a financial obligation stated on the
  dossier (`fee_due_vnd` > 0, set when it was paused for one) or a payment request (`tinhso.payments`)
  whose `subject_key` is the dossier's code and which is neither cancelled nor exempt (reception fee or
  obligation; open, partly paid or paid, as of now). A dossier whose only requests were exempted or
  cancelled has nothing to pay; one withdrawn or stopped with its fee still open keeps it.
- **Thanh toán trực tuyến** (`paid_online`): of `fee_due`, the dossiers with at least one request fully
  **paid** (`RequestStatus.PAID`, as of now) by bank transfer alone (VietQR, a statement, the bank's
  webhook): a request paid wholly or partly in cash at the counter is not paid online. A request **partly
  paid** does not count: the fee was not paid. **Tỷ lệ thanh toán trực tuyến** = thanh toán trực tuyến /
  có phí, lệ phí.
- **Kết quả điện tử** (`processed_e_result`): processed dossiers with an electronic result in the
  e-document store (an `EDocument` of kind result, not revoked, for the dossier's code), as of now.
- **Số hóa** (`received_digitised`): new dossiers with at least one provided paper and a file for every
  provided paper.
- **Hài lòng** (`rated*`): ratings given in P (`rated_at`) to dossiers of the scope, by their overall
  level (*Rất hài lòng / Hài lòng / Không hài lòng*, OS-SA3) — the same counts as
  `dossiers.ratings.rating_summary` for an agency's scope, and for any other scope too.

Every count is reproducible: `dossiers_behind(period, scope, figure)` is the queryset of the dossiers
behind it, built from the same condition (`FIGURES`), so a list and its number cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import Agency
from tinhso.dossiers.models import (
    Channel,
    Dossier,
    DossierEvent,
    DossierPaper,
    DossierRating,
    Punctuality,
    Satisfaction,
    Status,
)
from tinhso.edocs.models import EDocument
from tinhso.payments.models import PaymentMatch, PaymentMethod, PaymentRequest, RequestStatus
from tinhso.procedures.models import Procedure, ProcedureField
from tinhso.reports.periods import Period
from tinhso.reports.scope import Scope, small_id

__all__ = [
    "FIGURES",
    "GROUPS",
    "MAX_MONTH_ROWS",
    "QUALITY_COLUMNS",
    "RATIOS",
    "RESULT_COLUMNS",
    "TABLES",
    "Column",
    "Figure",
    "Report",
    "ReportError",
    "Row",
    "Table",
    "Window",
    "dossier_report",
    "dossiers_behind",
    "fee_to_pay",
    "paid_online",
]

ONLINE_CHANNELS = (Channel.ONLINE, Channel.NATIONAL_PORTAL)
# Rows per month run one query each: a period of more months is grouped otherwise.
MAX_MONTH_ROWS = 36


class ReportError(ValueError):
    """A report that cannot be made as asked (an unknown figure or grouping); the message is for people."""


@dataclass(frozen=True)
class Window:
    """The instants a report's conditions compare with: P = [since, until), and `as_of`, the end of P or
    now while P runs (never before P's start)."""

    since: dt.datetime
    until: dt.datetime
    as_of: dt.datetime

    @classmethod
    def of(cls, period: Period, now: dt.datetime) -> Window:
        since, until = period.bounds()
        return cls(since, until, min(until, max(now, since)))


def _in(name: str, w: Window) -> Q:
    return Q(**{f"{name}__gte": w.since, f"{name}__lt": w.until})


def _not_before(name: str, instant: dt.datetime) -> Q:
    """The instant is empty (not happened) or at/after `instant`."""
    return Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": instant})


def _received_new(w: Window) -> Q:
    return _in("received_at", w)


def _carried_over(w: Window) -> Q:
    return (
        Q(received_at__lt=w.since) & _not_before("finished_at", w.since) & _not_before("closed_at", w.since)
    )


def _processed(w: Window) -> Q:
    return _in("finished_at", w)


def _in_process(w: Window) -> Q:
    return (
        Q(received_at__lt=w.as_of) & _not_before("finished_at", w.as_of) & _not_before("closed_at", w.as_of)
    )


def _clock_stopped(w: Window) -> Q:
    """Waiting for the applicant at `as_of` (since a supplement request or a pause for payment before it),
    the clock stopped with time left (paused no later than the due time: a dossier already late when
    paused stays late). `paused_at` is cleared when the wait ends; a dossier stopped or withdrawn while
    waiting keeps it, but is then closed, and `_in_process` says when."""
    return Q(paused_at__isnull=False, paused_at__lt=w.as_of, paused_at__lte=F("due_at"))


def _overdue(w: Window) -> Q:
    return _in_process(w) & Q(due_at__lt=w.as_of) & ~_clock_stopped(w)


def _within(w: Window) -> Q:
    return _in_process(w) & (Q(due_at__isnull=True) | Q(due_at__gte=w.as_of) | _clock_stopped(w))


# The conditions on other tables are uncorrelated `IN (subquery)`, not `EXISTS` per dossier: PostgreSQL
# reads the subquery once into a hash (a "hashed SubPlan") instead of probing it for each of a year's
# dossiers, and the report stays one pass over the dossier rows. The columns compared are never NULL.


def _supplement(w: Window) -> Q:
    asked = DossierEvent.objects.filter(action="request_supplement", at__gte=w.since, at__lt=w.until).values(
        "dossier_id"
    )
    # A dossier is asked once (ND 61 Art. 19(3)): the counter is set on every one the subquery can find.
    return Q(supplement_requests__gt=0) & Q(pk__in=asked)


def _closed_as(status: str, w: Window) -> Q:
    return Q(status=status) & _in("closed_at", w)


def _e_result() -> Q:
    results = EDocument.objects.filter(kind=EDocument.Kind.RESULT, revoked_at__isnull=True).exclude(
        source_dossier_code=""
    )
    return Q(code__in=results.values("source_dossier_code"))


def fee_to_pay() -> Q:
    """A fee or obligation to pay: stated on the dossier, or a request for its code neither cancelled nor
    exempt (module docstring; the Decision 766 index counts its ONLINE_PAYMENT denominator with it)."""
    requests = (
        PaymentRequest.objects.exclude(status__in=[RequestStatus.CANCELLED, RequestStatus.EXEMPT])
        .exclude(subject_key="")
        .values("subject_key")
    )
    return Q(fee_due_vnd__gt=0) | Q(code__in=requests)


def paid_online() -> Q:
    """At least one request for the dossier's code fully paid, and by transfer alone (no cash taken at the
    counter counted for it). Partly paid is not paid."""
    cash = PaymentMatch.objects.filter(method=PaymentMethod.CASH, reversed_at__isnull=True)
    paid = (
        PaymentRequest.objects.filter(status=RequestStatus.PAID)
        .exclude(subject_key="")
        .exclude(pk__in=cash.values("request_id"))
    )
    return Q(code__in=paid.values("subject_key"))


def _digitised() -> Q:
    provided = DossierPaper.objects.filter(provided=True)
    return Q(pk__in=provided.values("dossier_id")) & ~Q(
        pk__in=provided.filter(files__isnull=True).values("dossier_id")
    )


def _rated(w: Window, level: str = "") -> Q:
    ratings = DossierRating.objects.filter(rated_at__gte=w.since, rated_at__lt=w.until)
    if level:
        ratings = ratings.filter(overall=level)
    return Q(pk__in=ratings.values("dossier_id"))


@dataclass(frozen=True)
class Figure:
    """One count of the report: its key (in URLs and exports), its label, and the condition on a dossier."""

    key: str
    label: Promise
    condition: Callable[[Window], Q]


FIGURES: dict[str, Figure] = {
    f.key: f
    for f in (
        Figure("received_total", _("Tổng số tiếp nhận"), lambda w: _carried_over(w) | _received_new(w)),
        Figure("carried_over", _("Kỳ trước chuyển qua"), _carried_over),
        Figure("received_new", _("Mới tiếp nhận"), _received_new),
        Figure(
            "received_online",
            _("Mới tiếp nhận trực tuyến"),
            lambda w: _received_new(w) & Q(channel__in=ONLINE_CHANNELS),
        ),
        Figure("processed", _("Đã giải quyết"), _processed),
        Figure(
            "processed_early",
            _("Đã giải quyết trước hạn"),
            lambda w: _processed(w) & Q(punctuality=Punctuality.EARLY),
        ),
        Figure(
            "processed_on_time",
            _("Đã giải quyết đúng hạn"),
            lambda w: _processed(w) & Q(punctuality=Punctuality.ON_TIME),
        ),
        Figure(
            "processed_late",
            _("Đã giải quyết quá hạn"),
            lambda w: _processed(w) & Q(punctuality=Punctuality.LATE),
        ),
        Figure("in_process", _("Đang giải quyết"), _in_process),
        Figure("in_process_within", _("Đang giải quyết trong hạn"), _within),
        Figure("in_process_overdue", _("Đang giải quyết quá hạn"), _overdue),
        Figure("supplement", _("Yêu cầu bổ sung"), _supplement),
        Figure("refused", _("Từ chối tiếp nhận"), lambda w: _closed_as(Status.REFUSED, w)),
        Figure(
            "withdrawn",
            _("Rút hồ sơ"),
            lambda w: _closed_as(Status.WITHDRAWN, w) & Q(received_at__isnull=False),
        ),
        Figure("stopped", _("Dừng giải quyết"), lambda w: _closed_as(Status.STOPPED, w)),
        Figure(
            "fee_due",
            _("Mới tiếp nhận có phí, lệ phí"),
            lambda w: _received_new(w) & fee_to_pay(),
        ),
        Figure(
            "paid_online",
            _("Mới tiếp nhận có phí, lệ phí đã thanh toán trực tuyến"),
            lambda w: _received_new(w) & fee_to_pay() & paid_online(),
        ),
        Figure(
            "processed_e_result",
            _("Đã giải quyết có kết quả điện tử"),
            lambda w: _processed(w) & _e_result(),
        ),
        Figure(
            "received_digitised",
            _("Mới tiếp nhận có giấy tờ số hóa đủ"),
            lambda w: _received_new(w) & _digitised(),
        ),
        Figure("rated", _("Lượt đánh giá"), _rated),
        Figure(
            "rated_very_satisfied",
            _("Rất hài lòng"),
            lambda w: _rated(w, Satisfaction.VERY_SATISFIED),
        ),
        Figure("rated_satisfied", _("Hài lòng"), lambda w: _rated(w, Satisfaction.SATISFIED)),
        Figure(
            "rated_not_satisfied",
            _("Không hài lòng"),
            lambda w: _rated(w, Satisfaction.NOT_SATISFIED),
        ),
    )
}


@dataclass(frozen=True)
class Ratio:
    """A share in percent, one decimal: the sum of `numerators` over `denominator` (None when it is 0)."""

    key: str
    label: Promise
    numerators: tuple[str, ...]
    denominator: str


RATIOS: dict[str, Ratio] = {
    r.key: r
    for r in (
        Ratio(
            "on_time_ratio",
            _("Tỷ lệ giải quyết đúng hạn"),
            ("processed_early", "processed_on_time"),
            "processed",
        ),
        Ratio("online_ratio", _("Tỷ lệ hồ sơ trực tuyến"), ("received_online",), "received_new"),
        Ratio("paid_online_ratio", _("Tỷ lệ thanh toán trực tuyến"), ("paid_online",), "fee_due"),
        Ratio("e_result_ratio", _("Tỷ lệ kết quả điện tử"), ("processed_e_result",), "processed"),
        Ratio("digitised_ratio", _("Tỷ lệ số hóa giấy tờ"), ("received_digitised",), "received_new"),
        Ratio("not_satisfied_ratio", _("Tỷ lệ không hài lòng"), ("rated_not_satisfied",), "rated"),
    )
}
# Shares that cannot be known from the data held: the reason, shown instead of a number (and explained
# under the tables). None today: online payment is counted from the payment requests.
UNKNOWN_RATIOS: dict[str, Promise] = {}


def _percent(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(100 * numerator) / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- The tables ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of a table: a figure (a count, linked to its dossiers) or a ratio; `group` is the header
    spanning it and its neighbours ("" when the column stands alone)."""

    key: str
    header: Promise
    group: Promise | str = ""

    @property
    def is_ratio(self) -> bool:
        return self.key in RATIOS


_RECEIVED = _("Tổng số hồ sơ tiếp nhận")
_PROCESSED = _("Đã giải quyết")
_IN_PROCESS = _("Đang giải quyết")
_ONLINE = _("Hồ sơ trực tuyến")
_PAYMENT = _("Thanh toán trực tuyến")
_E_RESULT = _("Kết quả điện tử")
_DIGITISED = _("Số hóa giấy tờ")
_RATINGS = _("Đánh giá của người dân")

# The national layout (received, processed, in process), then this project's columns.
RESULT_COLUMNS: tuple[Column, ...] = (
    Column("received_total", _("Tổng số"), _RECEIVED),
    Column("carried_over", _("Kỳ trước chuyển qua"), _RECEIVED),
    Column("received_new", _("Mới tiếp nhận"), _RECEIVED),
    Column("received_online", _("Trong đó trực tuyến"), _RECEIVED),
    Column("processed", _("Tổng số"), _PROCESSED),
    Column("processed_early", _("Trước hạn"), _PROCESSED),
    Column("processed_on_time", _("Đúng hạn"), _PROCESSED),
    Column("processed_late", _("Quá hạn"), _PROCESSED),
    Column("in_process", _("Tổng số"), _IN_PROCESS),
    Column("in_process_within", _("Trong hạn"), _IN_PROCESS),
    Column("in_process_overdue", _("Quá hạn"), _IN_PROCESS),
    Column("supplement", _("Bổ sung")),
    Column("refused", _("Từ chối")),
    Column("withdrawn", _("Rút")),
    Column("stopped", _("Dừng")),
    Column("on_time_ratio", _("Tỷ lệ đúng hạn (%)")),
    Column("online_ratio", _("Tỷ lệ trực tuyến (%)")),
)
QUALITY_COLUMNS: tuple[Column, ...] = (
    Column("received_new", _("Mới tiếp nhận"), _ONLINE),
    Column("received_online", _("Trực tuyến"), _ONLINE),
    Column("online_ratio", _("Tỷ lệ (%)"), _ONLINE),
    Column("fee_due", _("Có phí, lệ phí"), _PAYMENT),
    Column("paid_online", _("Đã thanh toán trực tuyến"), _PAYMENT),
    Column("paid_online_ratio", _("Tỷ lệ (%)"), _PAYMENT),
    Column("processed", _("Đã giải quyết"), _E_RESULT),
    Column("processed_e_result", _("Có kết quả điện tử"), _E_RESULT),
    Column("e_result_ratio", _("Tỷ lệ (%)"), _E_RESULT),
    Column("received_digitised", _("Số hóa đủ"), _DIGITISED),
    Column("digitised_ratio", _("Tỷ lệ (%)"), _DIGITISED),
    Column("rated", _("Lượt đánh giá"), _RATINGS),
    Column("rated_very_satisfied", _("Rất hài lòng"), _RATINGS),
    Column("rated_satisfied", _("Hài lòng"), _RATINGS),
    Column("rated_not_satisfied", _("Không hài lòng"), _RATINGS),
    Column("not_satisfied_ratio", _("Tỷ lệ không hài lòng (%)"), _RATINGS),
)


@dataclass(frozen=True)
class Table:
    key: str
    title: Promise
    columns: tuple[Column, ...]
    national: bool  # follows the national report layout (else: this project's own)


TABLES: dict[str, Table] = {
    "ket-qua": Table(
        "ket-qua", _("Tình hình, kết quả giải quyết thủ tục hành chính"), RESULT_COLUMNS, national=True
    ),
    "chat-luong": Table(
        "chat-luong",
        _("Trực tuyến, thanh toán, kết quả điện tử, số hóa và mức độ hài lòng"),
        QUALITY_COLUMNS,
        national=False,
    ),
}

# --- Groups -------------------------------------------------------------------------------------------

# Rows by: the receiving unit (đơn vị tiếp nhận), the procedure's field, the procedure, the channel, month.
GROUPS: dict[str, Promise] = {
    "agency": _("Đơn vị"),
    "field": _("Lĩnh vực"),
    "procedure": _("Thủ tục"),
    "channel": _("Kênh tiếp nhận"),
    "month": _("Tháng"),
}
_GROUP_COLUMN = {
    "agency": "agency_id",
    "field": "procedure__field_id",
    "procedure": "procedure_id",
    "channel": "channel",
}


@dataclass
class Row:
    """One line of the report: `key` names its group in URLs ("" for the total), `counts` every figure."""

    key: str
    label: str
    counts: dict[str, int]
    order: Any = None
    ratios: dict[str, Decimal | None] = field(init=False)

    def __post_init__(self) -> None:
        # A report of some figures only (`dossier_report(figures=…)`) has the ratios those figures give.
        self.ratios = {
            key: (
                None
                if key in UNKNOWN_RATIOS
                else _percent(sum(self.counts[n] for n in r.numerators), self.counts[r.denominator])
            )
            for key, r in RATIOS.items()
            if r.denominator in self.counts and all(n in self.counts for n in r.numerators)
        }

    def value(self, key: str) -> int | Decimal | None:
        return self.ratios[key] if key in RATIOS else self.counts[key]

    @property
    def balances(self) -> bool:
        c = self.counts
        return c["received_total"] == c["processed"] + c["in_process"] + c["withdrawn"] + c["stopped"]


@dataclass
class Report:
    period: Period
    scope: Scope
    group_by: str | None
    rows: list[Row]
    total: Row
    as_of: dt.datetime
    now: dt.datetime

    @property
    def group_label(self) -> Promise | None:
        return GROUPS.get(self.group_by or "")

    @property
    def unknown_ratios(self) -> dict[str, Promise]:
        return UNKNOWN_RATIOS

    @property
    def unknown_notes(self) -> list[tuple[Promise, Promise]]:
        """(the share's label, why it cannot be known) for each unknown share: the note under the tables
        that the cells' "—*" point to."""
        return [(RATIOS[key].label, reason) for key, reason in UNKNOWN_RATIOS.items()]

    @property
    def ended(self) -> bool:
        return self.as_of >= self.period.bounds()[1]


def _relevant(w: Window, keys: Sequence[str]) -> Q:
    """Every dossier any of the figures can count (a superset, to keep the scan short): submitted before
    P's end and not finished or closed before its start, or rated in P."""
    q = Q(submitted_at__lt=w.until) & _not_before("finished_at", w.since) & _not_before("closed_at", w.since)
    return q | _rated(w) if any(k.startswith("rated") for k in keys) else q


def _aggregates(w: Window, keys: Sequence[str]) -> dict[str, Count]:
    return {key: Count("pk", filter=FIGURES[key].condition(w)) for key in keys}


def _counts(period: Period, scope: Scope, now: dt.datetime, keys: Sequence[str]) -> dict[str, int]:
    w = Window.of(period, now)
    return Dossier.objects.filter(scope.q()).filter(_relevant(w, keys)).aggregate(**_aggregates(w, keys))


def _labels(group_by: str, ids: Sequence[Any]) -> dict[Any, tuple[str, str, Any]]:
    """(key in URLs, label, sort order) of each group value."""
    if group_by == "agency":
        return {
            pk: (code, name, path)
            for pk, code, name, path in Agency.objects.filter(pk__in=ids).values_list(
                "pk", "code", "name", "path"
            )
        }
    if group_by == "field":
        return {
            pk: (str(pk), name, name)
            for pk, name in ProcedureField.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    if group_by == "procedure":
        return {
            pk: (code, f"{code} {name}", code)
            for pk, code, name in Procedure.objects.filter(pk__in=ids).values_list("pk", "code", "name")
        }
    order = list(Channel.values)
    return {v: (v, str(Channel(v).label), order.index(v)) for v in ids}


def dossier_report(
    period: Period,
    scope: Scope,
    *,
    now: dt.datetime | None = None,
    group_by: str | None = None,
    figures: Sequence[str] | None = None,
) -> Report:
    """The report of the dossiers of `scope` over `period`, with a row per group (`GROUPS`) and the total.
    See the module docstring for what each number counts. `figures` narrows it to those counts (and the
    ratios they make), for a page that shows only them: the same conditions, fewer columns to compute."""
    now = now or timezone.now()
    if group_by is not None and group_by not in GROUPS:
        raise ReportError(_("Cách chia dòng của báo cáo không hợp lệ."))
    keys = list(FIGURES) if figures is None else list(figures)
    if not keys or any(k not in FIGURES for k in keys):
        raise ReportError(_("Số liệu của báo cáo không hợp lệ."))
    w = Window.of(period, now)
    rows: list[Row] = []
    if group_by == "month":
        months = period.months()
        if len(months) > MAX_MONTH_ROWS:
            raise ReportError(
                _("Chia theo tháng chỉ áp dụng cho kỳ tối đa %(n)d tháng.") % {"n": MAX_MONTH_ROWS}
            )
        for i, month in enumerate(months):
            rows.append(Row(f"{month.start:%Y-%m}", month.label, _counts(month, scope, now, keys), order=i))
        # Carried over and in process are instants, not sums: the period's total is its own query.
        total = Row("", str(_("Tổng cộng")), _counts(period, scope, now, keys))
    elif group_by is not None:
        column = _GROUP_COLUMN[group_by]
        grouped = list(
            Dossier.objects.filter(scope.q())
            .filter(_relevant(w, keys))
            .values(column)
            .annotate(**_aggregates(w, keys))
            .order_by()
        )
        labels = _labels(group_by, [g[column] for g in grouped if g[column] is not None])
        for g in grouped:
            key, label, order = labels.get(g[column], (str(g[column]), str(g[column]), ""))
            rows.append(Row(key, label, {k: g[k] for k in keys}, order=order))
        rows.sort(key=lambda r: r.order)
        # Every dossier is in exactly one group, and every figure counts dossiers: the total is the sum.
        total = Row("", str(_("Tổng cộng")), {k: sum(r.counts[k] for r in rows) for k in keys})
    else:
        total = Row("", str(_("Tổng cộng")), _counts(period, scope, now, keys))
    return Report(
        period=period, scope=scope, group_by=group_by, rows=rows, total=total, as_of=w.as_of, now=now
    )


def _row_filter(group_by: str, row: str) -> Q:
    if group_by == "agency":
        return Q(agency__code=row)
    if group_by == "field":
        if not small_id(row):
            raise ReportError(_("Dòng của báo cáo không hợp lệ."))
        return Q(procedure__field_id=int(row))
    if group_by == "procedure":
        return Q(procedure__code=row)
    if group_by == "channel":
        return Q(channel=row)
    raise ReportError(_("Cách chia dòng của báo cáo không hợp lệ."))


def dossiers_behind(
    period: Period,
    scope: Scope,
    figure: str,
    *,
    now: dt.datetime | None = None,
    group_by: str | None = None,
    row: str = "",
) -> QuerySet[Dossier]:
    """The dossiers counted by `figure` in the report of `scope` over `period` (in one row when `group_by`
    and `row` name it, as in `Row.key`): the same condition as the count, so their number is the count."""
    now = now or timezone.now()
    if figure not in FIGURES:
        raise ReportError(_("Không có số liệu “%(figure)s” trong báo cáo.") % {"figure": figure[:40]})
    q = scope.q()
    if row and group_by == "month":
        months = {f"{m.start:%Y-%m}": m for m in period.months()}
        if row not in months:
            raise ReportError(_("Tháng đã chọn không thuộc kỳ báo cáo."))
        period = months[row]
    elif row and group_by:
        q &= _row_filter(group_by, row)
    elif row:
        raise ReportError(_("Cách chia dòng của báo cáo không hợp lệ."))
    w = Window.of(period, now)
    return Dossier.objects.filter(q).filter(FIGURES[figure].condition(w))
