"""The procedure catalog (*danh mục thủ tục hành chính*).

- `Procedure` — *thủ tục hành chính*: one national code (`1.001193`); its content lives in versions.
- `ProcedureVersion`: the content as published by one decision, immutable once created; every import or
  edit that changes content creates a new one (docs/domain/one-stop.md OS-SC2), and a dossier pins the
  version it was received under. Children: `ChannelRule` (+ `Fee`), `RequiredPaper`, `LegalBasis`,
  `ResultDocument`, and `ParseProblem` (what the importer could not read, with the original text).
- `ProcedureBinding`: the province's own binding of a procedure to one of its agencies, with its local
  code `<national code>.<agency identifier>`; `InternalProcess` (*quy trình nội bộ*, versioned) and its
  `ProcessStep`s: who does what, in what time (TT 01/2018 Art. 13 indicator 2; OS-DL12).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import Agency, Role
from tinhso.core.folding import FoldedNameMixin, FoldedNameQuerySet

procedure_code_validator = RegexValidator(
    r"^[1-3]\.\d{6}$", _("Mã thủ tục quốc gia có dạng 1.001193 (một chữ số, dấu chấm, sáu chữ số).")
)


class TimeUnit(models.TextChoices):
    WORKING_DAY = "working_day", _("ngày làm việc")
    DAY = "day", _("ngày")
    HOUR = "hour", _("giờ")
    MONTH = "month", _("tháng")
    YEAR = "year", _("năm")


class OnlineLevel(models.TextChoices):
    FULL = "full", _("Toàn trình")
    PARTIAL = "partial", _("Một phần")
    INFORMATION = "information", _("Cung cấp thông tin")
    # The page has an online channel but does not say whether it is toàn trình or một phần.
    UNKNOWN = "unknown", _("Chưa xác định")


class Level(models.TextChoices):
    MINISTRY = "ministry", _("Cấp bộ")
    PROVINCE = "province", _("Cấp tỉnh")
    COMMUNE = "commune", _("Cấp xã")
    OTHER = "other", _("Cơ quan khác")


class ProcedureField(FoldedNameMixin, models.Model):
    """*Lĩnh vực*: the field a procedure belongs to (Hộ tịch, Cư trú, …)."""

    name = models.CharField(_("tên"), max_length=200, unique=True)
    name_folded = models.CharField(max_length=200, db_index=True, editable=False)

    objects = FoldedNameQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    """*Thủ tục hành chính*: the stable identity; what it says is in `current_version`.

    The columns beside the code are copies of the current version's, for listing, filtering and search.
    """

    code = models.CharField(_("mã thủ tục"), max_length=8, unique=True, validators=[procedure_code_validator])
    # Text, not a bounded string: 11 national names run past 500 characters (the longest 1,094).
    name = models.TextField(_("tên thủ tục"))
    name_folded = models.TextField(editable=False)
    field = models.ForeignKey(
        ProcedureField, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("lĩnh vực")
    )
    level_ministry = models.BooleanField(_("cấp bộ"), default=False)
    level_province = models.BooleanField(_("cấp tỉnh"), default=False)
    level_commune = models.BooleanField(_("cấp xã"), default=False)
    level_other = models.BooleanField(_("cơ quan khác"), default=False)
    online_level = models.CharField(_("mức độ trực tuyến"), max_length=12, choices=OnlineLevel.choices)
    # Folded text of the version's body (steps, papers, conditions, results, field), for search.
    body_folded = models.TextField(editable=False, blank=True)
    current_version = models.OneToOneField(
        "ProcedureVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("phiên bản hiện hành"),
    )
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def levels(self) -> list[str]:
        flags = [
            (Level.MINISTRY, self.level_ministry),
            (Level.PROVINCE, self.level_province),
            (Level.COMMUNE, self.level_commune),
            (Level.OTHER, self.level_other),
        ]
        return [level.value for level, on in flags if on]


class ProcedureVersion(models.Model):
    """The content of a procedure as of one import or edit. Never changed once created."""

    class Source(models.TextChoices):
        IMPORT = "import", _("Nhập từ CSDL quốc gia")
        EDIT = "edit", _("Chỉnh sửa")

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("phiên bản"))
    content_hash = models.CharField(_("mã băm nội dung"), max_length=64)
    source = models.CharField(_("nguồn"), max_length=10, choices=Source.choices)
    source_url = models.URLField(_("trang nguồn"), max_length=300, blank=True)
    decision_number = models.CharField(_("số quyết định công bố"), max_length=100, blank=True)
    effective_date = models.DateField(_("ngày hiệu lực"), null=True, blank=True)
    name = models.TextField(_("tên thủ tục"))
    field_name = models.CharField(_("lĩnh vực"), max_length=200)
    levels = models.JSONField(_("cấp thực hiện"), default=list)
    procedure_type = models.CharField(_("loại thủ tục"), max_length=200, blank=True)
    applicants = models.TextField(_("đối tượng thực hiện"), blank=True)
    competent_agency = models.TextField(_("cơ quan có thẩm quyền"), blank=True)
    implementing_agency = models.TextField(_("cơ quan thực hiện"), blank=True)
    receiving_address = models.TextField(_("địa chỉ tiếp nhận"), blank=True)
    delegated_agency = models.TextField(_("cơ quan được ủy quyền"), blank=True)
    coordinating_agency = models.TextField(_("cơ quan phối hợp"), blank=True)
    related_codes = models.JSONField(_("thủ tục liên quan"), default=list, blank=True)
    steps = models.TextField(_("trình tự thực hiện"), blank=True)
    conditions = models.TextField(_("yêu cầu, điều kiện"), blank=True)
    online_level = models.CharField(_("mức độ trực tuyến"), max_length=12, choices=OnlineLevel.choices)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        ordering = ["procedure__code", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="procedure_version_unique_number")
        ]
        verbose_name = _("phiên bản thủ tục")
        verbose_name_plural = _("phiên bản thủ tục")

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number}"


class ChannelRule(models.Model):
    """One channel of a version (*cách thức thực hiện*): processing time and fees."""

    class Channel(models.TextChoices):
        DIRECT = "direct", _("Trực tiếp")
        ONLINE = "online", _("Trực tuyến")
        POSTAL = "postal", _("Dịch vụ bưu chính")

    class FeeKind(models.TextChoices):
        FREE = "free", _("Miễn phí")
        AMOUNTS = "amounts", _("Theo mức thu")
        REGULATED = "regulated", _("Mức thu do văn bản khác quy định")
        TEXT = "text", _("Theo văn bản")
        UNKNOWN = "unknown", _("Không có thông tin")

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="channels")
    # A channel may have several rows (e.g. 2.000815: at the commune, and at an embassy, in USD).
    order = models.PositiveSmallIntegerField(default=0)
    channel = models.CharField(_("hình thức nộp"), max_length=10, choices=Channel.choices)
    time_value = models.DecimalField(_("thời hạn"), max_digits=8, decimal_places=2, null=True, blank=True)
    time_unit = models.CharField(_("đơn vị"), max_length=12, choices=TimeUnit.choices, blank=True)
    time_text = models.TextField(_("thời hạn (nguyên văn)"), blank=True)
    fee_kind = models.CharField(_("phí, lệ phí"), max_length=10, choices=FeeKind.choices)
    fee_text = models.TextField(_("phí, lệ phí (nguyên văn)"), blank=True)
    description = models.TextField(_("mô tả"), blank=True)

    class Meta:
        ordering = ["version", "order"]
        verbose_name = _("cách thức thực hiện")
        verbose_name_plural = _("cách thức thực hiện")

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.time_value or '?'} {self.get_time_unit_display()}"

    @property
    def fee_reference(self) -> str:
        """For a regulated fee: the note naming the regulation or council that sets the amount, without
        the portal's "Miễn phí" before it (the portal writes "free" whenever it has no amount, which would
        mislead a citizen here)."""
        text = self.fee_text.removeprefix("Miễn phí").strip()
        if text.startswith("(") and text.endswith(")"):
            text = text[1:-1].strip()
        return text


class Fee(models.Model):
    class Currency(models.TextChoices):
        VND = "VND", _("đồng")
        # Consular and some exit-entry fees are stated in US dollars.
        USD = "USD", _("đô la Mỹ")

    rule = models.ForeignKey(ChannelRule, on_delete=models.CASCADE, related_name="fees")
    order = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(_("khoản thu"), max_length=300, blank=True)
    # In `currency` units (đồng, or dollars for USD): the name is kept from the first schema.
    amount_vnd = models.PositiveBigIntegerField(_("số tiền"))
    currency = models.CharField(
        _("đơn vị tiền"), max_length=3, choices=Currency.choices, default=Currency.VND
    )

    class Meta:
        ordering = ["rule", "order"]
        verbose_name = _("khoản phí, lệ phí")
        verbose_name_plural = _("khoản phí, lệ phí")

    def __str__(self) -> str:
        return f"{self.label} {self.amount_vnd:,} {self.currency}"


class RequiredPaper(models.Model):
    """One paper of the dossier (*thành phần hồ sơ*)."""

    class Kind(models.TextChoices):
        ORIGINAL = "original", _("Bản chính")
        COPY = "copy", _("Bản sao")
        CERTIFIED_COPY = "certified_copy", _("Bản sao chứng thực")
        ORIGINAL_OR_COPY = "original_or_copy", _("Bản chính hoặc bản sao")
        ORIGINAL_AND_COPY = "original_and_copy", _("Bản chính và bản sao")
        UNKNOWN = "unknown", _("Chưa rõ")

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="papers")
    order = models.PositiveSmallIntegerField(default=0)
    group = models.CharField(_("nhóm"), max_length=300, blank=True)
    name = models.TextField(_("tên giấy tờ"))
    kind = models.CharField(_("loại bản"), max_length=20, choices=Kind.choices, default=Kind.UNKNOWN)
    quantity = models.PositiveSmallIntegerField(_("số lượng"), null=True, blank=True)
    originals = models.PositiveSmallIntegerField(_("số bản chính"), null=True, blank=True)
    copies = models.PositiveSmallIntegerField(_("số bản sao"), null=True, blank=True)
    quantity_text = models.CharField(_("số lượng (nguyên văn)"), max_length=300, blank=True)
    form_template = models.CharField(_("mẫu đơn, tờ khai"), max_length=500, blank=True)

    class Meta:
        ordering = ["version", "order"]
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")

    def __str__(self) -> str:
        return self.name[:80]


class LegalBasis(models.Model):
    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="legal_basis")
    order = models.PositiveSmallIntegerField(default=0)
    number = models.CharField(_("số hiệu văn bản"), max_length=100)
    title = models.TextField(_("tên văn bản"))

    class Meta:
        ordering = ["version", "order"]
        verbose_name = _("căn cứ pháp lý")
        verbose_name_plural = _("căn cứ pháp lý")

    def __str__(self) -> str:
        return self.number


class ResultDocument(models.Model):
    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="results")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.TextField(_("tên kết quả"))
    code = models.CharField(_("mã kết quả"), max_length=40, blank=True)

    class Meta:
        ordering = ["version", "order"]
        verbose_name = _("kết quả thực hiện")
        verbose_name_plural = _("kết quả thực hiện")

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class ParseProblem(models.Model):
    """A field of the national record the importer could not read; the original text is kept."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="problems")
    field = models.CharField(_("trường"), max_length=60)
    message = models.TextField(_("vấn đề"))
    raw = models.TextField(_("nguyên văn"), blank=True)

    class Meta:
        ordering = ["version", "field", "id"]
        verbose_name = _("lỗi đọc dữ liệu")
        verbose_name_plural = _("lỗi đọc dữ liệu")

    def __str__(self) -> str:
        return f"{self.field}: {self.message[:60]}"


class ProcedureBinding(models.Model):
    """The province's binding of a procedure to one of its agencies (who carries it out)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="bindings")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="procedure_bindings")
    # `<national code>.<agency identifier>` (docs/domain/one-stop.md §4): 1.001193.000.00.30.H60
    local_code = models.CharField(_("mã thủ tục của tỉnh"), max_length=40, unique=True)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)
    current_process = models.OneToOneField(
        "InternalProcess",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("quy trình nội bộ hiện hành"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["procedure__code", "agency__path"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "agency"], name="binding_unique_procedure_agency")
        ]
        verbose_name = _("thủ tục của cơ quan")
        verbose_name_plural = _("thủ tục của cơ quan")

    def __str__(self) -> str:
        return self.local_code


class InternalProcess(models.Model):
    """*Quy trình nội bộ*: one version of the ordered steps of a binding. Never changed once created."""

    binding = models.ForeignKey(ProcedureBinding, on_delete=models.PROTECT, related_name="processes")
    number = models.PositiveIntegerField(_("phiên bản"))
    total_value = models.DecimalField(_("tổng thời gian"), max_digits=8, decimal_places=2)
    total_unit = models.CharField(_("đơn vị"), max_length=12, choices=TimeUnit.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        ordering = ["binding", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["binding", "number"], name="internal_process_unique_number")
        ]
        verbose_name = _("quy trình nội bộ")
        verbose_name_plural = _("quy trình nội bộ")

    def __str__(self) -> str:
        return f"{self.binding.local_code} quy trình v{self.number}"


class ProcessStep(models.Model):
    process = models.ForeignKey(InternalProcess, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    name = models.CharField(_("bước"), max_length=300)
    role = models.CharField(_("vai trò thực hiện"), max_length=30, choices=Role.choices)
    duration_value = models.DecimalField(_("thời gian"), max_digits=8, decimal_places=2)
    duration_unit = models.CharField(_("đơn vị"), max_length=12, choices=TimeUnit.choices)

    class Meta:
        ordering = ["process", "order"]
        constraints = [models.UniqueConstraint(fields=["process", "order"], name="process_step_unique_order")]
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("bước xử lý")

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"
