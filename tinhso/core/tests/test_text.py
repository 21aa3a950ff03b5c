"""core.text: the Vietnamese or the English half of a bilingual message."""

from __future__ import annotations

import pytest

from tinhso.core.text import in_language


@pytest.mark.parametrize(
    ("message", "vi", "en"),
    [
        ("Số bộ hồ sơ từ 1 đến 20. / Sets must be 1–20.", "Số bộ hồ sơ từ 1 đến 20.", "Sets must be 1–20."),
        (  # a "/" inside the Vietnamese half, and Vietnamese names inside the English one
            "Hồ sơ 000.00.30.H60-260302-0001 đã kết thúc (rút / dừng). "
            "/ Dossier of Nguyễn Thị Hằng is closed.",
            "Hồ sơ 000.00.30.H60-260302-0001 đã kết thúc (rút / dừng).",
            "Dossier of Nguyễn Thị Hằng is closed.",
        ),
        (  # the English half quotes Vietnamese role names from the Vietnamese one
            "Người nhận phải là Cán bộ một cửa, Chuyên viên xử lý, Lãnh đạo phòng của đơn vị xử lý hồ sơ. "
            "/ The recipient must be: Cán bộ một cửa, Chuyên viên xử lý, Lãnh đạo phòng.",
            "Người nhận phải là Cán bộ một cửa, Chuyên viên xử lý, Lãnh đạo phòng của đơn vị xử lý hồ sơ.",
            "The recipient must be: Cán bộ một cửa, Chuyên viên xử lý, Lãnh đạo phòng.",
        ),
        (
            "Đã quá 3 ngày làm việc (Nghị định 61/2018/NĐ-CP, Điều 19 khoản 4). "
            "/ Past the 3-working-day window.",
            "Đã quá 3 ngày làm việc (Nghị định 61/2018/NĐ-CP, Điều 19 khoản 4).",
            "Past the 3-working-day window.",
        ),
    ],
)
def test_a_bilingual_message_shows_the_half_of_the_language(message: str, vi: str, en: str) -> None:
    assert in_language(message, "vi") == vi
    assert in_language(message, "en") == en
    assert in_language(message, "en-us") == en
    assert in_language(message, "fr") == message  # no half of that language: as it is
    assert in_language(message, None) == message


@pytest.mark.parametrize(
    "message",
    [
        "họ tên / tên tổ chức",  # two Vietnamese labels
        "Nộp / tiếp nhận hồ sơ",
        "Mới tiếp nhận trực tuyến / Mới tiếp nhận.",
        "(Trước hạn + Đúng hạn) / Đã giải quyết.",  # a formula
        "Không tìm thấy hồ sơ / no such dossier",  # the API's short form: no sentence ends before " / "
        "Hồ sơ đã được tiếp nhận.",
        "Sets must be 1–20.",
        "Hồ sơ đã được tiếp nhận. / Tên tổ chức mới.",  # two Vietnamese sentences
        "Người nhận là Cán bộ. / Cán bộ một cửa nhận.",  # Vietnamese words, some quoted: still Vietnamese
        "Hồ sơ đã nhận. / Hồ sơ.",  # nothing of its own on the right
        "Hồ sơ đã nộp. / Hồ sơ 2.",  # nor here: a number is no English
        "Quét mã QR trên Giấy tiếp nhận trước. / Quét mã QR.",
        "Hồ sơ đã nộp cho UBND xã. / Hồ sơ cho UBND.",
    ],
)
def test_other_text_is_left_as_it_is(message: str) -> None:
    assert in_language(message, "vi") == message
    assert in_language(message, "en") == message
