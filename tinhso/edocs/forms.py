"""Forms of the e-document pages: they check shape; the services decide (STYLE.md rule 8)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from tinhso.core.files import DEFAULT_MAX_BYTES
from tinhso.edocs.services import share_days_limits


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class UploadForm(forms.Form):
    """A citizen's own paper: a scan, a phone photo or a PDF."""

    title = forms.CharField(
        label=_("Tên giấy tờ"),
        max_length=255,
        help_text=_("Ví dụ: Căn cước công dân, Giấy khai sinh của con, Bằng tốt nghiệp THPT."),
    )
    file = forms.FileField(
        label=_("Tệp giấy tờ"),
        help_text=_("Ảnh chụp (JPEG, PNG, HEIC) hoặc tệp PDF."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/heic,application/pdf"}),
    )
    issuer = forms.CharField(label=_("Cơ quan cấp (nếu có)"), max_length=255, required=False)
    issued_on = forms.DateField(
        label=_("Ngày cấp (nếu có)"),
        required=False,
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    valid_until = forms.DateField(
        label=_("Có giá trị đến ngày (để trống nếu không thời hạn)"),
        required=False,
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = getattr(settings, "DOSSIER_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)
        self.fields["file"].help_text = _("Ảnh chụp (JPEG, PNG, HEIC) hoặc tệp PDF, tối đa %(mb)s MB.") % {
            "mb": f"{limit / (1024 * 1024):.0f}"
        }


class ShareForm(forms.Form):
    days = forms.IntegerField(label=_("Liên kết có hiệu lực trong (ngày)"), min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default, maximum = share_days_limits()
        field = self.fields["days"]
        assert isinstance(field, forms.IntegerField)
        field.max_value = maximum
        field.validators.append(MaxValueValidator(maximum))
        field.initial = default
        field.widget.attrs.update({"min": 1, "max": maximum})
        field.help_text = _("Từ 1 đến %(max)s ngày. Sau thời hạn này liên kết tự hết hiệu lực.") % {
            "max": maximum
        }


class VerifyUploadForm(forms.Form):
    """The PDF a person holds, to be checked against the register: a PDF by its content, within
    `SIGNING_VERIFY_MAX_BYTES`. `cleaned_data["content"]` holds its bytes."""

    file = forms.FileField(
        label=_("Tệp PDF bạn đang giữ"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.too_large = False
        self.not_pdf = False
        self.fields["file"].help_text = _("Tệp PDF, tối đa %(mb)s MB.") % {
            "mb": f"{_verify_limit() / 1048576:.0f}"
        }

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = _verify_limit()
        if upload.size is not None and upload.size > limit:
            self.too_large = True
            raise forms.ValidationError(
                _("Tệp quá lớn: tối đa %(mb)s MB. Hãy tải lên đúng tệp PDF văn bản bạn nhận được.")
                % {"mb": f"{limit / 1048576:.0f}"}
            )
        upload.seek(0)
        content = upload.read(limit + 1)
        if len(content) > limit:
            self.too_large = True
            raise forms.ValidationError(
                _("Tệp quá lớn: tối đa %(mb)s MB.") % {"mb": f"{limit / 1048576:.0f}"}
            )
        if content.lstrip()[:5] != b"%PDF-":
            self.not_pdf = True
            raise forms.ValidationError(
                _("Tệp này không phải PDF. Văn bản ký số của Tỉnh Số là tệp PDF (đuôi .pdf).")
            )
        self.cleaned_data["content"] = content
        return upload

    def status_code(self) -> int:
        if self.too_large:
            return 413
        return 415 if self.not_pdf else 400


def _verify_limit() -> int:
    return int(getattr(settings, "SIGNING_VERIFY_MAX_BYTES", DEFAULT_MAX_BYTES))


class RevokeSignedForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do thu hồi"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Lý do thu hồi được công khai trên trang xác thực văn bản: bất kỳ ai có mã xác thực hoặc tệp "
            "văn bản đều đọc được. Không ghi thông tin cá nhân hay nội dung không được công khai."
        ),
    )
