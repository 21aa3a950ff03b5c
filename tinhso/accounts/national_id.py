"""The 12-digit personal identification number (*số định danh cá nhân*, printed on the CCCD card).

Structure (Decree 137/2015/NĐ-CP Art. 13; Circular 07/2016/TT-BCA Art. 7, amended by Circular
59/2021/TT-BCA): digits 1-3 the code of the province where the birth was registered, digit 4 the century
of birth and sex, digits 5-6 the last two digits of the birth year, digits 7-12 a random number.
Century/sex digit: 0/1 = 20th century male/female, 2/3 = 21st, 4/5 = 22nd, 6/7 = 23rd, 8/9 = 24th.

The province codes are those of the 63 provinces before the 1 July 2025 reorganisation: numbers already
issued do not change with the merger.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The 63 pre-2025 province codes (General Statistics Office); the old→new commune table in
# shared/data/admin-units lists the same set in its "Tỉnh cũ" column (checked by a test).
BIRTH_PROVINCE_CODES = frozenset(
    {
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    }
)

_SHAPE = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class NationalId:
    number: str
    birth_province_code: str
    sex: str  # "male" | "female"
    birth_year: int


def parse_national_id(value: str, *, today: dt.date | None = None) -> NationalId:
    """Parse and check the structure; raise ValidationError with a message a citizen can act on."""
    number = (value or "").strip()
    if not _SHAPE.match(number):
        raise ValidationError(
            _("Số định danh cá nhân phải gồm đúng 12 chữ số (12 digits)."), code="national_id_shape"
        )
    province = number[:3]
    if province not in BIRTH_PROVINCE_CODES:
        raise ValidationError(
            _("Ba chữ số đầu (%(code)s) không phải mã tỉnh nơi đăng ký khai sinh hợp lệ."),
            code="national_id_province",
            params={"code": province},
        )
    century_sex = int(number[3])
    century = 1900 + (century_sex // 2) * 100
    birth_year = century + int(number[4:6])
    today = today or dt.date.today()
    if birth_year > today.year:
        raise ValidationError(
            _("Chữ số thứ 4 đến 6 cho năm sinh %(year)s, sau năm hiện tại."),
            code="national_id_year",
            params={"year": birth_year},
        )
    return NationalId(
        number=number,
        birth_province_code=province,
        sex="female" if century_sex % 2 else "male",
        birth_year=birth_year,
    )


def validate_national_id(value: str) -> None:
    parse_national_id(value)
