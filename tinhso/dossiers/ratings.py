"""Rating a dossier (*đánh giá việc giải quyết thủ tục hành chính*): writes and reads.

Rules (docs/domain/one-stop.md §10):

- **What is rated.** The applicant answers TT 01/2018 Art. 13 indicators 1 (total time against the
  statutory time), 3 (contacts needed), 4 (agencies contacted) and 7 (attitude), 0–2 points each, and
  indicators 10 (ease of use) and 11 (overall) on the scale *Rất hài lòng / Hài lòng / Không hài lòng*
  (OS-SA2, OS-SA3). The system computes indicator 1 itself from the dossier's instants and stores it beside
  the applicant's answer (OS-SA2's cross-check): finished before the due date 2, on it 1, after it 0, by the
  project's one early / on time / late rule (`working_time.classify`, OS-ET1).
- **When.** Once there is something to judge: the result is ready or returned (processed, returned), or the
  dossier was closed by the agency (refused at reception, stopped). A dossier still in process cannot be
  rated yet, and a withdrawn one not at all (the applicant ended it; there is no handling to judge)
  **[derived]**. Rating before the result is collected is allowed because the counter's kiosk is used
  while the result is handed over, before the officer records the return.
- **Once.** One rating per dossier: checked under the dossier's row lock, and the unique key on
  `DossierRating.dossier` settles any race (the loser gets the same plain message).
- **Who.** Online: the dossier's applicant account only. At the counter's kiosk (*màn hình đánh giá tại
  quầy*): through a short-lived token issued when the receipt's QR was scanned on a kiosk account of the
  dossier's unit (or a unit above it). On a paper form (TT 01/2018 Art. 12: handed out with the receipt):
  typed in by a counter officer of the unit.

Statistics read `rating_summary` and `receiving_satisfaction` (Decision 766 DOSSIER_RECEIVING_SATISFACTION).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.accounts.models import Agency, Role, User
from tinhso.accounts.selectors import agencies_visible_to, user_sees_everything
from tinhso.core import working_time as wt
from tinhso.core.audit import audit_record
from tinhso.dossiers.models import (
    AgenciesScore,
    AttitudeScore,
    ContactsScore,
    Dossier,
    DossierRating,
    Feedback,
    Punctuality,
    RatingChannel,
    Satisfaction,
    Status,
    TimeScore,
)
from tinhso.dossiers.transitions import DossierConflict, DossierForbidden, DossierRuleError

__all__ = [
    "KIOSK_PERMISSION",
    "RATABLE_STATES",
    "IndicatorSummary",
    "KioskScanError",
    "Period",
    "RatingAnswers",
    "RatingSummary",
    "ReceivingSatisfaction",
    "kiosk_dossier_for_scan",
    "kiosk_may_operate",
    "kiosk_token_dossier",
    "kiosk_token_issue",
    "rating_refusal",
    "rating_submit",
    "rating_summary",
    "ratings_visible_to",
    "receiving_satisfaction",
    "system_time_score",
]

# See the module docstring: the result is ready or returned, or the agency closed the dossier.
RATABLE_STATES = frozenset({Status.PROCESSED, Status.RETURNED, Status.REFUSED, Status.STOPPED})
# A kiosk account: an official account of the unit holding this permission (and no role), or any counter
# officer of the unit.
KIOSK_PERMISSION = "dossiers.operate_rating_kiosk"
_KIOSK_SALT = "tinhso.dossiers.ratings.kiosk"
_SCORE_OF_PUNCTUALITY = {
    Punctuality.EARLY: TimeScore.SHORTER,
    Punctuality.ON_TIME: TimeScore.EQUAL,
    Punctuality.LATE: TimeScore.LONGER,
}


# --- Rules --------------------------------------------------------------------------------------------


def system_time_score(d: Dossier) -> int | None:
    """Indicator 1 from the dossier's instants: processing finished before the due date 2, on it 1, after it
    0 (`working_time.classify`, the project's one rule). None when it was never processed."""
    if d.finished_at is None or d.due_at is None:
        return None
    return int(_SCORE_OF_PUNCTUALITY[Punctuality(wt.classify(d.finished_at, d.due_at))])


def rating_refusal(d: Dossier) -> str | None:
    """Why the dossier cannot be rated now (a plain Vietnamese sentence / English), or None."""
    if d.status not in RATABLE_STATES:
        if d.status == Status.WITHDRAWN:
            return _("Hồ sơ đã rút không được đánh giá. / A withdrawn dossier is not rated.")
        return _(
            "Hồ sơ %(code)s chưa có kết quả: bạn đánh giá được khi hồ sơ đã có kết quả hoặc đã kết thúc. "
            "/ The dossier can be rated once its result is ready."
        ) % {"code": d.code}
    if DossierRating.objects.filter(dossier_id=d.pk).exists():
        return _already_rated(d)
    return None


def _already_rated(d: Dossier) -> str:
    return _(
        "Hồ sơ %(code)s đã được đánh giá. Mỗi hồ sơ chỉ đánh giá một lần. "
        "/ This dossier has already been rated; each dossier is rated once."
    ) % {"code": d.code}


@dataclass(frozen=True)
class RatingAnswers:
    """The applicant's answers: scores 0–2 for indicators 1, 3, 4 and 7; `Satisfaction` values for 11
    (overall) and 10 (ease of use, optional: asked online only)."""

    time: int
    contacts: int
    agencies: int
    attitude: int
    overall: str
    ease_of_use: str = ""
    comment: str = ""

    def check(self) -> None:
        for value, choices in (
            (self.time, TimeScore),
            (self.contacts, ContactsScore),
            (self.agencies, AgenciesScore),
            (self.attitude, AttitudeScore),
        ):
            if value not in choices.values:
                raise DossierRuleError(
                    _("Mỗi câu hỏi chọn một trong ba mức. / Each answer scores 0, 1 or 2.")
                )
        if self.overall not in Satisfaction.values or (
            self.ease_of_use and self.ease_of_use not in Satisfaction.values
        ):
            raise DossierRuleError(
                _("Chọn Rất hài lòng, Hài lòng hoặc Không hài lòng. / Choose a satisfaction level.")
            )
        if len(self.comment) > 2000:
            raise DossierRuleError(_("Ý kiến khác tối đa 2.000 ký tự. / The comment is too long."))


# --- The kiosk ----------------------------------------------------------------------------------------


def kiosk_may_operate(user: User) -> bool:
    """A kiosk account of a unit (the permission), or a counter officer, active, with an agency."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user_sees_everything(user):
        return True
    return bool(
        user.is_official
        and user.agency_id is not None
        and (user.has_perm(KIOSK_PERMISSION) or user.has_role(Role.COUNTER_OFFICER))
    )


def _kiosk_reaches(user: User, d: Dossier) -> bool:
    return kiosk_may_operate(user) and agencies_visible_to(user).filter(pk=d.agency_id).exists()


class KioskScanError(DossierRuleError):
    """The scanned code is not a dossier this kiosk can rate now; `status_code` says why (404 unknown or
    another unit's, 409 not yet ratable or already rated)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def kiosk_dossier_for_scan(user: User, code: str | None) -> Dossier:
    """The dossier whose receipt was scanned, if this kiosk may have it rated now. An unknown code and
    another unit's dossier get the same answer, so the kiosk cannot be used to probe codes."""
    not_here = _(
        "Không tìm thấy hồ sơ này tại đơn vị. Kiểm tra lại Giấy tiếp nhận hoặc hỏi cán bộ tại quầy. "
        "/ No such dossier at this unit."
    )
    d = (
        Dossier.objects.select_related("agency", "procedure", "procedure_version").filter(code=code).first()
        if code
        else None
    )
    if d is None or not _kiosk_reaches(user, d):
        raise KioskScanError(not_here, 404)
    refusal = rating_refusal(d)
    if refusal is not None:
        raise KioskScanError(refusal, 409)
    return d


def kiosk_token_issue(user: User, d: Dossier) -> str:
    """A signed token naming the dossier and the kiosk account, valid `FEEDBACK_KIOSK_TOKEN_SECONDS`: the
    rating screen posts it back, so a rating at the kiosk is tied to a scan made there."""
    return signing.dumps({"d": d.pk, "k": user.pk}, salt=_KIOSK_SALT, compress=True)


def _kiosk_token_load(token: str) -> dict[str, int]:
    try:
        data = signing.loads(token, salt=_KIOSK_SALT, max_age=settings.FEEDBACK_KIOSK_TOKEN_SECONDS)
    except signing.SignatureExpired:
        raise DossierForbidden(
            _("Đã hết thời gian đánh giá cho lần quét này: quét lại mã QR. / The scan expired: scan again.")
        ) from None
    except signing.BadSignature:
        raise DossierForbidden(
            _("Lần quét không hợp lệ: quét lại mã QR. / Invalid scan: scan again.")
        ) from None
    if not (isinstance(data, dict) and isinstance(data.get("d"), int) and isinstance(data.get("k"), int)):
        raise DossierForbidden(_("Lần quét không hợp lệ: quét lại mã QR. / Invalid scan: scan again."))
    return data


def kiosk_token_dossier(token: str, user: User | None = None) -> Dossier:
    """The dossier a kiosk token was issued for (checked again: account, unit, state)."""
    data = _kiosk_token_load(token)
    if user is not None and user.pk != data["k"]:
        raise DossierForbidden(_("Lần quét không hợp lệ: quét lại mã QR. / Invalid scan: scan again."))
    d = (
        Dossier.objects.select_related("agency", "procedure", "procedure_version")
        .filter(pk=data["d"])
        .first()
    )
    kiosk = User.objects.filter(pk=data["k"]).select_related("agency").first()
    if d is None or kiosk is None or not _kiosk_reaches(kiosk, d):
        raise DossierForbidden(_("Lần quét không hợp lệ: quét lại mã QR. / Invalid scan: scan again."))
    return d


# --- Writing ------------------------------------------------------------------------------------------


def _check_rater(
    d: Dossier, actor: User | None, channel: str, kiosk_token: str | None
) -> tuple[User | None, User | None]:
    """(rated_by, recorded_by) when the actor may rate the dossier through this channel; else 403."""
    if channel == RatingChannel.ONLINE:
        if (
            actor is None
            or not actor.is_active
            or d.applicant_user_id is None
            or actor.pk != d.applicant_user_id
        ):
            raise DossierForbidden(
                _("Chỉ người nộp hồ sơ mới đánh giá được hồ sơ này. / Only the applicant rates this dossier.")
            )
        return actor, actor
    if channel == RatingChannel.KIOSK:
        if not kiosk_token:
            raise DossierForbidden(_("Quét mã QR trên Giấy tiếp nhận trước. / Scan the receipt's QR first."))
        data = _kiosk_token_load(kiosk_token)
        if data["d"] != d.pk or (actor is not None and actor.pk != data["k"]):
            raise DossierForbidden(_("Lần quét không hợp lệ: quét lại mã QR. / Invalid scan: scan again."))
        kiosk = User.objects.select_related("agency").filter(pk=data["k"]).first()
        if kiosk is None or not _kiosk_reaches(kiosk, d):
            raise DossierForbidden(_("Lần quét không hợp lệ: quét lại mã QR. / Invalid scan: scan again."))
        return None, kiosk
    if channel == RatingChannel.COUNTER_FORM:
        if (
            actor is None
            or not actor.is_active
            or not actor.is_official
            or not actor.has_role(Role.COUNTER_OFFICER)
            or not agencies_visible_to(actor).filter(pk=d.agency_id).exists()
        ):
            raise DossierForbidden(
                _(
                    "Chỉ cán bộ Bộ phận Một cửa của đơn vị mới nhập phiếu đánh giá. "
                    "/ Only the unit's counter officers enter paper ratings."
                )
            )
        return None, actor
    raise DossierRuleError(_("Hình thức đánh giá không hợp lệ. / Unknown rating channel."))


def rating_submit(
    *,
    dossier: Dossier | int,
    actor: User | None,
    answers: RatingAnswers,
    channel: str,
    kiosk_token: str | None = None,
    at: dt.datetime | None = None,
) -> DossierRating:
    """Record the rating of a dossier, once (see the module docstring for who, when and how). Raises
    `DossierForbidden` (403), `DossierConflict` (409: not ratable now, or rated already) or
    `DossierRuleError` (400: an answer out of range)."""
    at = at or timezone.now()
    answers.check()
    pk = dossier.pk if isinstance(dossier, Dossier) else dossier
    try:
        with transaction.atomic():
            # The dossier's row lock orders two ratings of one dossier (and a rating against a transition);
            # the unique key on `DossierRating.dossier` is the last word where the lock is weaker (SQLite).
            d = Dossier.objects.select_for_update().select_related("agency").get(pk=pk)
            rated_by, recorded_by = _check_rater(d, actor, channel, kiosk_token)
            refusal = rating_refusal(d)
            if refusal is not None:
                raise DossierConflict(refusal)
            rating = DossierRating.objects.create(
                dossier=d,
                time_score=answers.time,
                time_score_system=system_time_score(d),
                contacts_score=answers.contacts,
                agencies_score=answers.agencies,
                attitude_score=answers.attitude,
                ease_of_use=answers.ease_of_use,
                overall=answers.overall,
                comment=answers.comment.strip(),
                channel=channel,
                rated_at=at,
                rated_by=rated_by,
                recorded_by=recorded_by,
                agency_id=d.agency_id,
                procedure_id=d.procedure_id,
                dossier_status=d.status,
            )
            audit_record(
                event="dossier.rated",
                target_type="dossiers.dossier",
                target_id=d.code,
                agency_code=d.agency.code,
                actor_id=recorded_by.pk if recorded_by else None,
                actor_label=recorded_by.get_username() if recorded_by else "kiosk",
                new={
                    "channel": channel,
                    "overall": answers.overall,
                    "scores": [answers.time, answers.contacts, answers.agencies, answers.attitude],
                    "time_score_system": rating.time_score_system,
                },
            )
    except IntegrityError:
        if DossierRating.objects.filter(dossier_id=pk).exists():
            d = Dossier.objects.only("code").get(pk=pk)
            raise DossierConflict(_already_rated(d)) from None
        raise
    return rating


# --- Reading ------------------------------------------------------------------------------------------


def ratings_visible_to(user: User) -> QuerySet[DossierRating]:
    """Ratings an official may read: those of their agency and the units under it (system administrators:
    all); a citizen, the ratings of their own dossiers."""
    qs = DossierRating.objects.select_related("dossier", "procedure", "agency")
    if not (user.is_authenticated and user.is_active):
        return qs.none()
    if user_sees_everything(user):
        return qs
    if user.is_official:
        return qs.filter(agency__in=agencies_visible_to(user).values("pk"))
    return qs.filter(dossier__applicant_user=user)


@dataclass(frozen=True)
class Period:
    """A reporting period of whole local days, `start` to `end` included (a quarter: 1/1 to 31/3)."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period ends on or after its start")

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[first instant, first instant after) in Vietnam's time."""
        tz = wt.VIETNAM_TZ
        return (
            dt.datetime.combine(self.start, dt.time(0), tzinfo=tz),
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(0), tzinfo=tz),
        )

    @classmethod
    def quarter_of(cls, day: dt.date) -> Period:
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = dt.date(day.year, first_month, 1)
        next_start = dt.date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
        return cls(start, next_start - dt.timedelta(days=1))


def _agency_filter(agency: Agency | None, field_name: str = "agency") -> Q:
    """The agency and every unit under it (its materialised path); None: the whole province."""
    if agency is None:
        return Q()
    return Q(**{f"{field_name}__path__startswith": agency.path})


def _one_decimal(value: Any) -> Decimal | None:
    # OS-SA1: an indicator's score is the sum of the dossiers' scores over their number, to one decimal.
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class IndicatorSummary:
    """One indicator over the period: how many dossiers scored 2, 1 and 0, and the average (OS-SA1)."""

    counts: dict[int, int]
    average: Decimal | None


@dataclass(frozen=True)
class RatingSummary:
    """Ratings of an agency's subtree over a period (by `rated_at`), ready for statistics.

    `indicators` has keys "1" (the applicant's answer), "1_system" (computed from timestamps), "3", "4",
    "7"; `overall` and `ease_of_use` count each `Satisfaction` value ("" for not asked)."""

    total: int
    indicators: dict[str, IndicatorSummary]
    overall: dict[str, int]
    ease_of_use: dict[str, int]
    by_channel: dict[str, int]
    time_disagreements: int  # the applicant's indicator 1 differs from the system's
    with_comment: int
    not_satisfied_share: Decimal | None = field(default=None)  # percentage, one decimal


_INDICATOR_FIELDS = {
    "1": "time_score",
    "1_system": "time_score_system",
    "3": "contacts_score",
    "4": "agencies_score",
    "7": "attitude_score",
}


def rating_summary(*, agency: Agency | None, period: Period) -> RatingSummary:
    """Counts and averages of the ratings given in the period to dossiers of `agency` and the units under
    it (None: the province), in one aggregate query."""
    since, until = period.bounds()
    qs = DossierRating.objects.filter(_agency_filter(agency), rated_at__gte=since, rated_at__lt=until)
    aggregates: dict[str, Any] = {"total": Count("pk")}
    for key, name in _INDICATOR_FIELDS.items():
        aggregates[f"avg_{key}"] = Avg(name)
        for score in (2, 1, 0):
            aggregates[f"n_{key}_{score}"] = Count("pk", filter=Q(**{name: score}))
    for value in Satisfaction.values:
        aggregates[f"overall_{value}"] = Count("pk", filter=Q(overall=value))
        aggregates[f"ease_{value}"] = Count("pk", filter=Q(ease_of_use=value))
    aggregates["ease_"] = Count("pk", filter=Q(ease_of_use=""))
    for value in RatingChannel.values:
        aggregates[f"channel_{value}"] = Count("pk", filter=Q(channel=value))
    aggregates["disagree"] = Count(
        "pk", filter=Q(time_score_system__isnull=False) & ~Q(time_score_system=F("time_score"))
    )
    aggregates["comment"] = Count("pk", filter=~Q(comment=""))
    row = qs.aggregate(**aggregates)
    total = row["total"]
    overall = {v: row[f"overall_{v}"] for v in Satisfaction.values}
    return RatingSummary(
        total=total,
        indicators={
            key: IndicatorSummary(
                counts={s: row[f"n_{key}_{s}"] for s in (2, 1, 0)}, average=_one_decimal(row[f"avg_{key}"])
            )
            for key in _INDICATOR_FIELDS
        },
        overall=overall,
        ease_of_use={**{v: row[f"ease_{v}"] for v in Satisfaction.values}, "": row["ease_"]},
        by_channel={v: row[f"channel_{v}"] for v in RatingChannel.values},
        time_disagreements=row["disagree"],
        with_comment=row["comment"],
        not_satisfied_share=(
            _one_decimal(Decimal(100 * overall[Satisfaction.NOT_SATISFIED]) / total) if total else None
        ),
    )


@dataclass(frozen=True)
class ReceivingSatisfaction:
    """Decision 766 DOSSIER_RECEIVING_SATISFACTION: (dossiers − those rated "Không hài lòng", with a PAKN,
    or late) / dossiers. `dossiers` are those whose processing finished in the period **[derived]**: the
    decision's text was not read (one-stop.md §15 item 6); the counts are kept apart so the rule can
    change."""

    dossiers: int
    not_satisfied: int
    with_feedback: int
    late: int
    unsatisfactory: int  # in any of the three (each dossier once)

    @property
    def satisfactory(self) -> int:
        return self.dossiers - self.unsatisfactory

    @property
    def ratio(self) -> Decimal | None:
        if not self.dossiers:
            return None
        return (Decimal(self.satisfactory) / Decimal(self.dossiers)).quantize(Decimal("0.0001"))


def receiving_satisfaction(*, agency: Agency | None, period: Period) -> ReceivingSatisfaction:
    """The counts behind DOSSIER_RECEIVING_SATISFACTION for the agency's subtree (None: the province)."""
    since, until = period.bounds()
    not_satisfied = Q(
        pk__in=DossierRating.objects.filter(overall=Satisfaction.NOT_SATISFIED).values("dossier_id")
    )
    late = Q(punctuality=Punctuality.LATE)
    # The feedback's dossiers read once (an uncorrelated subquery PostgreSQL hashes), not probed per dossier.
    has_feedback = Q(pk__in=Feedback.objects.filter(dossier__isnull=False).values("dossier_id"))
    row = Dossier.objects.filter(
        _agency_filter(agency), finished_at__gte=since, finished_at__lt=until
    ).aggregate(
        dossiers=Count("pk"),
        not_satisfied=Count("pk", filter=not_satisfied),
        with_feedback=Count("pk", filter=has_feedback),
        late=Count("pk", filter=late),
        unsatisfactory=Count("pk", filter=not_satisfied | has_feedback | late),
    )
    return ReceivingSatisfaction(**row)
