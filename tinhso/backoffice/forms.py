"""Forms of the officials' pages: they check shape; the transitions decide (STYLE.md rule 8)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.national_id import validate_national_id
from tinhso.dossiers.models import Channel
from tinhso.dossiers.transitions import MissingItem
from tinhso.procedures.models import ProcedureBinding, RequiredPaper

PHONE = r"^(0|\+84)\d{9,10}$"


class ReceptionForm(forms.Form):
    """Counter reception of a paper dossier: the procedure, the applicant, the papers ticked."""

    binding = forms.ModelChoiceField(
        label=_("Thủ tục"), queryset=ProcedureBinding.objects.none(), empty_label=_("— Chọn thủ tục —")
    )
    channel = forms.ChoiceField(
        label=_("Kênh tiếp nhận"),
        choices=[
            (Channel.COUNTER.value, Channel.COUNTER.label),
            (Channel.POSTAL.value, Channel.POSTAL.label),
        ],
        initial=Channel.COUNTER,
    )
    # The ID number first: the counter fills the rest from it ("Điền theo số định danh").
    applicant_id_number = forms.CharField(
        label=_("Số định danh cá nhân (CCCD)"),
        max_length=12,
        required=False,
        validators=[validate_national_id],
    )
    applicant_name = forms.CharField(label=_("Họ và tên người nộp"), max_length=200)
    applicant_phone = forms.RegexField(
        label=_("Số điện thoại"),
        regex=PHONE,
        required=False,
        error_messages={"invalid": _("Số điện thoại gồm 10 chữ số, bắt đầu bằng 0 (ví dụ 0912345678).")},
    )
    applicant_email = forms.EmailField(label=_("Thư điện tử"), required=False)
    applicant_address = forms.CharField(label=_("Địa chỉ"), max_length=300, required=False)
    papers = forms.ModelMultipleChoiceField(
        label=_("Giấy tờ đã nhận"),
        queryset=RequiredPaper.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_papers = forms.CharField(
        label=_("Giấy tờ khác (mỗi dòng một giấy tờ)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    sets = forms.IntegerField(label=_("Số bộ hồ sơ"), min_value=1, max_value=20, initial=1)

    def __init__(self, *args: Any, bindings: Any, binding: ProcedureBinding | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["binding"].queryset = bindings  # type: ignore[attr-defined]
        if binding is not None and binding.procedure.current_version_id:
            self.fields["papers"].queryset = RequiredPaper.objects.filter(  # type: ignore[attr-defined]
                version_id=binding.procedure.current_version_id
            ).order_by("order")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("papers") and not (data.get("other_papers") or "").strip():
            raise forms.ValidationError(_("Đánh dấu ít nhất một giấy tờ đã nhận."))
        return data


class ActionForm(forms.Form):
    """The fields any transition may need; the view passes only those its action uses."""

    expected_revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Lý do"), max_length=2000, required=False, widget=forms.Textarea)
    note = forms.CharField(label=_("Ghi chú"), max_length=2000, required=False, widget=forms.Textarea)
    to = forms.IntegerField(label=_("Chuyển cho"), required=False)
    assignee = forms.IntegerField(label=_("Giao cho chuyên viên"), required=False)
    items = forms.CharField(
        label=_("Giấy tờ cần bổ sung và lý do (mỗi dòng: giấy tờ | lý do)"),
        required=False,
        widget=forms.Textarea,
        max_length=5000,
    )
    new_due = forms.DateTimeField(
        label=_("Ngày hẹn trả mới"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    method = forms.ChoiceField(
        label=_("Hình thức trả"),
        required=False,
        choices=[
            ("counter", _("Tại Bộ phận Một cửa")),
            ("post", _("Qua bưu chính")),
            ("online", _("Trực tuyến")),
        ],
    )
    amount_vnd = forms.IntegerField(
        label=_("Số tiền (đồng)"),
        min_value=0,
        max_value=10**12,  # as the API (schemas.ActionIn): no obligation of a one-stop dossier comes near it
        required=False,
        error_messages={"max_value": _("Số tiền quá lớn: kiểm tra lại số đồng đã nhập.")},
    )
    legal_basis = forms.CharField(label=_("Căn cứ pháp lý"), max_length=1000, required=False)
    # Consulting another agency (*lấy ý kiến*): whom (its identifier code), what, and its own deadline.
    agency = forms.CharField(label=_("Cơ quan được hỏi"), max_length=16, required=False)
    question = forms.CharField(label=_("Nội dung cần lấy ý kiến"), max_length=2000, required=False)
    days = forms.DecimalField(
        label=_("Thời hạn trả lời (ngày làm việc)"),
        min_value=Decimal("0.5"),
        max_value=Decimal(30),
        decimal_places=1,
        required=False,
        error_messages={
            "min_value": _("Thời hạn trả lời từ 0,5 đến 30 ngày làm việc."),
            "max_value": _("Thời hạn trả lời từ 0,5 đến 30 ngày làm việc."),
        },
    )

    def missing_items(self) -> list[MissingItem]:
        out = []
        for line in (self.cleaned_data.get("items") or "").splitlines():
            if not line.strip():
                continue
            paper, _sep, reason = line.partition("|")
            out.append(MissingItem(paper.strip(), reason.strip()))
        return out

    def due(self) -> dt.datetime | None:
        value: dt.datetime | None = self.cleaned_data.get("new_due")
        return value


class CitizenAccountForm(forms.Form):
    """An account made at the counter for a person who has none (*tạo tài khoản hộ*)."""

    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    national_id = forms.CharField(
        label=_("Số định danh cá nhân (CCCD)"), max_length=12, validators=[validate_national_id]
    )
    phone = forms.RegexField(
        label=_("Số điện thoại"),
        regex=PHONE,
        error_messages={"invalid": _("Số điện thoại gồm 10 chữ số, bắt đầu bằng 0 (ví dụ 0912345678).")},
    )
    date_of_birth = forms.DateField(
        label=_("Ngày sinh"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    consent = forms.BooleanField(
        label=_("Người dân đồng ý để cán bộ tạo tài khoản và nộp hồ sơ thay (đã ký giấy đề nghị)"),
        error_messages={"required": _("Cần sự đồng ý của người dân trước khi tạo tài khoản.")},
    )


class OnBehalfForm(forms.Form):
    """An online dossier submitted for a citizen by an official, with the citizen's recorded consent."""

    binding = forms.ModelChoiceField(label=_("Thủ tục"), queryset=ProcedureBinding.objects.none())
    consent = forms.CharField(
        label=_("Xác nhận đồng ý của người dân (họ tên, cách xác nhận)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, bindings: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["binding"].queryset = bindings  # type: ignore[attr-defined]
