"""The portal's forms: they check shape and say in plain Vietnamese what to fix; the services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.national_id import validate_national_id

# The dossier code (OS-ID1): unit identifier, date, daily sequence — found inside whatever a QR reader
# pasted (the receipt's QR holds the bare code; a link to this page carries it as ?ma=).
DOSSIER_CODE = re.compile(r"[0-9A-Za-z]{3}\.[0-9A-Za-z]{2}\.[0-9A-Za-z]{2}\.[GHgh]\d{2}-\d{6}-\d{4}")
_PHONE = re.compile(r"^0\d{9}$")


def normalise_phone(value: str) -> str:
    """ "+84 912 345 678", "0912.345.678" → "0912345678" (the shape accounts store)."""
    digits = re.sub(r"[\s.\-()]", "", value or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def normalise_id_number(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def find_dossier_code(text: str) -> str | None:
    match = DOSSIER_CODE.search(text or "")
    return match.group(0).upper() if match else None


class ApplicantForm(forms.Form):
    """The applicant's details, prefilled from the account ("information provided only once", Decree
    224/2026 Art. 15(1)). The name and the personal identification number the account holds are locked:
    they are the person's identity, changed in the account, not on a dossier."""

    name = forms.CharField(
        label=_("Họ và tên"),
        max_length=200,
        error_messages={"required": _("Nhập họ và tên người nộp hồ sơ.")},
    )
    id_number = forms.CharField(
        label=_("Số định danh cá nhân (số căn cước)"),
        max_length=20,
        error_messages={"required": _("Nhập số định danh cá nhân gồm 12 chữ số, in trên thẻ căn cước.")},
    )
    phone = forms.CharField(
        label=_("Số điện thoại"),
        max_length=20,
        help_text=_("Mã hồ sơ và các thông báo được gửi qua tin nhắn đến số này."),
        error_messages={"required": _("Nhập số điện thoại để nhận mã hồ sơ và thông báo.")},
    )
    email = forms.EmailField(
        label=_("Thư điện tử (không bắt buộc)"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Địa chỉ thư điện tử chưa đúng, ví dụ: ten@example.vn.")},
    )
    address = forms.CharField(label=_("Địa chỉ liên hệ (không bắt buộc)"), required=False, max_length=300)
    declaration = forms.BooleanField(
        label=_(
            "Tôi cam đoan những thông tin đã khai và giấy tờ đã tải lên là đúng sự thật, và chịu trách "
            "nhiệm trước pháp luật về nội dung cam đoan."
        ),
        required=False,
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, locked: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locked = {k: v for k, v in (locked or {}).items() if v}
        for name, value in self.locked.items():
            self.fields[name].initial = self.initial[name] = value
            self.fields[name].disabled = True  # the posted value is ignored; the account's is used
            self.fields[name].help_text = _("Lấy từ tài khoản của bạn.")
        self.fields["phone"].widget.input_type = "tel"
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})
        self.fields["id_number"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["address"].widget.attrs["autocomplete"] = "street-address"

    def clean_id_number(self) -> str:
        value = normalise_id_number(self.cleaned_data["id_number"])
        try:
            validate_national_id(value)
        except ValidationError as exc:
            raise ValidationError([*exc.messages, _("Kiểm tra lại số in trên thẻ căn cước.")]) from None
        return value

    def clean_phone(self) -> str:
        value = normalise_phone(self.cleaned_data["phone"])
        if not _PHONE.match(value):
            raise ValidationError(_("Số điện thoại gồm 10 chữ số, bắt đầu bằng 0 (ví dụ 0912345678)."))
        return value


class TrackingForm(forms.Form):
    """*Tra cứu hồ sơ*: the dossier code (typed, or a QR reader's text) and the applicant's phone number or
    personal identification number."""

    code = forms.CharField(
        label=_("Mã hồ sơ"),
        max_length=300,
        help_text=_("In trên Giấy tiếp nhận và hẹn trả kết quả, ví dụ 000.00.30.H60-260302-0001."),
        error_messages={"required": _("Nhập mã hồ sơ.")},
    )
    secret = forms.CharField(
        label=_("Số điện thoại hoặc số định danh cá nhân của người nộp"),
        max_length=30,
        error_messages={"required": _("Nhập số điện thoại hoặc số định danh cá nhân đã khai khi nộp hồ sơ.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["secret"].widget.attrs.update({"autocomplete": "off", "inputmode": "numeric"})

    def clean_code(self) -> str:
        code = find_dossier_code(self.cleaned_data["code"])
        if code is None:
            raise ValidationError(
                _(
                    "Không đọc được mã hồ sơ. Mã có dạng 000.00.30.H60-260302-0001: mã cơ quan, ngày nộp "
                    "và số thứ tự, nối bằng dấu gạch ngang."
                )
            )
        return code

    def clean_secret(self) -> str:
        return normalise_id_number(self.cleaned_data["secret"])
