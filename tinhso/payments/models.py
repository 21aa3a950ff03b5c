"""Fees and their payment (*thu phí, lệ phí*): requests, VietQR accounts, bank transactions, reconciliation.

- `CollectionAccount` — *tài khoản chuyên thu*: an agency's bank account that fees are transferred to (BIN +
  account, PAY-3: configuration, not code). A unit without one uses its nearest parent's.
- `BankFeed`: a bank that pushes its credits to our webhook, with the shared secret of its HMAC signature.
- `PaymentRequest` — *yêu cầu thanh toán*: one amount due, with a unique reference (`references.py`) carried
  in the VietQR purpose (62/08, PAY-2); about a generic `subject_key` (a dossier code: this app knows nothing
  of dossiers); open → paid / partly paid / cancelled / exempt (with its legal ground).
- `BankTransaction` — *giao dịch ngân hàng*: one credit as the bank reported it, unique per bank BIN and the
  bank's transaction id, so the same statement imported twice adds nothing.
- `StatementImport`: one bank statement file (CSV or camt.053) or the webhook's deliveries.
- `PaymentMatch`: a transaction applied to a request.
- `ReconciliationIssue` — the officials' queue (*cần xử lý*): partial, excess, duplicate and unmatched
  payments, resolved with a note.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import Agency

bin_validator = RegexValidator(
    r"^\d{6}$", _("Mã BIN ngân hàng gồm 6 chữ số (ví dụ 970415). / The bank BIN has 6 digits.")
)
# VietQR 38/01/01 holds at most 19 characters (PAY-1).
account_validator = RegexValidator(
    r"^[0-9A-Z]{1,19}$",
    _("Số tài khoản gồm 1–19 chữ số hoặc chữ cái in hoa, không dấu cách. / 1–19 digits or capital letters."),
)


class CollectionAccount(models.Model):
    """*Tài khoản thu phí, lệ phí* of an agency (ND 61 Art. 22: fees may be paid by transfer to the agency's
    account). One active account per agency."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="collection_accounts", verbose_name=_("cơ quan")
    )
    bank_bin = models.CharField(_("mã BIN ngân hàng"), max_length=6, validators=[bin_validator])
    bank_name = models.CharField(_("tên ngân hàng"), max_length=200, blank=True)
    account_number = models.CharField(_("số tài khoản"), max_length=19, validators=[account_validator])
    account_name = models.CharField(_("tên tài khoản"), max_length=200)
    is_active = models.BooleanField(_("đang dùng"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency__path", "-is_active", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency"], condition=models.Q(is_active=True), name="collection_account_one_active"
            ),
            models.UniqueConstraint(fields=["bank_bin", "account_number"], name="collection_account_unique"),
        ]
        verbose_name = _("tài khoản thu phí")
        verbose_name_plural = _("tài khoản thu phí")

    def __str__(self) -> str:
        return f"{self.account_number} ({self.bank_name or self.bank_bin}) — {self.account_name}"


class BankFeed(models.Model):
    """A bank that pushes credits to `POST /api/payments/webhook/<code>`, signed with HMAC-SHA256 under
    `secret`. The secret must be kept as such (an HMAC is verified by recomputing it, so a hash of the
    secret would not do): it lives in this row, readable only by system administrators."""

    code = models.SlugField(_("mã"), max_length=30, unique=True)
    name = models.CharField(_("tên ngân hàng"), max_length=200)
    bank_bin = models.CharField(_("mã BIN ngân hàng"), max_length=6, validators=[bin_validator])
    secret = models.CharField(_("khóa bí mật ký HMAC"), max_length=200)
    is_active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("kết nối ngân hàng")
        verbose_name_plural = _("kết nối ngân hàng")

    def __str__(self) -> str:
        return self.name


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Chờ thanh toán")
    PARTLY_PAID = "partly_paid", _("Đã thanh toán một phần")
    PAID = "paid", _("Đã thanh toán")
    EXEMPT = "exempt", _("Được miễn")
    CANCELLED = "cancelled", _("Đã hủy")


# Money may still arrive for these.
OUTSTANDING = frozenset({RequestStatus.OPEN, RequestStatus.PARTLY_PAID})
# The obligation is met (the dossier may move on).
SETTLED = frozenset({RequestStatus.PAID, RequestStatus.EXEMPT})


class RequestKind(models.TextChoices):
    FEE = "fee", _("Phí, lệ phí thủ tục")
    OBLIGATION = "obligation", _("Nghĩa vụ tài chính")


class PaymentRequestQuerySet(models.QuerySet["PaymentRequest"]):
    def outstanding(self) -> PaymentRequestQuerySet:
        return self.filter(status__in=OUTSTANDING)

    def for_subject(self, key: str) -> PaymentRequestQuerySet:
        return self.filter(subject_key=key)


class PaymentRequest(models.Model):
    """*Yêu cầu thanh toán*: one amount due, paid by transfer with its reference, in cash at the counter, or
    exempted with its legal ground."""

    reference = models.CharField(_("mã thanh toán"), max_length=25, unique=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("cơ quan"))
    # The account the QR code points to; empty when the agency has none yet (paid at the counter).
    account = models.ForeignKey(
        CollectionAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    # What the money is for, in the higher app's words: a dossier code. Payments knows no dossiers.
    subject_key = models.CharField(_("mã hồ sơ / đối tượng"), max_length=60, db_index=True)
    kind = models.CharField(_("loại"), max_length=12, choices=RequestKind.choices, default=RequestKind.FEE)
    purpose = models.CharField(_("nội dung thu"), max_length=300)
    amount_vnd = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    paid_vnd = models.PositiveBigIntegerField(_("đã nhận (đồng)"), default=0)
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    payer_name = models.CharField(_("người nộp"), max_length=200)
    payer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("tạo lúc"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    settled_at = models.DateTimeField(_("hoàn thành lúc"), null=True, blank=True)
    # Exemption (*miễn, giảm*) or cancellation: who, and why (the legal ground of an exemption).
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_reason = models.TextField(_("căn cứ / lý do"), blank=True)

    objects = PaymentRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_vnd__gt=0), name="payment_request_positive"),
            # An exemption or a cancellation always states its ground.
            models.CheckConstraint(
                condition=~models.Q(status__in=["exempt", "cancelled"]) | ~models.Q(closed_reason=""),
                name="payment_request_closed_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["agency", "status"], name="payment_request_agency")]
        verbose_name = _("yêu cầu thanh toán")
        verbose_name_plural = _("yêu cầu thanh toán")

    def __str__(self) -> str:
        return self.reference

    @property
    def outstanding_vnd(self) -> int:
        return max(self.amount_vnd - self.paid_vnd, 0) if self.status in OUTSTANDING else 0


class StatementImport(models.Model):
    """One statement file of a collection account (or the webhook's channel), with what it added."""

    class Format(models.TextChoices):
        CSV = "csv", _("Sao kê CSV")
        CAMT053 = "camt053", _("Sao kê ISO 20022 camt.053")
        WEBHOOK = "webhook", _("Ngân hàng gửi tự động")

    account = models.ForeignKey(CollectionAccount, on_delete=models.PROTECT, related_name="imports")
    format = models.CharField(_("định dạng"), max_length=10, choices=Format.choices)
    filename = models.CharField(_("tên tệp"), max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    rows = models.PositiveIntegerField(_("số giao dịch"), default=0)
    added = models.PositiveIntegerField(_("giao dịch mới"), default=0)
    already_known = models.PositiveIntegerField(_("giao dịch đã có"), default=0)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            # The same file twice is the same import (nothing changes the second time).
            models.UniqueConstraint(fields=["account", "sha256"], name="statement_import_unique_file"),
        ]
        verbose_name = _("lần nhập sao kê")
        verbose_name_plural = _("lần nhập sao kê")

    def __str__(self) -> str:
        return f"{self.filename or self.format} ({self.uploaded_at:%Y-%m-%d})"


class TransactionKind(models.TextChoices):
    CREDIT = "credit", _("Ghi có")
    REVERSAL = "reversal", _("Ngân hàng thu hồi giao dịch ghi có")


class BankTransaction(models.Model):
    """A credit to a collection account, or the bank's reversal of one (`kind`, *thu hồi*), as the bank
    reported it. Never changed once recorded, but for one thing: a reversal names the credit it takes back
    (`reverses`) when that is found — when it is recorded, or when the credit is recorded after it
    (reconciliation._cancel_out). The amount is positive either way."""

    bank_bin = models.CharField(max_length=6, validators=[bin_validator])
    transaction_id = models.CharField(_("mã giao dịch ngân hàng"), max_length=100)
    account = models.ForeignKey(CollectionAccount, on_delete=models.PROTECT, related_name="transactions")
    amount_vnd = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    booked_at = models.DateTimeField(_("ngày giao dịch"))
    description = models.TextField(_("nội dung chuyển khoản"), blank=True)
    counterparty_name = models.CharField(_("người chuyển"), max_length=200, blank=True)
    counterparty_account = models.CharField(_("tài khoản chuyển"), max_length=40, blank=True)
    source = models.CharField(max_length=10, choices=StatementImport.Format.choices)
    kind = models.CharField(
        _("loại giao dịch"), max_length=10, choices=TransactionKind.choices, default=TransactionKind.CREDIT
    )
    # The payer's end-to-end id as the bank passed it on (camt.053 `EndToEndId`): a reversal names it.
    end_to_end_id = models.CharField(max_length=100, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    # A reversal: the credit's transaction id as the bank named it (the feed's `reverses`), kept so that a
    # credit recorded after its reversal still finds it (reconciliation._reversal_waiting_for).
    reverses_ref = models.CharField(max_length=100, blank=True)
    statement = models.ForeignKey(
        StatementImport, on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-booked_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["bank_bin", "transaction_id"], name="bank_transaction_unique"),
            models.CheckConstraint(condition=models.Q(amount_vnd__gt=0), name="bank_transaction_positive"),
            # Only a reversal takes a credit back.
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True) | models.Q(kind="reversal"),
                name="bank_transaction_reverses",
            ),
        ]
        verbose_name = _("giao dịch ngân hàng")
        verbose_name_plural = _("giao dịch ngân hàng")

    def __str__(self) -> str:
        return f"{self.bank_bin}/{self.transaction_id}: {self.amount_vnd:,}"


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Chuyển khoản (VietQR)")
    CASH = "cash", _("Tiền mặt tại quầy")


class PaymentMatch(models.Model):
    """A payment applied to a request: a bank transaction, matched automatically by its reference or by an
    official; or cash taken at the counter by an official (`method` cash: no transaction, `matched_by` the
    official who took it, `matched_at` when)."""

    transaction = models.OneToOneField(
        BankTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="match"
    )
    method = models.CharField(
        _("hình thức nộp"), max_length=10, choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER
    )
    request = models.ForeignKey(PaymentRequest, on_delete=models.PROTECT, related_name="matches")
    amount_vnd = models.PositiveBigIntegerField()
    matched_at = models.DateTimeField()
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The request was already paid: the money is a duplicate, to refund (the queue says so).
    duplicate = models.BooleanField(default=False)
    # The bank took the transfer back (its `BankTransaction.reversal`): it no longer counts, its receipt
    # says so.
    reversed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["matched_at", "id"]
        constraints = [
            # A transfer is a bank transaction; cash has none, names who took it, and is never a duplicate
            # (the counter refuses money beyond what is due: services.payment_cash_record).
            models.CheckConstraint(
                condition=(
                    models.Q(method="transfer", transaction__isnull=False)
                    | models.Q(
                        method="cash", transaction__isnull=True, matched_by__isnull=False, duplicate=False
                    )
                ),
                name="payment_match_method",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id or self.method} → {self.request_id}"


class IssueKind(models.TextChoices):
    PARTIAL = "partial", _("Thanh toán thiếu")
    EXCESS = "excess", _("Thanh toán thừa")
    DUPLICATE = "duplicate", _("Thanh toán trùng (yêu cầu đã thanh toán)")
    UNMATCHED = "unmatched", _("Không xác định được mã thanh toán")
    REVERSAL = "reversal", _("Ngân hàng thu hồi khoản đã ghi có")


class ReconciliationIssue(models.Model):
    """One item of the officials' queue: a payment that did not settle a request exactly."""

    kind = models.CharField(_("loại"), max_length=10, choices=IssueKind.choices)
    transaction = models.ForeignKey(BankTransaction, on_delete=models.PROTECT, related_name="issues")
    request = models.ForeignKey(
        PaymentRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="issues"
    )
    # The agency whose officials see it: the request's, else the account's.
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    # Shortfall (partial), surplus (excess) or the whole payment (duplicate, unmatched).
    amount_vnd = models.PositiveBigIntegerField(_("số tiền chênh lệch (đồng)"))
    detail = models.CharField(_("chi tiết"), max_length=300, blank=True)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(_("cách xử lý"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["agency", "resolved_at"], name="reconciliation_queue")]
        verbose_name = _("giao dịch cần xử lý")
        verbose_name_plural = _("giao dịch cần xử lý")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.transaction}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
