"""How the portal names a dossier's events and forms to the applicant (plain words, not the officials')."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "submit": _("Nộp hồ sơ"),
    "receive": _("Hồ sơ được tiếp nhận, hẹn ngày trả kết quả"),
    "refuse": _("Từ chối tiếp nhận hồ sơ"),
    "request_supplement": _("Cơ quan yêu cầu bổ sung, hoàn thiện hồ sơ"),
    "supplement_complete": _("Đã bổ sung đủ hồ sơ, tiếp tục giải quyết"),
    "assign": _("Phân công cán bộ giải quyết"),
    "hand_over": _("Chuyển sang bước xử lý tiếp theo"),
    "send_back": _("Trả lại bước trước để xem xét lại"),
    "consult": _("Lấy ý kiến cơ quan liên quan"),
    "consult_answer": _("Cơ quan liên quan đã cho ý kiến"),
    "pause_for_payment": _("Chờ nộp phí, lệ phí, thuế (nghĩa vụ tài chính)"),
    "resume_after_payment": _("Đã thực hiện nghĩa vụ tài chính, tiếp tục giải quyết"),
    "extend": _("Cơ quan xin lỗi và hẹn lại ngày trả kết quả"),
    "stop": _("Dừng giải quyết hồ sơ"),
    "withdraw": _("Rút hồ sơ"),
    "approve": _("Đã có kết quả giải quyết"),
    "reject": _("Từ chối giải quyết"),
    "return_result": _("Trả kết quả"),
}
# Events whose note is addressed to the applicant (a reason, the result); other notes are between officials.
NOTES_FOR_APPLICANT = frozenset(
    {"refuse", "pause_for_payment", "extend", "stop", "withdraw", "approve", "reject", "return_result"}
)

# The forms addressed to the applicant. Mẫu 06 (the control sheet) follows the dossier inside the agency.
FORM_TITLES = {
    "01": _("Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu 01)"),
    "02": _("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)"),
    "03": _("Phiếu từ chối tiếp nhận giải quyết hồ sơ (Mẫu 03)"),
    "04": _("Văn bản xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)"),
    "05": _("Thông báo dừng giải quyết hồ sơ (Mẫu 05)"),
}

# What happens next, by state, in a sentence the applicant can act on.
NEXT_STEPS = {
    "submitted": _(
        "Bộ phận Một cửa sẽ kiểm tra hồ sơ. Khi hồ sơ được tiếp nhận, bạn nhận tin nhắn kèm ngày hẹn trả "
        "kết quả; nếu cần bổ sung, bạn nhận danh sách giấy tờ cần bổ sung và lý do."
    ),
    "received": _("Hồ sơ đã được tiếp nhận và đang chờ giải quyết."),
    "in_process": _("Cơ quan đang giải quyết hồ sơ."),
    "supplement": _(
        "Cơ quan yêu cầu bổ sung hồ sơ: tải lên các giấy tờ còn thiếu dưới đây rồi bấm “Đã bổ sung đủ”. "
        "Hồ sơ được giải quyết tiếp ngay sau đó."
    ),
    "paused": _("Hồ sơ tạm dừng chờ bạn thực hiện nghĩa vụ tài chính (phí, lệ phí, thuế)."),
    "processed": _("Đã có kết quả: bạn sẽ được báo nơi và cách nhận kết quả."),
    "returned": _("Đã trả kết quả."),
    "refused": _("Hồ sơ không được tiếp nhận: xem lý do trong quá trình xử lý."),
    "withdrawn": _("Hồ sơ đã được rút."),
    "stopped": _("Hồ sơ đã dừng giải quyết: xem lý do trong quá trình xử lý."),
}


def name_initials(name: str) -> str:
    """ "Nguyễn Văn An" → "N. V. A." (what an anonymous look-up may show of the applicant)."""
    return " ".join(f"{word[0].upper()}." for word in name.split() if word)
