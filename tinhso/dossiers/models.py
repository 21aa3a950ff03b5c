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

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import Agency, Role
from tinhso.procedures.models import (
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
        ]
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")

    def __str__(self) -> str:
        return self.code

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

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.action}"


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
