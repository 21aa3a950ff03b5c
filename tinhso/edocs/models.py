"""The citizen's e-document store (*kho giấy tờ điện tử*, the province's side of the *Kho quản lý dữ liệu
điện tử của tổ chức, cá nhân*, one-stop.md §11).

edocs sits below dossiers (DESIGN.md): a document names the dossier it came from by its code, never by a
foreign key, and knows nothing else of dossiers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.edocs.storage import edoc_storage, edoc_upload_to


class EDocumentQuerySet(models.QuerySet["EDocument"]):
    def active(self) -> EDocumentQuerySet:
        """Not revoked (a document past its validity is still active: it is history, shown as expired)."""
        return self.filter(revoked_at__isnull=True)


class EDocument(models.Model):
    """A document in a person's store (*giấy tờ điện tử*): a dossier's result, a paper digitised at the
    counter, or a paper the citizen uploaded. The file is kept as received; `sha256` is its content hash."""

    class Kind(models.TextChoices):
        RESULT = "result", _("Kết quả giải quyết thủ tục hành chính")
        DIGITISED = "digitised", _("Giấy tờ số hóa")
        UPLOADED = "uploaded", _("Giấy tờ do công dân tải lên")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="edocuments",
        verbose_name=_("chủ sở hữu"),
    )
    kind = models.CharField(_("loại giấy tờ"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("tên giấy tờ"), max_length=255)
    issuer_name = models.CharField(_("cơ quan cấp"), max_length=255, blank=True)
    issuer_code = models.CharField(_("mã định danh cơ quan cấp"), max_length=32, blank=True)
    issued_on = models.DateField(_("ngày cấp"), null=True, blank=True)
    valid_until = models.DateField(
        _("có giá trị đến ngày"), null=True, blank=True, help_text=_("Để trống nếu có giá trị vĩnh viễn.")
    )
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64, db_index=True)
    file = models.FileField(_("tệp"), storage=edoc_storage, upload_to=edoc_upload_to, max_length=255)
    original_name = models.CharField(_("tên tệp gốc"), max_length=255)
    # Detected from the content by core.files.check_upload, never the client's claim.
    content_type = models.CharField(_("kiểu tệp"), max_length=50)
    size = models.PositiveIntegerField(_("dung lượng (byte)"))
    pages = models.PositiveSmallIntegerField(_("số trang"), default=1)
    source_dossier_code = models.CharField(_("mã hồ sơ nguồn"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("thời điểm lưu"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người lưu"),
    )
    revoked_at = models.DateTimeField(_("thời điểm thu hồi"), null=True, blank=True)
    revoked_reason = models.CharField(_("lý do thu hồi"), max_length=500, blank=True)

    objects = EDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("giấy tờ điện tử")
        verbose_name_plural = _("giấy tờ điện tử")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "kind", "-created_at"], name="edoc_owner_kind_created")]
        constraints = [
            # A result delivered twice (a retried hand-over from dossiers) is one document.
            models.UniqueConstraint(
                fields=["owner", "source_dossier_code", "sha256"],
                condition=~Q(source_dossier_code=""),
                name="edoc_unique_per_dossier_content",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(valid_until__gte=models.F("issued_on")),
                name="edoc_valid_after_issued",
                violation_error_message=_("Ngày hết hiệu lực phải sau ngày cấp."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, today: dt.date | None = None) -> bool:
        """Past its validity (`valid_until` is the last valid day); never for a permanent document."""
        if self.valid_until is None:
            return False
        return self.valid_until < (today or timezone.localdate())


class ShareLink(models.Model):
    """A link that lets anyone holding it see and download one document until it expires
    (*liên kết chia sẻ*). Only the SHA-256 of the token is stored: the raw token is shown once, to the
    owner who made it, and cannot be recovered from the database."""

    document = models.ForeignKey(
        EDocument, on_delete=models.CASCADE, related_name="share_links", verbose_name=_("giấy tờ")
    )
    token_hash = models.CharField(_("mã băm của liên kết"), max_length=64, unique=True)
    # The first characters, so the owner can tell links apart; far too few to guess the rest.
    token_prefix = models.CharField(_("đầu liên kết"), max_length=8)
    created_at = models.DateTimeField(_("thời điểm tạo"), default=timezone.now)
    expires_at = models.DateTimeField(_("hết hạn lúc"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("người tạo")
    )
    revoked_at = models.DateTimeField(_("thời điểm thu hồi"), null=True, blank=True)
    access_count = models.PositiveIntegerField(_("số lần truy cập"), default=0)
    last_accessed_at = models.DateTimeField(_("lần truy cập gần nhất"), null=True, blank=True)

    class Meta:
        verbose_name = _("liên kết chia sẻ")
        verbose_name_plural = _("liên kết chia sẻ")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.token_prefix}… → {self.document_id}"

    def is_active(self, now: dt.datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())


def signed_upload_to(instance: Any, filename: str) -> str:
    """`signed/<yyyy>/<mm>/<token>.pdf`: the issued copy kept by the register (never served by URL)."""
    today = timezone.localdate()
    return f"signed/{today:%Y}/{today:%m}/{instance.token}.pdf"


class SignedDocumentQuerySet(models.QuerySet["SignedDocument"]):
    def active(self) -> SignedDocumentQuerySet:
        return self.filter(revoked_at__isnull=True)


class SignedDocument(models.Model):
    """An entry of the register of signed papers (*sổ đăng ký văn bản đã ký số*): a result or a form an
    agency issued as a PAdES-signed PDF. `token` is the public, random part of the verification address
    printed in the paper's QR code; `sha256` is the hash of the signed bytes, so a file someone holds can
    be matched to its entry; the issued copy itself is kept (`file`) so that the same paper asked for again
    is the same file, not a new signature."""

    class Kind(models.TextChoices):
        RESULT = "result", _("Kết quả giải quyết thủ tục hành chính")
        FORM = "form", _("Biểu mẫu giao cho người nộp hồ sơ")

    token = models.CharField(_("mã xác thực"), max_length=64, unique=True)
    sha256 = models.CharField(_("mã băm SHA-256 của văn bản đã ký"), max_length=64, db_index=True)
    kind = models.CharField(_("loại văn bản"), max_length=12, choices=Kind.choices)
    form = models.CharField(_("mẫu số"), max_length=4, blank=True)
    title = models.CharField(_("tên văn bản"), max_length=255)
    issuer = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+", verbose_name=_("cơ quan ban hành")
    )
    # The name as printed when signed (an agency may be renamed later).
    issuer_name = models.CharField(_("tên cơ quan khi ký"), max_length=255)
    signer_subject = models.CharField(_("chủ thể chứng thư số"), max_length=255)
    signer_fingerprint = models.CharField(_("dấu vân tay chứng thư số (SHA-256)"), max_length=64)
    signature_profile = models.CharField(_("chuẩn chữ ký"), max_length=20)
    issued_at = models.DateTimeField(_("thời điểm ký"))
    source_dossier_code = models.CharField(_("mã hồ sơ nguồn"), max_length=64, db_index=True)
    # What in the dossier issued it, e.g. "result:14" or "form:01:3" (the event's sequence number): the same
    # paper asked for again finds its entry instead of being signed twice.
    source_ref = models.CharField(_("nguồn trong hồ sơ"), max_length=64)
    file = models.FileField(_("bản đã ký"), storage=edoc_storage, upload_to=signed_upload_to, max_length=255)
    size = models.PositiveIntegerField(_("dung lượng (byte)"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người thực hiện"),
    )
    revoked_at = models.DateTimeField(_("thời điểm thu hồi"), null=True, blank=True)
    revoked_reason = models.CharField(_("lý do thu hồi"), max_length=500, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người thu hồi"),
    )

    objects = SignedDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("văn bản đã ký số")
        verbose_name_plural = _("sổ đăng ký văn bản đã ký số")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_dossier_code", "source_ref"], name="signed_doc_unique_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.source_dossier_code})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
