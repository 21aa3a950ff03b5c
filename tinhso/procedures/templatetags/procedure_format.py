"""How the procedure pages write amounts of money and durations: "8.000 đồng", "0,5 ngày làm việc".

Vietnamese groups thousands with a dot and writes decimals with a comma (TCVN 6909 aside, that is what every
official fee table does); English the other way round. Django's Vietnamese locale does not group thousands,
so the grouping is done here.
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tinhso.procedures.models import Fee, Level, OnlineLevel, TimeUnit

register = template.Library()


def _separators() -> tuple[str, str]:
    """(thousands, decimal) for the active language."""
    return (".", ",") if (get_language() or "vi").startswith("vi") else (",", ".")


def format_number(value: int | Decimal) -> str:
    thousands, decimal = _separators()
    if isinstance(value, Decimal):
        # 10 not 1E+1, 0.5 not 0.50: the catalog stores two decimal places.
        value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    text = f"{value:,}"
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


@register.filter
def vnd(amount: int | None) -> str:
    """8000 → "8.000 đồng"."""
    if amount is None:
        return ""
    return _("%(amount)s đồng") % {"amount": format_number(amount)}


@register.filter
def money(fee: Fee) -> str:
    """A fee's amount in its currency: "8.000 đồng", or "10 USD" for the fees stated in dollars."""
    if fee.currency == Fee.Currency.USD:
        return f"{format_number(fee.amount_vnd)} USD"
    return vnd(fee.amount_vnd)


@register.filter
def duration(value: Decimal | None, unit: str) -> str:
    """(Decimal("0.5"), "working_day") → "0,5 ngày làm việc"; "" when either is missing."""
    if value is None or not unit:
        return ""
    try:
        label = TimeUnit(unit).label
    except ValueError:
        return format_number(value)
    return f"{format_number(value)} {label}"


@register.filter
def level_labels(levels: list[str]) -> list[str]:
    """["province", "commune"] → ["Cấp tỉnh", "Cấp xã"]."""
    return [str(Level(v).label) for v in levels if v in Level.values]


@register.filter
def online_label(value: str) -> str:
    return str(OnlineLevel(value).label) if value in OnlineLevel.values else value
