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
