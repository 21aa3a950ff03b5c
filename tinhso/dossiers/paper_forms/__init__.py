"""Forms Mẫu 01–07 of the one-stop rules (*biểu mẫu*), printed to PDF from plain data.

`data` holds the inputs (frozen dataclasses, no models); `render` the renderers and the `FORMS` table. See
`render`'s docstring for the layouts followed and what is provisional.
"""

from .data import (
    HANDOVER_RESULT_LABELS,
    Agency,
    ApologyData,
    ControlSheetData,
    Handover,
    Paper,
    Person,
    ReceiptData,
    RefusalData,
    RegisterData,
    RegisterEntry,
    ResultNoticeData,
    StopNoticeData,
    SupplementItem,
    SupplementRequestData,
)
from .render import (
    FORMS,
    FormSpec,
    render_mau01,
    render_mau02,
    render_mau03,
    render_mau04,
    render_mau05,
    render_mau06,
    render_mau07,
    render_result_notice,
)

__all__ = [
    "FORMS",
    "HANDOVER_RESULT_LABELS",
    "Agency",
    "ApologyData",
    "ControlSheetData",
    "FormSpec",
    "Handover",
    "Paper",
    "Person",
    "ReceiptData",
    "RefusalData",
    "RegisterData",
    "RegisterEntry",
    "ResultNoticeData",
    "StopNoticeData",
    "SupplementItem",
    "SupplementRequestData",
    "render_mau01",
    "render_mau02",
    "render_mau03",
    "render_mau04",
    "render_mau05",
    "render_mau06",
    "render_mau07",
    "render_result_notice",
]
