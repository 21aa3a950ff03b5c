"""Vietnamese mobile numbers, as citizens type them.

Since the 2018 renumbering (the 11-digit 01xx numbers became 10-digit ones) every mobile number is 0 and
nine digits, the first of them 3, 5, 7, 8 or 9; 02x numbers are landlines and receive no SMS. Accounts keep
the national form `0912345678` (`models.phone_validator`); the SMS adapter turns it into `84912345678`.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SEPARATORS = re.compile(r"[\s.\-()]")
_NATIONAL_MOBILE = re.compile(r"[35789][0-9]{8}", re.ASCII)


def mobile_normalise(value: str) -> str | None:
    """0912 345 678, 0912.345.678, +84 912 345 678, 84912345678 → "0912345678"; None for anything that is
    not a Vietnamese mobile number."""
    digits = _SEPARATORS.sub("", value or "")
    if digits.startswith("+84"):
        national = digits[3:]
    elif digits.startswith("0084"):
        national = digits[4:]
    elif digits.startswith("84") and len(digits) == 11:
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return None
    if len(national) == 10 and national.startswith("0"):
        national = national[1:]  # "+84 0912 345 678": the trunk 0 written after the country code
    return "0" + national if _NATIONAL_MOBILE.fullmatch(national) else None


def parse_mobile(value: str) -> str:
    """The national form of a mobile number, or a ValidationError that says what to fix."""
    digits = _SEPARATORS.sub("", value or "")
    number = mobile_normalise(digits)
    if number is not None:
        return number
    if digits.startswith("02"):
        raise ValidationError(
            _("Đây là số máy bàn; hãy nhập số điện thoại di động để nhận mã xác nhận qua tin nhắn."),
            code="phone_landline",
        )
    raise ValidationError(
        _("Số điện thoại di động gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09 (ví dụ 0912345678)."),
        code="phone_shape",
    )
