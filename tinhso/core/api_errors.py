"""The API's 422 answers in both languages: django-ninja answers a request that does not validate with
pydantic's errors (`{"detail": [{"type", "loc", "msg", "ctx"?}]}`), whose `msg` is English only. Each `msg` is
rewritten "Tiếng Việt. / English." as every other refusal of the project (core/errors.py), for the error types
a client can cause; `type`, `loc` and `ctx` are kept as they were, for clients that read them. A type not
listed keeps pydantic's English text, after a Vietnamese lead."""

from __future__ import annotations

from typing import Any

# pydantic-core's error type → (Vietnamese, English), formatted with the error's `ctx`.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("Thiếu trường bắt buộc.", "Field required."),
    "extra_forbidden": ("Trường này không được nhận.", "This field is not accepted."),
    "string_type": ("Cần một chuỗi ký tự.", "A string is required."),
    "string_too_short": ("Cần ít nhất {min_length} ký tự.", "At least {min_length} characters are required."),
    "string_too_long": ("Tối đa {max_length} ký tự.", "At most {max_length} characters are allowed."),
    "string_pattern_mismatch": ("Không đúng dạng quy định.", "Does not match the required pattern."),
    "int_type": ("Cần một số nguyên.", "An integer is required."),
    "int_parsing": ("Cần một số nguyên.", "An integer is required."),
    "int_from_float": ("Cần một số nguyên.", "An integer is required."),
    "float_type": ("Cần một số.", "A number is required."),
    "float_parsing": ("Cần một số.", "A number is required."),
    "decimal_type": ("Cần một số.", "A number is required."),
    "decimal_parsing": ("Cần một số.", "A number is required."),
    "bool_type": ("Cần giá trị đúng/sai (true/false).", "A boolean (true/false) is required."),
    "bool_parsing": ("Cần giá trị đúng/sai (true/false).", "A boolean (true/false) is required."),
    "greater_than": ("Phải lớn hơn {gt}.", "Must be greater than {gt}."),
    "greater_than_equal": ("Phải lớn hơn hoặc bằng {ge}.", "Must be greater than or equal to {ge}."),
    "less_than": ("Phải nhỏ hơn {lt}.", "Must be less than {lt}."),
    "less_than_equal": ("Phải nhỏ hơn hoặc bằng {le}.", "Must be less than or equal to {le}."),
    "too_short": ("Cần ít nhất {min_length} mục.", "At least {min_length} items are required."),
    "too_long": ("Tối đa {max_length} mục.", "At most {max_length} items are allowed."),
    "literal_error": ("Phải là một trong: {expected}.", "Must be one of: {expected}."),
    "enum": ("Phải là một trong: {expected}.", "Must be one of: {expected}."),
    "list_type": ("Cần một danh sách.", "A list is required."),
    "dict_type": ("Cần một đối tượng JSON.", "A JSON object is required."),
    "model_type": ("Cần một đối tượng JSON.", "A JSON object is required."),
    "model_attributes_type": ("Cần một đối tượng JSON.", "A JSON object is required."),
    "json_invalid": ("JSON không hợp lệ.", "Invalid JSON."),
    "date_type": ("Cần một ngày (YYYY-MM-DD).", "A date (YYYY-MM-DD) is required."),
    "date_parsing": ("Ngày không hợp lệ (YYYY-MM-DD).", "Invalid date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": ("Ngày không hợp lệ (YYYY-MM-DD).", "Invalid date (YYYY-MM-DD)."),
    "datetime_type": ("Cần một thời điểm (ISO 8601).", "An instant (ISO 8601) is required."),
    "datetime_parsing": ("Thời điểm không hợp lệ (ISO 8601).", "Invalid instant (ISO 8601)."),
    "datetime_from_date_parsing": ("Thời điểm không hợp lệ (ISO 8601).", "Invalid instant (ISO 8601)."),
    "uuid_parsing": ("Mã UUID không hợp lệ.", "Invalid UUID."),
    "url_parsing": ("Địa chỉ URL không hợp lệ.", "Invalid URL."),
}


def _formatted(template: str, ctx: dict[str, Any]) -> str | None:
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return None


def bilingual(error: dict[str, Any]) -> dict[str, Any]:
    """One ninja validation error with its `msg` in both languages (a copy; the rest as it was)."""
    kind = error.get("type")
    english = str(error.get("msg", ""))
    ctx = error.get("ctx") or {}
    pair = MESSAGES.get(kind) if isinstance(kind, str) else None
    vi = en = None
    if pair is not None:
        vi, en = _formatted(pair[0], ctx), _formatted(pair[1], ctx)
    if kind == "value_error" and english:
        # A validator of the project's own: its message is written in both languages already (after
        # pydantic's "Value error, " prefix).
        text = english.removeprefix("Value error, ")
        return {**error, "msg": text if " / " in text else f"Giá trị không hợp lệ: {text} / {text}"}
    if vi is None or en is None:
        return {**error, "msg": f"Dữ liệu không hợp lệ. / {english}" if english else "Dữ liệu không hợp lệ."}
    return {**error, "msg": f"{vi} / {en}"}


def bilingual_errors(errors: list[Any]) -> list[Any]:
    """Every error of a ninja `ValidationError`, each with its `msg` in both languages (non-dict entries,
    such as a paginator's `{"cursor": …}`, as they were)."""
    return [bilingual(e) if isinstance(e, dict) and "type" in e else e for e in errors]


# django-ninja's own refusals, raised with English text (its HttpError and subclasses).
NINJA_MESSAGES: dict[str, str] = {
    "Cannot parse request body": (
        "Nội dung yêu cầu không đọc được (JSON không hợp lệ). / Cannot parse request body."
    ),
    "Unauthorized": "Chưa xác thực: thiếu hoặc sai mã truy cập. / Unauthorized.",
    # A write without a valid bearer token falls through to the session's check, which refuses it first.
    "CSRF check Failed": (
        "Chưa xác thực: thiếu hoặc sai mã truy cập (hoặc thiếu mã CSRF của phiên đăng nhập). "
        "/ CSRF check failed: no valid bearer token (or no CSRF token with the session)."
    ),
    "Forbidden": "Không có quyền. / Forbidden.",
    "Too many requests.": "Quá nhiều yêu cầu, hãy thử lại sau. / Too many requests.",
}


NOT_FOUND = "Không tìm thấy. / Not found."


def bilingual_message(message: str) -> str:
    """A ninja refusal's text in both languages (its body parser's with the parser's reason after it, in
    DEBUG); any other (the project's own, bilingual) as it is."""
    for english, both in NINJA_MESSAGES.items():
        if message == english or message.startswith(f"{english} ("):
            return both
    return message
