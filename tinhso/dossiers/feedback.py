"""Feedback (*phản ánh, kiến nghị*, PAKN) about a dossier or a procedure: writes and reads.

Rules:

- **About what, from whom.** About one's own dossier (the applicant's account only; a complaint about its
  handling, *khiếu nại*, is only possible here), or about a procedure, by anyone: with an account, or
  without one when a phone number or an e-mail address is left for the answer (the portal rate-limits
  those). Feedback about a procedure goes to an agency that receives it (its bindings); the author picks
  it when there are several.
- **Deadline.** The answer is due `FEEDBACK_ANSWER_WORKING_DAYS` (default 10) working days after
  reception, counted like a dossier's time in working days (`working_time.due_time`: Saturdays, Sundays,
  holidays and decided days off skipped; the office time already used on the first day is kept). This is
  a setting, not a legal rule: docs/domain/one-stop.md gives no deadline for PAKN. The deadline is stored
  with its rule and inputs (as OS-DL1 asks for dossiers).
- **Answer.** Once, by an official of the responsible agency or of a unit above it (the same scope as a
  dossier's: `dossiers_visible_to`) holding one of `ANSWER_ROLES`; early / on time / late by the project's
  one rule (`working_time.classify`); the author is told by SMS and e-mail through the outbox in the same
  transaction.
- **The author's view of the answer** (satisfied, not satisfied, or not satisfied and complaining again,
  which opens a follow-up feedback): once, by the author's account; it closes the feedback. Decision 766
  PETITION_HANDLING_SATISFACTION reads it (`feedback_summary`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.accounts.models import Agency, Role, User
from tinhso.accounts.selectors import agencies_visible_to, user_sees_everything
from tinhso.core import working_time as wt
from tinhso.core.audit import audit_record
from tinhso.core.calendar import work_calendar
from tinhso.dossiers.models import (
    AnswerSatisfaction,
    Dossier,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    Punctuality,
)
from tinhso.dossiers.ratings import Period
from tinhso.dossiers.transitions import DossierConflict, DossierForbidden, DossierRuleError
from tinhso.notifications.services import messages_enqueue
from tinhso.procedures.models import Procedure, ProcedureBinding

__all__ = [
    "ANSWER_ROLES",
    "FeedbackNotFound",
    "FeedbackSummary",
    "feedback_agencies_for",
    "feedback_answer",
    "feedback_deadline",
    "feedback_get_for_author",
    "feedback_get_for_official",
    "feedback_may_handle",
    "feedback_of_author",
    "feedback_rate_answer",
    "feedback_submit",
    "feedback_summary",
    "feedback_visible_to_official",
]

# Who answers feedback in a unit: the one-stop counter, heads of department and the agency's leaders.
ANSWER_ROLES = (Role.COUNTER_OFFICER, Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER)
TITLE_MAX = 200
CONTENT_MAX = 5000
ANSWER_MAX = 10000
_PHONE = re.compile(r"^0\d{9}$")


class FeedbackNotFound(LookupError):
    """Unknown, or not the caller's: the pages answer 404 either way."""


# --- Deadline -----------------------------------------------------------------------------------------


def feedback_deadline(received_at: dt.datetime, cal: wt.WorkCalendar | None = None) -> wt.Deadline:
    """When the answer is due: `FEEDBACK_ANSWER_WORKING_DAYS` working days from reception (a received-after-
    hours feedback counts from the next opening, as an online dossier does: no 15:00 cut-off)."""
    cal = cal or work_calendar()
    start = wt.clock_start(received_at, cal, paper=False)
    return wt.due_time(start, int(settings.FEEDBACK_ANSWER_WORKING_DAYS), "working_day", cal)


# --- Writing ------------------------------------------------------------------------------------------


def feedback_agencies_for(procedure: Procedure) -> QuerySet[Agency]:
    """The agencies that receive the procedure (active bindings): those a feedback about it can go to."""
    return Agency.objects.filter(
        is_active=True,
        pk__in=ProcedureBinding.objects.filter(procedure=procedure, is_active=True).values("agency_id"),
    ).order_by("name")


def _clean_text(title: str, content: str) -> tuple[str, str]:
    title, content = title.strip(), content.strip()
    if not title:
        raise DossierRuleError(_("Nhập tiêu đề ngắn cho phản ánh, kiến nghị. / The title is required."))
    if len(title) > TITLE_MAX:
        raise DossierRuleError(_("Tiêu đề tối đa %(n)s ký tự. / The title is too long.") % {"n": TITLE_MAX})
    if not content:
        raise DossierRuleError(_("Nhập nội dung phản ánh, kiến nghị. / The content is required."))
    if len(content) > CONTENT_MAX:
        raise DossierRuleError(
            _("Nội dung tối đa %(n)s ký tự. / The content is too long.")
            % {"n": f"{CONTENT_MAX:,}".replace(",", ".")}
        )
    return title, content


def _contact(phone: str, email: str) -> tuple[str, str]:
    phone = re.sub(r"[\s.\-()]", "", phone or "")
    if phone.startswith("+84"):
        phone = "0" + phone[3:]
    email = (email or "").strip()
    if phone and not _PHONE.match(phone):
        raise DossierRuleError(
            _("Số điện thoại gồm 10 chữ số, bắt đầu bằng 0 (ví dụ 0912345678). / Phone: 10 digits from 0.")
        )
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DossierRuleError(
                _("Địa chỉ thư điện tử chưa đúng (ví dụ ten@example.vn). / The e-mail address is invalid.")
            ) from None
    return phone, email


def _notify(feedback: Feedback, *, event: str, text: str, subject: str) -> None:
    """SMS and e-mail to the author (the account's, else the contact left), in the caller's transaction."""
    author = feedback.author
    phone = (author.phone if author else "") or feedback.contact_phone
    email = (author.email if author else "") or feedback.contact_email
    if author is not None and feedback.dossier_id is not None and not (phone or email):
        phone, email = feedback.dossier.applicant_phone, feedback.dossier.applicant_email  # type: ignore[union-attr]
    topic = f"feedback:{feedback.pk}"
    messages_enqueue(
        [
            {
                "channel": "sms",
                "recipient": phone or "",
                "body": text,
                "dedupe_key": f"feedback:{feedback.pk}:{event}:sms",
                "topic": topic,
            },
            {
                "channel": "email",
                "recipient": email or "",
                "subject": subject,
                "body": text,
                "dedupe_key": f"feedback:{feedback.pk}:{event}:email",
                "topic": topic,
            },
        ]
    )


def _audit(feedback: Feedback, event: str, actor: User | None, new: dict[str, object]) -> None:
    audit_record(
        event=f"feedback.{event}",
        target_type="dossiers.feedback",
        target_id=feedback.pk,
        agency_code=feedback.agency.code,
        actor_id=actor.pk if actor else None,
        actor_label=actor.get_username() if actor else "anonymous",
        new=new,
    )


def feedback_submit(
    *,
    kind: str,
    title: str,
    content: str,
    actor: User | None,
    dossier: Dossier | None = None,
    procedure: Procedure | None = None,
    agency: Agency | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    parent: Feedback | None = None,
    at: dt.datetime | None = None,
) -> Feedback:
    """Receive a feedback about a dossier (its applicant) or about a procedure (anyone; without an account
    with a phone number or an e-mail address). The deadline is computed, the author told by SMS/e-mail."""
    at = at or timezone.now()
    if kind not in FeedbackKind.values:
        raise DossierRuleError(_("Chọn loại: phản ánh hoặc kiến nghị. / Choose a kind."))
    title, content = _clean_text(title, content)
    author = actor if actor is not None and actor.is_authenticated else None
    if author is not None and (not author.is_active or author.is_official):
        raise DossierForbidden(
            _(
                "Cán bộ không gửi phản ánh, kiến nghị bằng tài khoản công vụ. "
                "/ Officials do not send feedback."
            )
        )
    phone, email = _contact(contact_phone, contact_email)
    if dossier is not None:
        if author is None or dossier.applicant_user_id is None or dossier.applicant_user_id != author.pk:
            raise DossierForbidden(
                _("Chỉ người nộp hồ sơ mới phản ánh về hồ sơ này. / Only the applicant may send this.")
            )
        agency, procedure = dossier.agency, dossier.procedure
    else:
        if kind == FeedbackKind.COMPLAINT:
            raise DossierRuleError(
                _(
                    "Khiếu nại về việc giải quyết được gửi từ trang hồ sơ của bạn. "
                    "/ A complaint is sent from the dossier's page."
                )
            )
        if procedure is None:
            raise DossierRuleError(_("Chọn thủ tục cần phản ánh, kiến nghị. / Choose the procedure."))
        agencies = list(feedback_agencies_for(procedure))
        if not agencies:
            raise DossierRuleError(
                _(
                    "Thủ tục này chưa có cơ quan tiếp nhận trên Tỉnh Số để trả lời. "
                    "/ No agency receives this procedure here."
                )
            )
        if agency is None and len(agencies) == 1:
            agency = agencies[0]
        if agency is None or agency.pk not in {a.pk for a in agencies}:
            raise DossierRuleError(
                _("Chọn cơ quan cần trả lời trong danh sách. / Choose the agency from the list.")
            )
    if author is None and not (phone or email):
        raise DossierRuleError(
            _(
                "Để lại số điện thoại hoặc địa chỉ thư điện tử để nhận câu trả lời. "
                "/ Leave a phone number or an e-mail address for the answer."
            )
        )
    deadline = feedback_deadline(at)
    with transaction.atomic():
        feedback = Feedback.objects.create(
            dossier=dossier,
            procedure=procedure,
            parent=parent,
            kind=kind,
            title=title,
            content=content,
            author=author,
            contact_name=contact_name.strip()[:200],
            contact_phone=phone,
            contact_email=email,
            agency=agency,
            received_at=at,
            due_at=deadline.due,
            due_data=deadline.as_record(),
            status=FeedbackStatus.NEW,
        )
        due_text = timezone.localtime(deadline.due, wt.VIETNAM_TZ).strftime("%d/%m/%Y")
        _notify(
            feedback,
            event="received",
            subject=f"Đã nhận phản ánh, kiến nghị số {feedback.pk}",
            text=(
                f"{agency.name} đã nhận phản ánh, kiến nghị số {feedback.pk} “{title[:60]}”. "
                f"Hạn trả lời: {due_text}."
            ),
        )
        _audit(
            feedback,
            "submitted",
            author,
            {
                "kind": kind,
                "dossier": dossier.code if dossier else None,
                "procedure": procedure.code,
                "due": deadline.due,
                "anonymous": author is None,
                **({"follows": parent.pk} if parent else {}),
            },
        )
    return feedback


def feedback_may_handle(user: User, feedback: Feedback) -> bool:
    """An active official whose agency is the responsible one or above it, holding an answering role."""
    if not (user.is_authenticated and user.is_active and user.is_official):
        return False
    if user_sees_everything(user):
        return True
    if not user.has_role(*ANSWER_ROLES) or user.agency is None:
        return False
    return feedback.agency.path.startswith(user.agency.path)


def feedback_answer(
    *, feedback: Feedback | int, official: User, answer: str, at: dt.datetime | None = None
) -> Feedback:
    """Answer a feedback, once; the author is told by SMS and e-mail in the same transaction."""
    at = at or timezone.now()
    answer = answer.strip()
    if not answer:
        raise DossierRuleError(_("Nhập nội dung trả lời. / The answer is required."))
    if len(answer) > ANSWER_MAX:
        raise DossierRuleError(_("Nội dung trả lời quá dài. / The answer is too long."))
    pk = feedback.pk if isinstance(feedback, Feedback) else feedback
    with transaction.atomic():
        f = (
            Feedback.objects.select_for_update(of=("self",))
            .select_related("agency", "author", "dossier")
            .get(pk=pk)
        )
        if not feedback_may_handle(official, f):
            raise DossierForbidden(
                _(
                    "Chỉ cán bộ một cửa, lãnh đạo phòng hoặc lãnh đạo của cơ quan được giao mới trả lời "
                    "phản ánh này. / You may not answer this feedback."
                )
            )
        if f.status != FeedbackStatus.NEW:
            raise DossierConflict(
                _("Phản ánh, kiến nghị số %(n)s đã được trả lời. / Already answered.") % {"n": f.pk}
            )
        f.status = FeedbackStatus.ANSWERED
        f.answer = answer
        f.answered_by = official
        f.answered_at = at
        f.punctuality = wt.classify(at, f.due_at)
        f.save(update_fields=["status", "answer", "answered_by", "answered_at", "punctuality"])
        _notify(
            f,
            event="answered",
            subject=f"Trả lời phản ánh, kiến nghị số {f.pk}",
            text=f"{f.agency.name} trả lời phản ánh, kiến nghị số {f.pk} “{f.title[:60]}”: {answer}",
        )
        _audit(f, "answered", official, {"punctuality": f.punctuality, "due": f.due_at})
    return f


def feedback_rate_answer(
    *,
    feedback: Feedback | int,
    actor: User,
    satisfaction: str,
    content: str = "",
    at: dt.datetime | None = None,
) -> Feedback | None:
    """The author says whether the answer satisfied them, once; it closes the feedback. "Phản ánh tiếp"
    (re-complained) needs the new content and opens a follow-up feedback, returned; otherwise None."""
    at = at or timezone.now()
    if satisfaction not in AnswerSatisfaction.values:
        raise DossierRuleError(_("Chọn một ý kiến về câu trả lời. / Choose an option."))
    if satisfaction == AnswerSatisfaction.RE_COMPLAINED and not content.strip():
        raise DossierRuleError(
            _("Ghi rõ điều bạn chưa đồng ý để gửi phản ánh tiếp. / Say what you still disagree with.")
        )
    pk = feedback.pk if isinstance(feedback, Feedback) else feedback
    with transaction.atomic():
        f = (
            Feedback.objects.select_for_update(of=("self",))
            .select_related("agency", "procedure", "dossier", "author")
            .get(pk=pk)
        )
        if f.author_id is None or not actor.is_authenticated or actor.pk != f.author_id:
            raise DossierForbidden(_("Bạn chỉ đánh giá câu trả lời cho phản ánh của mình. / Not yours."))
        if f.status == FeedbackStatus.NEW:
            raise DossierConflict(_("Phản ánh này chưa được trả lời. / Not answered yet."))
        if f.author_satisfaction:
            raise DossierConflict(
                _("Bạn đã cho ý kiến về câu trả lời này rồi. / You already gave your view of this answer.")
            )
        f.author_satisfaction = satisfaction
        f.satisfaction_at = at
        f.status = FeedbackStatus.CLOSED
        f.closed_at = at
        f.save(update_fields=["author_satisfaction", "satisfaction_at", "status", "closed_at"])
        _audit(f, "answer_rated", actor, {"satisfaction": satisfaction})
        if satisfaction != AnswerSatisfaction.RE_COMPLAINED:
            return None
        return feedback_submit(
            kind=f.kind,
            title=f"Phản ánh tiếp về số {f.pk}: {f.title}"[:TITLE_MAX],
            content=content,
            actor=actor,
            dossier=f.dossier,
            procedure=f.procedure,
            agency=f.agency,
            parent=f,
            at=at,
        )


# --- Reading ------------------------------------------------------------------------------------------


def feedback_visible_to_official(user: User) -> QuerySet[Feedback]:
    """The feedback an official handles: their agency's and the units' under it, if their role answers
    feedback (system administrators: all); nothing for anyone else."""
    qs = Feedback.objects.select_related("agency", "procedure", "dossier", "author", "answered_by")
    if not (user.is_authenticated and user.is_active and user.is_official):
        return qs.none()
    if user_sees_everything(user):
        return qs
    if not user.has_role(*ANSWER_ROLES):
        return qs.none()
    return qs.filter(agency__in=agencies_visible_to(user).values("pk"))


def feedback_get_for_official(user: User, pk: int) -> Feedback:
    found = feedback_visible_to_official(user).filter(pk=pk).first()
    if found is None:
        raise FeedbackNotFound(pk)
    return found


def feedback_of_author(user: User) -> QuerySet[Feedback]:
    """The feedback the person sent from their account, newest first."""
    if not (user.is_authenticated and user.is_active):
        return Feedback.objects.none()
    return Feedback.objects.filter(author=user).select_related("agency", "procedure", "dossier")


def feedback_get_for_author(user: User, pk: int) -> Feedback:
    found = feedback_of_author(user).filter(pk=pk).first()
    if found is None:
        raise FeedbackNotFound(pk)
    return found


@dataclass(frozen=True)
class FeedbackSummary:
    """Feedback received in a period by an agency's subtree, ready for statistics (Decision 766).

    `answered_on_time` counts answers early or on time; `overdue_open` the feedback still unanswered after
    its due time at `now`. PETITION_PROCESSING_ON_TIME = on_time_ratio; PETITION_HANDLING_SATISFACTION =
    (answered − not satisfied − re-complained − late) / answered **[derived]** (the decision's text was not
    read, one-stop.md §15 item 6)."""

    received: int
    answered: int
    answered_on_time: int
    answered_late: int
    open: int
    overdue_open: int
    satisfied: int
    not_satisfied: int
    re_complained: int
    unsatisfactory_answers: int  # answered, and not satisfied, re-complained or late (each once)

    @property
    def on_time_ratio(self) -> Decimal | None:
        handled = self.answered + self.overdue_open
        return _ratio(self.answered_on_time, handled)

    @property
    def handling_satisfaction_ratio(self) -> Decimal | None:
        return _ratio(self.answered - self.unsatisfactory_answers, self.answered)


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"))


def feedback_summary(
    *, agency: Agency | None, period: Period, now: dt.datetime | None = None
) -> FeedbackSummary:
    """Counts of the feedback received in the period by `agency` and the units under it (None: the
    province), in one aggregate query."""
    now = now or timezone.now()
    since, until = period.bounds()
    scope = Q(received_at__gte=since, received_at__lt=until)
    if agency is not None:
        scope &= Q(agency__path__startswith=agency.path)
    answered = ~Q(answered_at=None)
    late = Q(punctuality=Punctuality.LATE)
    unhappy = Q(author_satisfaction__in=[AnswerSatisfaction.NOT_SATISFIED, AnswerSatisfaction.RE_COMPLAINED])
    row = Feedback.objects.filter(scope).aggregate(
        received=Count("pk"),
        answered=Count("pk", filter=answered),
        answered_on_time=Count(
            "pk", filter=answered & Q(punctuality__in=[Punctuality.EARLY, Punctuality.ON_TIME])
        ),
        answered_late=Count("pk", filter=answered & late),
        open=Count("pk", filter=Q(status=FeedbackStatus.NEW)),
        overdue_open=Count("pk", filter=Q(status=FeedbackStatus.NEW, due_at__lt=now)),
        satisfied=Count("pk", filter=Q(author_satisfaction=AnswerSatisfaction.SATISFIED)),
        not_satisfied=Count("pk", filter=Q(author_satisfaction=AnswerSatisfaction.NOT_SATISFIED)),
        re_complained=Count("pk", filter=Q(author_satisfaction=AnswerSatisfaction.RE_COMPLAINED)),
        unsatisfactory_answers=Count("pk", filter=answered & (unhappy | late)),
    )
    return FeedbackSummary(**row)
