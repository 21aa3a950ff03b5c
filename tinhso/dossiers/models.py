"""Dossiers (*hồ sơ thủ tục hành chính*) and everything that happens to them.

- `Dossier`: one application for one procedure, received by one unit (*đơn vị tiếp nhận*), under the
  procedure version it was received under (pinned: a later edit of the catalog does not change it). Its
  state is set only by `tinhso.dossiers.transitions`.
- `DossierCodeCounter`: the per-unit, per-day sequence of the national dossier code (OS-ID1, OS-ID2).
- `DossierPaper` (*thành phần hồ sơ*) and `PaperFile`: the papers, with the files received for each (the
  original as received, and a PDF rendition).
- `DossierStep`: the internal process's steps as this dossier runs them, each with its own due time.
- `DossierEvent`: the full history, one row per transition, with the deadline rule and inputs when the
  deadline changes (OS-DL1).
- `Consultation`: a question to another agency (*lấy ý kiến*), with its own deadline.
- `IdempotencyRecord`: the first answer to a creation request carrying an `Idempotency-Key`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import Agency, Role
from tinhso.core.folding import words_start_words
from tinhso.core.text import fold_name, fold_words
from tinhso.procedures.models import (
    ChannelRule,
    InternalProcess,
    Procedure,
    ProcedureBinding,
    ProcedureVersion,
    RequiredPaper,
    TimeUnit,
)


class Channel(models.TextChoices):
    """How the dossier reached the unit (ND 61 Art. 16; OS-CH2). Decision 766 counts unknown as direct,
    so the channel is mandatory."""

    COUNTER = "counter", _("Trực tiếp tại Bộ phận Một cửa")
    ONLINE = "online", _("Trực tuyến")
    POSTAL = "postal", _("Dịch vụ bưu chính")
    NATIONAL_PORTAL = "national_portal", _("Cổng Dịch vụ công quốc gia")


# Paper dossiers: the 15:00 cut-off applies (ND 61 Art. 18; OS-TR1, DL6).
PAPER_CHANNELS = frozenset({Channel.COUNTER, Channel.POSTAL})


def catalog_channel(channel: str) -> str:
    """The catalog's channel (`ChannelRule.Channel`) whose time and fees apply to a dossier's channel: the
    national portal is online, the counter direct."""
    if channel in (Channel.ONLINE, Channel.NATIONAL_PORTAL):
        return ChannelRule.Channel.ONLINE
    if channel == Channel.POSTAL:
        return ChannelRule.Channel.POSTAL
    return ChannelRule.Channel.DIRECT


class Status(models.TextChoices):
    """Internal states, richer than the ten national codes (OS-ST2); `NATIONAL_STATUS` maps them."""

    SUBMITTED = "submitted", _("Mới đăng ký, chờ tiếp nhận")
    RECEIVED = "received", _("Đã tiếp nhận")
    REFUSED = "refused", _("Từ chối tiếp nhận")
    IN_PROCESS = "in_process", _("Đang xử lý")
    SUPPLEMENT = "supplement", _("Chờ bổ sung, hoàn thiện hồ sơ")
    PAUSED = "paused", _("Chờ thực hiện nghĩa vụ tài chính")
    WITHDRAWN = "withdrawn", _("Đã rút hồ sơ")
    STOPPED = "stopped", _("Dừng giải quyết")
    PROCESSED = "processed", _("Đã xử lý xong")
    RETURNED = "returned", _("Đã trả kết quả")


# OS-ST1: the national status codes (DVCQG `TrangThaiHoSo`), with their national labels.
NATIONAL_STATUS: dict[str, int] = {
    Status.SUBMITTED: 1,
    Status.RECEIVED: 2,
    Status.REFUSED: 3,
    Status.IN_PROCESS: 4,
    Status.SUPPLEMENT: 5,
    Status.PAUSED: 6,
    Status.WITHDRAWN: 7,
    Status.STOPPED: 8,
    Status.PROCESSED: 9,
    Status.RETURNED: 10,
}
NATIONAL_STATUS_LABELS: dict[int, str] = {
    1: "Mới đăng ký",
    2: "Được tiếp nhận",
    3: "Không được tiếp nhận",
    4: "Đang xử lý",
    5: "Yêu cầu bổ sung giấy tờ",
    6: "Yêu cầu thực hiện nghĩa vụ tài chính",
    7: "Công dân yêu cầu rút hồ sơ",
    8: "Dừng xử lý",
    9: "Đã xử lý xong",
    10: "Đã trả kết quả",
}
# States in which the dossier's clock can still run out (it is not finished, refused or withdrawn).
OPEN_STATES = frozenset(
    {Status.SUBMITTED, Status.RECEIVED, Status.IN_PROCESS, Status.SUPPLEMENT, Status.PAUSED}
)


class ApplicantKind(models.TextChoices):
    """DVCQG `LoaiDoiTuong`: 1 citizen, 2 business."""

    CITIZEN = "citizen", _("Công dân")
    BUSINESS = "business", _("Tổ chức, doanh nghiệp")


class Outcome(models.TextChoices):
    APPROVED = "approved", _("Giải quyết (có kết quả)")
    REJECTED = "rejected", _("Từ chối giải quyết (có lý do)")


class ReturnMethod(models.TextChoices):
    COUNTER = "counter", _("Tại Bộ phận Một cửa")
    POST = "post", _("Qua dịch vụ bưu chính")
    ONLINE = "online", _("Trực tuyến (kho dữ liệu điện tử)")


class Punctuality(models.TextChoices):
    """Early / on time / late (docs/domain/one-stop.md §6), by `tinhso.core.working_time.classify`."""

    EARLY = "early", _("Trước hạn")
    ON_TIME = "on_time", _("Đúng hạn")
    LATE = "late", _("Quá hạn")


class DossierCodeCounter(models.Model):
    """The last sequence number given by a receiving unit on a day. Incremented in the transaction that
    creates the dossier, under a row lock, so a rolled-back creation gives its number back: gap-free."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "day"], name="dossier_counter_unique_day")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day}: {self.last}"


class _NameWordsStart(models.Func):
    """PostgreSQL: some lexeme of the name's search copy starts with each of these words —
    `to_tsvector('simple', copy) @@ to_tsquery('simple', 'w1:* & w2:*')`, which the copy's GIN index
    (migration 0007) answers. A necessary condition of `words_start_words` for words of two or more ASCII
    letters, ANDed with it: the copy's words are runs of word characters and dots, one space apart, so
    every token the parser makes of a word starts where the word or a piece of it does, and the first
    covers the word's leading ASCII letters whole ("h.mong" is one host token, "nguyen_van" two words,
    "abc123" one numword: no lexeme is shorter than those letters). It lets a search over many units read
    that index instead of every unit's entries."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, field: str, words: list[str]) -> None:
        super().__init__(models.F(field), models.Value(" & ".join(f"{w}:*" for w in words)))

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, list[Any]]:
        (field_sql, field_params), (query_sql, query_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        return (
            f"to_tsvector('simple'::regconfig, {field_sql}) @@ to_tsquery('simple'::regconfig, {query_sql})",
            [*field_params, *query_params],
        )


def name_index_words(query: str) -> list[str]:
    """The words of a name query that `_NameWordsStart` takes: ASCII letters, two or more."""
    return [w for w in fold_words(query) if len(w) >= 2 and w.isascii() and w.isalpha()]


def applicant_named(query: str, *, by_words_index: bool = False) -> models.Q | None:
    """Dossiers whose applicant's name has every word of the query at the start of one of its words,
    diacritics and case aside ("nguyen thi hang", "Thị Hằng" and "hang" find "Nguyễn Thị Hằng"; "ang"
    does not; punctuation aside); None for a query without a word of two letters or more.

    `by_words_index` (PostgreSQL; `selectors.search` decides): the condition also names the name's words
    index (`_NameWordsStart`), which finds a rare name among many units' dossiers; for a common one, or
    within a unit, the planner does better without it (it takes the two conditions for independent and
    underestimates the matches)."""
    words = fold_words(query)
    if not any(len(word) >= 2 for word in words):  # one-letter words alone would match nearly every name
        return None
    condition = words_start_words("applicant_name_folded", words)
    if by_words_index and connection.vendor == "postgresql" and (indexed := name_index_words(query)):
        condition &= models.Q(_NameWordsStart("applicant_name_folded", indexed))
    return condition


class DossierQuerySet(models.QuerySet["Dossier"]):
    def open(self) -> DossierQuerySet:
        return self.filter(status__in=OPEN_STATES)


class Dossier(models.Model):
    """*Hồ sơ*: one application for one procedure at one receiving unit."""

    # V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX (TT 01/2018 Art. 19; ND 61 Art. 26): unit, date, daily sequence.
    code = models.CharField(_("mã hồ sơ"), max_length=40, unique=True)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("đơn vị tiếp nhận")
    )
    binding = models.ForeignKey(ProcedureBinding, on_delete=models.PROTECT, related_name="dossiers")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="dossiers")
    procedure_version = models.ForeignKey(ProcedureVersion, on_delete=models.PROTECT, related_name="dossiers")
    process = models.ForeignKey(
        InternalProcess, on_delete=models.PROTECT, related_name="dossiers", null=True, blank=True
    )
    channel = models.CharField(_("kênh tiếp nhận"), max_length=20, choices=Channel.choices)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, db_index=True)
    # Bumped by every transition: a client that acted on an older revision gets a conflict (409).
    revision = models.PositiveIntegerField(default=1)

    # The applicant (*người nộp hồ sơ* / *chủ hồ sơ*).
    applicant_kind = models.CharField(max_length=10, choices=ApplicantKind.choices, default="citizen")
    applicant_name = models.CharField(_("họ tên / tên tổ chức"), max_length=200)
    # The search copy of the name (core.text.fold: "nguyen thi hang" finds "Nguyễn Thị Hằng"), kept in step
    # by `save` and set by whatever writes rows without it (transitions._new_dossier, the volume generator).
    # db_default: a server still running the code before it, during a deploy, inserts without the column.
    applicant_name_folded = models.CharField(
        max_length=200, blank=True, default="", db_default="", editable=False
    )
    applicant_id_number = models.CharField(_("số định danh / mã số thuế"), max_length=20, blank=True)
    applicant_phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)
    applicant_address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    applicant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="dossiers"
    )
    authorised_name = models.CharField(_("người được ủy quyền"), max_length=200, blank=True)
    authorised_id_number = models.CharField(_("số định danh người được ủy quyền"), max_length=20, blank=True)
    # Submitted on the applicant's behalf by an official (a person without a smartphone), with their consent.
    on_behalf_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_behalf_consent = models.TextField(_("xác nhận đồng ý của người nộp"), blank=True)

    summary = models.CharField(_("trích yếu"), max_length=500, blank=True)
    form_data = models.JSONField(_("dữ liệu tờ khai"), default=dict, blank=True)
    sets = models.PositiveSmallIntegerField(_("số bộ hồ sơ"), default=1)
    fee_due_vnd = models.PositiveBigIntegerField(_("phí, lệ phí phải nộp (đồng)"), default=0)

    # Time. All instants are stored; the deadline's rule and inputs are in the event that set it.
    submitted_at = models.DateTimeField(_("thời điểm nộp"))
    received_at = models.DateTimeField(_("thời điểm tiếp nhận"), null=True, blank=True)
    legal_value = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    legal_unit = models.CharField(max_length=12, choices=TimeUnit.choices, blank=True)
    clock_start = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("hẹn trả kết quả"), null=True, blank=True, db_index=True)
    due_rule = models.CharField(max_length=40, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    # The state to go back to after a pause or a supplement.
    resume_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    supplement_requests = models.PositiveSmallIntegerField(default=0)
    extensions = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(_("thời điểm xử lý xong"), null=True, blank=True)
    returned_at = models.DateTimeField(_("thời điểm trả kết quả"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # refused, withdrawn or stopped
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("kết quả / lý do"), blank=True)
    return_method = models.CharField(max_length=10, choices=ReturnMethod.choices, blank=True)
    punctuality = models.CharField(max_length=10, choices=Punctuality.choices, blank=True)

    # Who holds it now (*người đang xử lý*) and in which step.
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="held_dossiers",
    )
    current_step = models.ForeignKey(
        "DossierStep", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DossierQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # The worklists' counts read only these columns of a unit's open dossiers: the index answers
            # them alone (an index-only scan on PostgreSQL), without the rows (`selectors.worklist_counts`).
            models.Index(fields=["agency", "status", "due_at", "holder"], name="dossier_worklist"),
            models.Index(fields=["holder", "status"], name="dossier_holder"),
            # The search (selectors.search; migration 0007 builds them without locking the table): by the
            # applicant's ID number; by name within a unit, answered by the index alone (on PostgreSQL: the
            # order's columns are included; SQLite ignores `include`)…
            models.Index(fields=["applicant_id_number"], name="dossier_applicant_id"),
            models.Index(
                fields=["agency", "applicant_name_folded"],
                include=["submitted_at", "id"],
                name="dossier_agency_name",
            ),
            # …and newest first over many units, stopping at the first SEARCH_LIMIT of a common name.
            models.Index(
                fields=["submitted_at", "id"],
                include=["agency", "applicant_name_folded"],
                name="dossier_newest_name",
            ),
        ]
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")

    def __str__(self) -> str:
        return self.code

    def save(self, *args: Any, update_fields: Any = None, **kwargs: Any) -> None:
        fields = None if update_fields is None else set(update_fields)
        if fields is None or "applicant_name" in fields:
            self.applicant_name_folded = fold_name(self.applicant_name)
            if fields is not None:
                fields.add("applicant_name_folded")
        super().save(*args, update_fields=fields, **kwargs)

    @property
    def national_status(self) -> int:
        return NATIONAL_STATUS[self.status]

    @property
    def national_status_label(self) -> str:
        return NATIONAL_STATUS_LABELS[self.national_status]

    @property
    def is_paper(self) -> bool:
        return self.channel in PAPER_CHANNELS


class DossierPaper(models.Model):
    """*Thành phần hồ sơ*: one paper of the checklist, as received."""

    class Kind(models.TextChoices):
        ORIGINAL = "original", _("Bản chính")
        COPY = "copy", _("Bản sao")
        CERTIFIED_COPY = "certified_copy", _("Bản sao có chứng thực")
        ELECTRONIC = "electronic", _("Bản điện tử")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="papers")
    order = models.PositiveSmallIntegerField(default=0)
    required_paper = models.ForeignKey(
        RequiredPaper, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.TextField(_("tên giấy tờ"))
    kind = models.CharField(_("hình thức"), max_length=20, choices=Kind.choices, default=Kind.ORIGINAL)
    quantity = models.PositiveSmallIntegerField(_("số lượng"), default=1)
    provided = models.BooleanField(_("đã nộp"), default=False)
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)

    class Meta:
        ordering = ["dossier", "order", "id"]
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")

    def __str__(self) -> str:
        return self.name[:80]


class PaperFile(models.Model):
    """A file received for a paper: the original as uploaded (checked by content) and a PDF rendition."""

    paper = models.ForeignKey(DossierPaper, on_delete=models.CASCADE, related_name="files")
    original = models.FileField(upload_to="dossiers/originals/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)  # detected from the content, not the client's claim
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    rendition = models.FileField(upload_to="dossiers/renditions/%Y/%m/")
    pages = models.PositiveSmallIntegerField(default=1)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paper", "id"]

    def __str__(self) -> str:
        return self.original_name


class DossierStep(models.Model):
    """One step of the internal process as this dossier runs it, with its own due time (OS-DL12)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=300)
    role = models.CharField(max_length=30, choices=Role.choices)
    budget_value = models.DecimalField(max_digits=8, decimal_places=2)
    budget_unit = models.CharField(max_length=12, choices=TimeUnit.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    punctuality = models.CharField(max_length=10, choices=Punctuality.choices, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["dossier", "order", "id"]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.order} {self.name}"


class DossierEvent(models.Model):
    """One transition of a dossier (its history, *quá trình xử lý*). Append-only."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()  # the dossier's revision this event produced
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    national_status = models.PositiveSmallIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    at = models.DateTimeField()
    # Mẫu 01–07 this event issued ("01" …), rendered on request from the event's data.
    form = models.CharField(max_length=2, blank=True)
    note = models.TextField(blank=True)
    # Reasons, checklists, the deadline with its rule and inputs (OS-DL1), the hand-over's punctuality …
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["dossier", "seq"]
        constraints = [models.UniqueConstraint(fields=["dossier", "seq"], name="dossier_event_unique_seq")]
        indexes = [
            # The statistics' "Yêu cầu bổ sung" counts the dossiers asked in a period: a range of this small
            # index (one row in ~10 events), not a scan of every event (`reports.stats._supplement`).
            models.Index(
                fields=["at", "dossier"],
                name="event_supplement_at",
                condition=models.Q(action="request_supplement"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.action}"


# A consultation of a dossier in one of these states is moot: not listed as waiting, not answered.
CONSULTATION_CLOSED = (
    Status.PROCESSED,
    Status.RETURNED,
    Status.REFUSED,
    Status.STOPPED,
    Status.WITHDRAWN,
)


class Consultation(models.Model):
    """*Lấy ý kiến*: a question to another agency during processing, with its own deadline."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="consultations")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    question = models.TextField()
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField()
    due_at = models.DateTimeField()
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dossier", "asked_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.agency_id}"


class IdempotencyRecord(models.Model):
    """The dossier a creation request made, under the client's `Idempotency-Key`: a retry gets it back."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)  # sha256 of the request body
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_key")]

    def __str__(self) -> str:
        return self.key


# --- Ratings and feedback (*đánh giá, phản ánh, kiến nghị*; docs/domain/one-stop.md §10, §12) -------------
#
# - `DossierRating`: the applicant's rating of one dossier (TT 01/2018 Art. 13 indicators 1, 3, 4, 7, and
#   indicators 10 and 11 on the satisfaction scale, OS-SA3), one per dossier, written by
#   `tinhso.dossiers.ratings.rating_submit`.
# - `Feedback` (*phản ánh, kiến nghị*, PAKN): about a dossier or a procedure, answered by the responsible
#   agency within a deadline in working days (`tinhso.dossiers.feedback`).


class RatingChannel(models.TextChoices):
    """Where the rating came from (TT 01/2018 Arts. 12, 14; OS-SA2)."""

    ONLINE = "online", _("Trực tuyến")
    KIOSK = "kiosk", _("Màn hình đánh giá tại quầy")
    COUNTER_FORM = "counter_form", _("Phiếu đánh giá giấy tại Bộ phận Một cửa")


class TimeScore(models.IntegerChoices):
    """Indicator 1 (TT 01/2018 Art. 13): total time against the statutory time."""

    SHORTER = 2, _("Sớm hơn ngày hẹn trả")
    EQUAL = 1, _("Đúng ngày hẹn trả")
    LONGER = 0, _("Muộn hơn ngày hẹn trả")


class ContactsScore(models.IntegerChoices):
    """Indicator 3: how many times the applicant had to contact the receiving unit to complete the dossier
    (online contacts included). Thresholds **[unverified]** (one-stop.md §10, §15 item 8): data, not law."""

    AT_MOST_ONCE = 2, _("Không quá 1 lần")
    TWICE = 1, _("2 lần")
    MORE = 0, _("Từ 3 lần trở lên")


class AgenciesScore(models.IntegerChoices):
    """Indicator 4: how many agencies the applicant had to contact. Thresholds **[unverified]**."""

    ONE = 2, _("Chỉ 1 nơi (Bộ phận Một cửa)")
    TWO = 1, _("2 cơ quan, đơn vị")
    MORE = 0, _("Từ 3 cơ quan, đơn vị trở lên")


class AttitudeScore(models.IntegerChoices):
    """Indicator 7: the officials' attitude when guiding, receiving and handling. Wording **[unverified]**."""

    COURTEOUS = 2, _("Lịch sự, tận tình, chu đáo")
    INDIFFERENT = 1, _("Chưa tận tình, chưa chu đáo")
    HARASSING = 0, _("Gây phiền hà, nhũng nhiễu")


class Satisfaction(models.TextChoices):
    """Indicators 10 (ease of use) and 11 (overall) on TD's scale (OS-SA3); Decision 766 counts "Không hài
    lòng" against the province (DOSSIER_RECEIVING_SATISFACTION)."""

    VERY_SATISFIED = "very_satisfied", _("Rất hài lòng")
    SATISFIED = "satisfied", _("Hài lòng")
    NOT_SATISFIED = "not_satisfied", _("Không hài lòng")


class DossierRating(models.Model):
    """*Đánh giá việc giải quyết hồ sơ*: one per dossier (the unique key is the last word on a race)."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="rating")
    # The applicant's answers (TT 01/2018 Art. 13; OS-SA2: 1, 3, 4, 7 come from the applicant).
    time_score = models.PositiveSmallIntegerField(
        _("thời gian giải quyết so với hẹn"), choices=TimeScore.choices
    )
    # Indicator 1 as the system computes it from the dossier's instants (OS-SA2 cross-check); empty when the
    # dossier was never processed (refused at reception, stopped).
    time_score_system = models.PositiveSmallIntegerField(
        _("thời gian giải quyết (hệ thống tính)"), choices=TimeScore.choices, null=True, blank=True
    )
    contacts_score = models.PositiveSmallIntegerField(_("số lần phải liên hệ"), choices=ContactsScore.choices)
    agencies_score = models.PositiveSmallIntegerField(
        _("số cơ quan phải liên hệ"), choices=AgenciesScore.choices
    )
    attitude_score = models.PositiveSmallIntegerField(_("thái độ của cán bộ"), choices=AttitudeScore.choices)
    ease_of_use = models.CharField(
        _("mức độ dễ sử dụng"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    overall = models.CharField(_("đánh giá chung"), max_length=20, choices=Satisfaction.choices)
    comment = models.TextField(_("ý kiến khác"), blank=True)
    channel = models.CharField(_("hình thức đánh giá"), max_length=20, choices=RatingChannel.choices)
    rated_at = models.DateTimeField(_("thời điểm đánh giá"))
    # The applicant's account when they rated online; empty at a kiosk or on a paper form.
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who recorded it: the kiosk's account, or the counter officer who typed in a paper form.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Snapshot for statistics, so counts per unit and procedure need no join through the dossier.
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="+")
    dossier_status = models.CharField(max_length=20, choices=Status.choices)

    class Meta:
        ordering = ["-rated_at", "-id"]
        indexes = [models.Index(fields=["agency", "rated_at"], name="rating_agency_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(time_score__lte=2)
                & models.Q(contacts_score__lte=2)
                & models.Q(agencies_score__lte=2)
                & models.Q(attitude_score__lte=2)
                & (models.Q(time_score_system__isnull=True) | models.Q(time_score_system__lte=2)),
                name="rating_scores_0_to_2",
            ),
        ]
        permissions = [("operate_rating_kiosk", "Vận hành màn hình đánh giá tại quầy")]
        verbose_name = _("đánh giá hồ sơ")
        verbose_name_plural = _("đánh giá hồ sơ")

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.overall}"

    @property
    def time_disagrees(self) -> bool:
        """The applicant's indicator 1 differs from the system's (a cross-check for the statistics)."""
        return self.time_score_system is not None and self.time_score_system != self.time_score


class FeedbackKind(models.TextChoices):
    REFLECTION = "reflection", _("Phản ánh")
    RECOMMENDATION = "recommendation", _("Kiến nghị")
    # About the handling of one's own dossier only.
    COMPLAINT = "complaint", _("Khiếu nại về việc giải quyết hồ sơ")


class FeedbackStatus(models.TextChoices):
    NEW = "new", _("Chờ trả lời")
    ANSWERED = "answered", _("Đã trả lời")
    CLOSED = "closed", _("Đã kết thúc")


class AnswerSatisfaction(models.TextChoices):
    """The author's view of the answer: Decision 766 PETITION_HANDLING_SATISFACTION counts the answers
    judged unsatisfying or complained about again against the province."""

    SATISFIED = "satisfied", _("Hài lòng với câu trả lời")
    NOT_SATISFIED = "not_satisfied", _("Không hài lòng với câu trả lời")
    RE_COMPLAINED = "re_complained", _("Không hài lòng, phản ánh tiếp")


class Feedback(models.Model):
    """*Phản ánh, kiến nghị* (PAKN) about a dossier or a procedure, answered by the responsible agency
    within `FEEDBACK_ANSWER_WORKING_DAYS` working days (a setting: one-stop.md states no deadline)."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, null=True, blank=True, related_name="feedback"
    )
    # Always set: the dossier's procedure when the feedback is about a dossier.
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="+")
    # The feedback this one follows up (the author was not satisfied with its answer).
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups"
    )
    kind = models.CharField(_("loại"), max_length=20, choices=FeedbackKind.choices)
    title = models.CharField(_("tiêu đề"), max_length=200)
    content = models.TextField(_("nội dung"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="feedback"
    )
    # How to reach an author without an account (anonymous feedback about a procedure).
    contact_name = models.CharField(_("họ tên người gửi"), max_length=200, blank=True)
    contact_phone = models.CharField(_("số điện thoại liên hệ"), max_length=20, blank=True)
    contact_email = models.EmailField(_("thư điện tử liên hệ"), blank=True)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("cơ quan trả lời")
    )
    received_at = models.DateTimeField(_("thời điểm nhận"))
    due_at = models.DateTimeField(_("hạn trả lời"))
    # The deadline's rule and inputs (as for dossiers, OS-DL1).
    due_data = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=FeedbackStatus.choices, default=FeedbackStatus.NEW
    )
    answer = models.TextField(_("nội dung trả lời"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("thời điểm trả lời"), null=True, blank=True)
    punctuality = models.CharField(max_length=10, choices=Punctuality.choices, blank=True)
    author_satisfaction = models.CharField(
        _("ý kiến về câu trả lời"), max_length=20, choices=AnswerSatisfaction.choices, blank=True
    )
    satisfaction_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "status", "due_at"], name="feedback_queue"),
            models.Index(fields=["author", "received_at"], name="feedback_author"),
        ]
        constraints = [
            # Someone must be reachable for the answer: an account, or a phone number or an e-mail address.
            models.CheckConstraint(
                condition=models.Q(author__isnull=False)
                | ~models.Q(contact_phone="")
                | ~models.Q(contact_email=""),
                name="feedback_reachable_author",
            ),
        ]
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = _("phản ánh, kiến nghị")

    def __str__(self) -> str:
        return f"PAKN {self.pk}: {self.title[:60]}"
