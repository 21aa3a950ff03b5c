"""People, agencies and administrative units.

- `Province`, `Commune`: the two-level local government since 1 July 2025 (*tỉnh*, *xã/phường/đặc khu*).
- `FormerCommune`: a commune-level unit before 1 July 2025 and the new commune(s) it went into, so that
  older addresses resolve (docs/domain/one-stop.md OS-LG2). Historical addresses are never rewritten.
- `Agency` — *cơ quan, đơn vị*: a tree, each with its electronic identifier code (QCVN 102:2016).
- `User`: citizens (*công dân*) and officials (*cán bộ, công chức*) in one model; roles are groups.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.national_id import validate_national_id
from tinhso.core.folding import FoldedNameMixin, FoldedNameQuerySet


class Province(FoldedNameMixin, models.Model):
    """*Tỉnh / thành phố trực thuộc trung ương* after 1 July 2025."""

    code = models.CharField(_("mã"), max_length=2, unique=True)
    name = models.CharField(_("tên"), max_length=100)
    name_folded = models.CharField(max_length=100, db_index=True, editable=False)
    division_type = models.CharField(_("loại"), max_length=40)
    codename = models.SlugField(max_length=60)
    phone_code = models.PositiveSmallIntegerField(_("mã vùng điện thoại"), null=True, blank=True)

    objects = FoldedNameQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("tỉnh, thành phố")
        verbose_name_plural = _("tỉnh, thành phố")

    def __str__(self) -> str:
        return self.name


class Commune(FoldedNameMixin, models.Model):
    """*Xã, phường, đặc khu* after 1 July 2025 (5-digit national statistics code)."""

    code = models.CharField(_("mã"), max_length=5, unique=True)
    name = models.CharField(_("tên"), max_length=100)
    name_folded = models.CharField(max_length=100, db_index=True, editable=False)
    division_type = models.CharField(_("loại"), max_length=40)
    codename = models.SlugField(max_length=80)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="communes")

    objects = FoldedNameQuerySet.as_manager()

    class Meta:
        ordering = ["province__code", "code"]
        verbose_name = _("xã, phường")
        verbose_name_plural = _("xã, phường")

    def __str__(self) -> str:
        return f"{self.name}, {self.province.name}"


class FormerCommune(models.Model):
    """One row of the national old→new table: a pre-2025 commune and one new commune it went into.

    A commune split between several new communes (*nhập một phần*) has several rows.
    """

    class Merge(models.TextChoices):
        WHOLE = "whole", _("Nhập toàn bộ")
        PART = "part", _("Nhập một phần")
        UNCHANGED = "unchanged", _("Giữ nguyên")
        OTHER = "other", _("Khác")

    old_code = models.CharField(_("mã xã cũ"), max_length=5, db_index=True)
    old_name = models.CharField(_("tên xã cũ"), max_length=100)
    old_name_folded = models.CharField(max_length=100, db_index=True, editable=False)
    old_district = models.CharField(_("quận/huyện cũ"), max_length=100)
    old_province = models.CharField(_("tỉnh cũ"), max_length=100)
    new_commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="former_communes")
    merge = models.CharField(_("hình thức"), max_length=10, choices=Merge.choices)
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)

    class Meta:
        ordering = ["old_code", "new_commune__code"]
        constraints = [
            models.UniqueConstraint(fields=["old_code", "new_commune"], name="former_commune_unique_pair")
        ]
        verbose_name = _("xã cũ (trước 01/7/2025)")
        verbose_name_plural = _("xã cũ (trước 01/7/2025)")

    def __str__(self) -> str:
        return f"{self.old_name} ({self.old_code}) → {self.new_commune.name}"


agency_code_validator = RegexValidator(
    # V1V2V3.Z1Z2.Y1Y2.MX1X2 (QCVN 102:2016; Decision 20/2020/QĐ-TTg): levels 4, 3, 2 then level 1,
    # where level 1 is G.. (ministries) or H.. (provinces).
    r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[GH][0-9]{2}$",
    _("Mã định danh phải có dạng 000.00.00.H60 (mã định danh điện tử theo QCVN 102:2016)."),
)


class AgencyQuerySet(FoldedNameQuerySet):
    def subtree_of(self, agency: Agency) -> AgencyQuerySet:
        return self.filter(path__startswith=agency.path)


class Agency(FoldedNameMixin, models.Model):
    """*Cơ quan, đơn vị*: a node of the province's agency tree, with its electronic identifier code."""

    class Kind(models.TextChoices):
        PROVINCIAL_COMMITTEE = "provincial_committee", _("UBND tỉnh")
        DEPARTMENT = "department", _("Sở, ban, ngành")
        SERVICE_CENTRE = "service_centre", _("Trung tâm Phục vụ hành chính công")
        COMMUNE_COMMITTEE = "commune_committee", _("UBND xã, phường")
        UNIT = "unit", _("Đơn vị trực thuộc")

    code = models.CharField(_("mã định danh"), max_length=16, unique=True, validators=[agency_code_validator])
    name = models.CharField(_("tên"), max_length=200)
    name_folded = models.CharField(max_length=200, db_index=True, editable=False)
    kind = models.CharField(_("loại"), max_length=30, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("cấp trên"),
    )
    # Materialised path of ids ("/1/5/"), so a subtree is one indexed prefix query on any database.
    path = models.CharField(max_length=255, db_index=True, editable=False)
    commune = models.OneToOneField(
        Commune,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="committee",
        verbose_name=_("xã"),
    )
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    @property
    def line_ids(self) -> list[int]:
        """The primary keys from the root of the tree down to this agency, itself last (from `path`)."""
        return [int(pk) for pk in self.path.strip("/").split("/") if pk]


class Role(models.TextChoices):
    """Roles are Django groups with these names (created by `load-reference-data`)."""

    CITIZEN = "citizen", _("Công dân")
    COUNTER_OFFICER = "counter_officer", _("Cán bộ một cửa")
    SPECIALIST = "specialist", _("Chuyên viên xử lý")
    DEPARTMENT_HEAD = "department_head", _("Lãnh đạo phòng")
    AGENCY_LEADER = "agency_leader", _("Lãnh đạo cơ quan")
    CATALOG_ADMIN = "catalog_admin", _("Quản trị danh mục thủ tục")
    SYSTEM_ADMIN = "system_admin", _("Quản trị hệ thống")


OFFICIAL_ROLES = frozenset(Role) - {Role.CITIZEN}

phone_validator = RegexValidator(
    r"^0\d{9}$", _("Số điện thoại gồm 10 chữ số, bắt đầu bằng 0 (ví dụ 0912345678).")
)


class User(AbstractUser):
    """A person who logs in: a citizen (*công dân*) or an official (*cán bộ, công chức*)."""

    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("Công dân")
        OFFICIAL = "official", _("Cán bộ, công chức")

    kind = models.CharField(_("loại tài khoản"), max_length=10, choices=Kind.choices, default=Kind.CITIZEN)
    full_name = models.CharField(_("họ và tên"), max_length=150)
    phone = models.CharField(
        _("số điện thoại"), max_length=10, unique=True, null=True, blank=True, validators=[phone_validator]
    )
    national_id = models.CharField(
        _("số định danh cá nhân"),
        max_length=12,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_national_id],
    )
    # Checked against the card by an official at the counter, or vouched for by VNeID; a number typed at
    # sign-up is checked for its structure only. VNeID links only to an account whose number is verified,
    # or whose phone is the one VNeID knows (services.citizen_login_external).
    national_id_verified = models.BooleanField(_("số định danh đã xác minh"), default=False)
    date_of_birth = models.DateField(_("ngày sinh"), null=True, blank=True)
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officials",
        verbose_name=_("cơ quan"),
    )
    position = models.CharField(_("chức vụ"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="citizen") | models.Q(agency__isnull=False),
                name="official_has_agency",
                violation_error_message=_("Cán bộ phải thuộc một cơ quan."),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_official(self) -> bool:
        return self.kind == self.Kind.OFFICIAL

    @property
    def roles(self) -> frozenset[str]:
        cached = getattr(self, "_roles_cache", None)
        if cached is None:
            cached = frozenset(self.groups.values_list("name", flat=True))
            self._roles_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class ApiToken(models.Model):
    """A bearer token for another system acting as a user through the API (a kiosk, the national portal
    adapter). Only its SHA-256 is stored; the token is shown once, when created."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("tên"), max_length=100)
    prefix = models.CharField(max_length=8)  # the token's first characters, to tell tokens apart
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("khóa API")
        verbose_name_plural = _("khóa API")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class OneTimeCode(models.Model):
    """A one-time code (*mã xác nhận một lần*, OTP) sent by SMS to prove a phone number is the person's.

    Only a keyed hash of the code is stored (`otp.code_hash`: HMAC-SHA256 under SECRET_KEY with this row's
    salt), so a copy of the database does not reveal live codes. A code expires `ACCOUNT_OTP_TTL_SECONDS`
    after it was sent, is refused after `ACCOUNT_OTP_MAX_ATTEMPTS` wrong tries and is used once. A sign-up's
    details wait in `payload` (the password already hashed) until the code is confirmed, so nobody can hold
    a phone number or an ID number with an account never confirmed.
    """

    class Purpose(models.TextChoices):
        SIGNUP = "signup", _("Đăng ký tài khoản")
        LOGIN = "login", _("Đăng nhập")
        RESET = "reset", _("Đặt lại mật khẩu")

    purpose = models.CharField(_("mục đích"), max_length=10, choices=Purpose.choices)
    phone = models.CharField(_("số điện thoại"), max_length=10, db_index=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    payload = models.JSONField(default=dict, blank=True)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("gửi lúc"))
    expires_at = models.DateTimeField(_("hết hạn lúc"), db_index=True)
    sends = models.PositiveSmallIntegerField(_("số lần gửi"), default=1)
    attempts = models.PositiveSmallIntegerField(_("số lần nhập sai"), default=0)
    used_at = models.DateTimeField(_("dùng lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("mã xác nhận một lần")
        verbose_name_plural = _("mã xác nhận một lần")

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {self.phone[:3]}…{self.phone[-3:]}"


class RateLimitCounter(models.Model):
    """How many times something was done in one fixed window (`ratelimit.py`). In the database, so the
    limit holds across web processes and machines. `key` is a keyed hash of the scope and the subject (an
    address, a phone number), never the subject itself."""

    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="ratelimit_key_window")]

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.window_start:%Y-%m-%d %H:%M}: {self.count}"


class ExternalIdentity(models.Model):
    """An account's identity at an outside identity provider (VNeID through OpenID Connect): the provider's
    stable subject (`sub`), linked once, so later logins find the account even if the person's details
    change there."""

    provider = models.CharField(_("nhà cung cấp định danh"), max_length=20)
    subject = models.CharField(_("mã định danh tại nhà cung cấp"), max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("định danh liên kết")
        verbose_name_plural = _("định danh liên kết")
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="external_identity_unique_subject"),
            models.UniqueConstraint(fields=["provider", "user"], name="external_identity_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.user}"
