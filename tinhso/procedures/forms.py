"""Forms of the catalog administration. They check the shape of what was typed; the services decide
(whether the step budgets add up, whether the content changed, what a new version is)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import OFFICIAL_ROLES, Role
from tinhso.procedures import parsed as p
from tinhso.procedures.models import ChannelRule, OnlineLevel, ProcedureBinding, RequiredPaper, TimeUnit

# A blank first choice, so that an empty extra row of a formset is left unchanged (and ignored).
_BLANK: list[tuple[str, Any]] = [("", "—")]
_OFFICIAL_ROLE_CHOICES = [(r.value, r.label) for r in Role if r in OFFICIAL_ROLES]


def least_digits(value: Decimal | None) -> Decimal | None:
    """7.00 -> 7, 0.50 -> 0.5: the catalog writes the least digits, and content hashes compare the text."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


class CatalogText(forms.CharField):
    """Text of the national record: kept as written, without the stripping Django does by default (an
    untouched field must not change the content), but with the browser's CRLF line ends made LF."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).replace("\r\n", "\n")

    def validate(self, value: Any) -> None:
        if self.required and not str(value).strip():
            raise ValidationError(self.error_messages["required"], code="required")
        super().validate(value)


# --- Internal process (quy trình nội bộ) -----------------------------------------------------------------


class ProcessForm(forms.Form):
    binding = forms.CharField(
        label=_("Mã thủ tục của tỉnh"),
        max_length=40,
        help_text=_("Ví dụ 1.001193.000.00.30.H60: mã thủ tục quốc gia, dấu chấm, mã định danh của cơ quan."),
    )
    note = forms.CharField(label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_binding(self) -> ProcedureBinding:
        code = self.cleaned_data["binding"].strip()
        binding = (
            ProcedureBinding.objects.select_related("procedure", "agency", "current_process")
            .filter(local_code=code)
            .first()
        )
        if binding is None:
            raise ValidationError(_("Không có thủ tục của cơ quan với mã này."))
        if not binding.is_active:
            raise ValidationError(_("Thủ tục này đã ngừng áp dụng tại cơ quan."))
        return binding


class StepForm(forms.Form):
    name = forms.CharField(label=_("Bước"), max_length=300)
    role = forms.ChoiceField(label=_("Vai trò thực hiện"), choices=_BLANK + _OFFICIAL_ROLE_CHOICES)
    duration_value = forms.DecimalField(
        label=_("Thời gian"), max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    duration_unit = forms.ChoiceField(label=_("Đơn vị"), choices=_BLANK + TimeUnit.choices)


StepFormSet = forms.formset_factory(StepForm, extra=2, min_num=1, validate_min=True, max_num=30)


# --- Correcting a procedure's content ------------------------------------------------------------------


class ContentForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput)
    online_level = forms.ChoiceField(label=_("Mức độ trực tuyến"), choices=OnlineLevel.choices)
    receiving_address = CatalogText(
        label=_("Địa chỉ tiếp nhận"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    steps = CatalogText(
        label=_("Trình tự thực hiện"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    conditions = CatalogText(
        label=_("Yêu cầu, điều kiện"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    resolved_problems = forms.MultipleChoiceField(
        label=_("Lỗi đọc dữ liệu đã sửa xong"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Đánh dấu các lỗi mà lần sửa này đã khắc phục: chúng không còn trong phiên bản mới."),
    )
    note = forms.CharField(
        label=_("Lý do chỉnh sửa"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Ghi vào phiên bản mới, ví dụ: sửa thời hạn theo Quyết định 123/QĐ-UBND."),
    )

    def __init__(self, *args: Any, problems: Sequence[p.FieldProblem] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resolved_problems"].choices = [  # type: ignore[attr-defined]
            (str(i), f"{x.field}: {x.message}") for i, x in enumerate(problems)
        ]


_AMOUNT = re.compile(r"^\d{1,3}([.,\s]?\d{3})*$")


def fees_to_text(fees: list[p.Fee]) -> str:
    lines = []
    for f in fees:
        amount = f"{f.amount_vnd} USD" if f.currency == "USD" else str(f.amount_vnd)
        lines.append(f"{f.label} | {amount}" if f.label else amount)
    return "\n".join(lines)


def fees_from_text(text: str) -> list[p.Fee]:
    """One fee a line: "Lệ phí | 8.000" (label, then the amount in đồng), "Phí | 10 USD" (in dollars), or
    the amount alone."""
    fees = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        label, _sep, amount = line.rpartition("|")
        amount = amount.strip()
        currency: p.Currency = "USD" if amount.upper().endswith("USD") else "VND"
        amount = re.sub(r"(?i)\s*(usd|vnd|đồng|đ)$", "", amount).strip()
        if not _AMOUNT.match(amount):
            raise ValidationError(
                _("Dòng %(n)d: số tiền phải là một số, ví dụ “Lệ phí | 8.000” hoặc “Phí | 10 USD”."),
                params={"n": n},
            )
        fees.append(p.Fee(label=label.strip(), amount_vnd=int(re.sub(r"\D", "", amount)), currency=currency))
    return fees


class ChannelForm(forms.Form):
    channel = forms.ChoiceField(label=_("Hình thức nộp"), choices=_BLANK + ChannelRule.Channel.choices)
    time_value = forms.DecimalField(
        label=_("Thời hạn"),
        required=False,
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    time_unit = forms.ChoiceField(label=_("Đơn vị"), required=False, choices=_BLANK + TimeUnit.choices)
    time_text = CatalogText(
        label=_("Thời hạn (nguyên văn)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    fee_kind = forms.ChoiceField(label=_("Phí, lệ phí"), choices=_BLANK + ChannelRule.FeeKind.choices)
    fees = forms.CharField(
        label=_("Các khoản thu"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Mỗi dòng một khoản: tên khoản | số tiền (đồng), hoặc … | 10 USD."),
    )
    fee_text = CatalogText(
        label=_("Phí, lệ phí (nguyên văn)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    description = CatalogText(label=_("Mô tả"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_time_value(self) -> Decimal | None:
        return least_digits(self.cleaned_data.get("time_value"))

    def clean_fees(self) -> list[p.Fee]:
        return fees_from_text(self.cleaned_data.get("fees", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        value, unit = data.get("time_value"), data.get("time_unit")
        if (value is None) != (not unit):
            raise ValidationError(_("Nhập cả thời hạn lẫn đơn vị, hoặc bỏ trống cả hai."))
        if data.get("fee_kind") == ChannelRule.FeeKind.AMOUNTS and not data.get("fees"):
            self.add_error("fees", _("Chọn “Theo mức thu” thì cần ít nhất một khoản thu."))
        if data.get("fee_kind") != ChannelRule.FeeKind.AMOUNTS and data.get("fees"):
            self.add_error("fee_kind", _("Có khoản thu thì chọn “Theo mức thu”."))
        return data

    def to_parsed(self) -> p.ChannelRule:
        d = self.cleaned_data
        return p.ChannelRule(
            channel=d["channel"],
            time_value=d["time_value"],
            time_unit=d["time_unit"] or None,
            time_text=d["time_text"],
            fee_kind=d["fee_kind"],
            fees=d["fees"],
            fee_text=d["fee_text"],
            description=d["description"],
        )


class BaseChannelFormSet(forms.BaseFormSet):
    # Several rows may share a channel (2.000815: at the commune in đồng, at an embassy in dollars).
    def to_parsed(self) -> list[p.ChannelRule]:
        return [
            form.to_parsed()
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and (form.has_changed() or not form.empty_permitted)
        ]


ChannelFormSet = forms.formset_factory(
    ChannelForm, formset=BaseChannelFormSet, extra=1, can_delete=True, max_num=12
)


class PaperForm(forms.Form):
    group = CatalogText(label=_("Nhóm"), required=False, max_length=300)
    name = CatalogText(label=_("Tên giấy tờ"), widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(label=_("Loại bản"), choices=_BLANK + RequiredPaper.Kind.choices)
    quantity = forms.IntegerField(label=_("Số lượng"), required=False, min_value=0, max_value=1000)
    originals = forms.IntegerField(label=_("Số bản chính"), required=False, min_value=0, max_value=1000)
    copies = forms.IntegerField(label=_("Số bản sao"), required=False, min_value=0, max_value=1000)
    quantity_text = CatalogText(label=_("Số lượng (nguyên văn)"), required=False, max_length=300)
    form_template = CatalogText(label=_("Mẫu đơn, tờ khai"), required=False, max_length=500)

    def to_parsed(self) -> p.RequiredPaper:
        d = self.cleaned_data
        return p.RequiredPaper(
            name=d["name"],
            group=d["group"],
            kind=d["kind"],
            quantity=d["quantity"],
            form_template=d["form_template"],
            quantity_text=d["quantity_text"],
            originals=d["originals"],
            copies=d["copies"],
        )


class BasePaperFormSet(forms.BaseFormSet):
    def to_parsed(self) -> list[p.RequiredPaper]:
        return [
            form.to_parsed()
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and (form.has_changed() or not form.empty_permitted)
        ]


PaperFormSet = forms.formset_factory(
    PaperForm, formset=BasePaperFormSet, extra=2, can_delete=True, max_num=200
)


def channel_initial(channels: list[p.ChannelRule]) -> list[dict[str, Any]]:
    return [
        {
            "channel": c.channel,
            "time_value": c.time_value,
            "time_unit": c.time_unit or "",
            "time_text": c.time_text,
            "fee_kind": c.fee_kind,
            "fees": fees_to_text(c.fees),
            "fee_text": c.fee_text,
            "description": c.description,
        }
        for c in channels
    ]


def paper_initial(papers: list[p.RequiredPaper]) -> list[dict[str, Any]]:
    return [
        {
            "group": x.group,
            "name": x.name,
            "kind": x.kind,
            "quantity": x.quantity,
            "originals": x.originals,
            "copies": x.copies,
            "quantity_text": x.quantity_text,
            "form_template": x.form_template,
        }
        for x in papers
    ]
