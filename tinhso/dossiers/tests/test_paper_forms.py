"""Forms Mẫu 01–07 printed from data: page size, Vietnamese text, the QR code, results, the register's pages.

Pure rendering: no database. The PDFs are read back with pypdf and the helpers of the core PDF tests.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tinhso.core import pdf
from tinhso.core.tests.test_pdf import (
    all_text,
    decode_qr,
    page_text,
    pdf_tools_or_skip,
    qr_matrices,
    read,
    runs_outside,
    segno_matrix,
    text_runs,
)
from tinhso.dossiers.paper_forms import (
    FORMS,
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
    StopNoticeData,
    SupplementItem,
    SupplementRequestData,
    render_mau01,
    render_mau02,
    render_mau03,
    render_mau04,
    render_mau05,
    render_mau06,
    render_mau07,
)

VN = pdf.VIETNAM_TZ
CODE = "000.00.12.H60-241105-0003"
AGENCY = Agency(
    name="Bộ phận Tiếp nhận và Trả kết quả xã Mỹ Bằng",
    parent_name="Ủy ban nhân dân xã Mỹ Bằng",
    locality="Mỹ Bằng",
)
APPLICANT = Person(
    name="Nguyễn Thị Hằng",
    address="Thôn Đồng Chằm, xã Mỹ Bằng, huyện Yên Sơn, tỉnh Tuyên Quang",
    phone="0912 345 678",
    email="hang.nguyen@example.vn",
    id_number="008190012345",
)
PROCEDURE = "Đăng ký khai sinh"
RECEIVED = datetime(2024, 11, 5, 8, 30, tzinfo=VN)


def receipt(**changes: Any) -> ReceiptData:
    data = ReceiptData(
        agency=AGENCY,
        dossier_code=CODE,
        procedure_name=PROCEDURE,
        applicant=APPLICANT,
        papers=(
            Paper("Tờ khai đăng ký khai sinh", "Bản chính", 1),
            Paper("Giấy chứng sinh", "Bản chính", 1),
            Paper("Giấy chứng nhận kết hôn của cha, mẹ", "Bản sao", 1),
        ),
        sets=1,
        statutory_time="01 ngày làm việc",
        received_at=RECEIVED,
        appointment_at=datetime(2024, 11, 6, 8, 30, tzinfo=VN),
        return_place="Bộ phận Tiếp nhận và Trả kết quả, Ủy ban nhân dân xã Mỹ Bằng",
        register_book="2024",
        register_entry=3,
        receiving_officer="Lê Văn Đức",
        fees="Miễn lệ phí",
    )
    return dataclasses.replace(data, **changes)


def supplement(**changes: Any) -> SupplementRequestData:
    data = SupplementRequestData(
        agency=AGENCY,
        dossier_code=CODE,
        applicant=APPLICANT,
        procedure_name=PROCEDURE,
        received_at=RECEIVED,
        items=(
            SupplementItem(
                "Giấy chứng sinh (bản chính)", "Bản đã nộp là bản chụp, không có dấu của cơ sở y tế"
            ),
            SupplementItem("Tờ khai đăng ký khai sinh", "Thiếu chữ ký của người đi đăng ký khai sinh"),
        ),
        contact_officer="Lê Văn Đức",
        contact_phone="0207 3822 123",
        issued_on=date(2024, 11, 5),
        signer_name="Lê Văn Đức",
        legal_basis="Luật Hộ tịch năm 2014 và Nghị định số 123/2015/NĐ-CP",
    )
    return dataclasses.replace(data, **changes)


def refusal(**changes: Any) -> RefusalData:
    data = RefusalData(
        agency=AGENCY,
        dossier_code=CODE,
        applicant=APPLICANT,
        procedure_name=PROCEDURE,
        received_at=RECEIVED,
        reason="Việc khai sinh cho trẻ đã được đăng ký tại Ủy ban nhân dân phường Phan Thiết.",
        issued_on=date(2024, 11, 5),
        signer_name="Lê Văn Đức",
    )
    return dataclasses.replace(data, **changes)


def apology(**changes: Any) -> ApologyData:
    data = ApologyData(
        agency=AGENCY,
        dossier_code=CODE,
        applicant=APPLICANT,
        procedure_name=PROCEDURE,
        received_at=RECEIVED,
        original_due=datetime(2024, 11, 6, 8, 30, tzinfo=VN),
        delay_reason="Cần xác minh thông tin nơi cư trú của người mẹ tại tỉnh Hà Giang.",
        new_return_at=datetime(2024, 11, 8, 16, 0, tzinfo=VN),
        issued_on=date(2024, 11, 5),
        head_name="Hoàng Văn Thắng",
        head_title="Chủ tịch",
        document_number="45/UBND-TP",
    )
    return dataclasses.replace(data, **changes)


def stop_notice(**changes: Any) -> StopNoticeData:
    data = StopNoticeData(
        agency=AGENCY,
        dossier_code=CODE,
        applicant=APPLICANT,
        procedure_name=PROCEDURE,
        received_at=RECEIVED,
        reason="Người nộp hồ sơ có văn bản đề nghị dừng giải quyết ngày 06/11/2024.",
        legal_basis="Điều 18 Nghị định số 118/2025/NĐ-CP",
        issued_on=date(2024, 11, 6),
        signer_name="Hoàng Văn Thắng",
        signer_title="Chủ tịch",
    )
    return dataclasses.replace(data, **changes)


def control_sheet(**changes: Any) -> ControlSheetData:
    data = ControlSheetData(
        agency=AGENCY,
        dossier_code=CODE,
        applicant=APPLICANT,
        procedure_name=PROCEDURE,
        received_at=RECEIVED,
        lead_agency="Công chức Tư pháp - Hộ tịch",
        coordinating_agencies=("Công an xã Mỹ Bằng",),
        handovers=(
            Handover(
                "Bộ phận Tiếp nhận và Trả kết quả",
                "Công chức Tư pháp - Hộ tịch",
                datetime(2024, 11, 5, 9, 0, tzinfo=VN),
                "Lê Văn Đức",
                "Phạm Thị Thủy",
                "early",
            ),
            Handover(
                "Công chức Tư pháp - Hộ tịch",
                "Lãnh đạo Ủy ban nhân dân xã",
                datetime(2024, 11, 5, 15, 0, tzinfo=VN),
                "Phạm Thị Thủy",
                "Hoàng Văn Thắng",
                "on_time",
            ),
            Handover(
                "Lãnh đạo Ủy ban nhân dân xã",
                "Bộ phận Tiếp nhận và Trả kết quả",
                datetime(2024, 11, 6, 10, 0, tzinfo=VN),
                "Hoàng Văn Thắng",
                "Lê Văn Đức",
                "late",
                "Ký chậm do đi công tác",
            ),
        ),
    )
    return dataclasses.replace(data, **changes)


def register(n: int = 60, **changes: Any) -> RegisterData:
    start = datetime(2024, 1, 2, 7, 30, tzinfo=VN)
    entries = []
    for i in range(1, n + 1):
        at = start + timedelta(days=i // 3, minutes=37 * (i % 3))
        entries.append(
            RegisterEntry(
                number=i,
                dossier_code=f"000.00.12.H60-{at:%y%m%d}-{i:04d}",
                procedure_name=PROCEDURE if i % 2 else "Đăng ký kết hôn",
                applicant=Person(
                    name="Nguyễn Thị Hằng" if i % 2 else "Trần Văn Bình",
                    address="Thôn Đồng Chằm, xã Mỹ Bằng",
                    phone="0912 345 678",
                ),
                received_at=at,
                appointment_at=at + timedelta(days=1),
                lead_agency="Công chức Tư pháp - Hộ tịch",
                transferred_at=at + timedelta(minutes=30),
                result_received_at=at + timedelta(hours=6),
                returned_at=at + timedelta(days=1, hours=1) if i % 4 else None,
                receiving_officer="Lê Văn Đức",
                note="" if i % 5 else "Trả qua bưu chính",
            )
        )
    data = RegisterData(agency=AGENCY, year=2024, entries=tuple(entries))
    return dataclasses.replace(data, **changes)


PER_DOSSIER: dict[str, tuple[Callable[[Any], bytes], Callable[[], Any]]] = {
    "01": (render_mau01, receipt),
    "02": (render_mau02, supplement),
    "03": (render_mau03, refusal),
    "04": (render_mau04, apology),
    "05": (render_mau05, stop_notice),
    "06": (render_mau06, control_sheet),
}


@pytest.mark.parametrize("form", sorted(PER_DOSSIER))
def test_each_dossier_form_is_one_a5_page_with_its_title_code_and_vietnamese_names(form: str) -> None:
    render, make = PER_DOSSIER[form]
    reader = read(render(make()))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert float(page.mediabox.width) == pytest.approx(419.53, abs=1)
    assert float(page.mediabox.height) == pytest.approx(595.28, abs=1)
    text = page_text(page)
    title = "THÔNG BÁO" if form == "05" else pdf.upper(FORMS[form].title_vi)
    assert title in text
    assert f"Mã hồ sơ: {CODE}" in text
    assert "Nguyễn Thị Hằng" in text
    assert "ỦY BAN NHÂN DÂN XÃ MỸ BẰNG" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert runs_outside(page, pdf.MARGINS_A5) == []
    assert reader.metadata is not None and reader.metadata.author == AGENCY.name
    assert CODE in (reader.metadata.title or "")


@pytest.mark.parametrize("form", sorted(PER_DOSSIER))
def test_each_dossier_form_carries_a_qr_code_of_the_dossier_code(form: str) -> None:
    render, make = PER_DOSSIER[form]
    assert qr_matrices(read(render(make())).pages[0]) == [segno_matrix(CODE)]


@pytest.mark.parametrize("form", sorted(PER_DOSSIER))
def test_each_dossier_form_s_qr_code_scans_as_the_dossier_code(form: str) -> None:
    pdf_tools_or_skip()
    render, make = PER_DOSSIER[form]
    assert decode_qr(render(make())) == [CODE]


def test_the_receipt_prints_papers_times_return_place_and_register_entry() -> None:
    text = all_text(render_mau01(receipt()))
    assert "Tiếp nhận hồ sơ của: Nguyễn Thị Hằng" in text
    assert "Mỹ Bằng, ngày 05 tháng 11 năm 2024" in text
    assert "Giấy chứng nhận kết hôn của cha, mẹ Bản sao 01" in text
    assert "2. Số lượng hồ sơ: 01 (bộ)" in text
    assert "3. Thời gian giải quyết hồ sơ theo quy định: 01 ngày làm việc" in text
    assert "4. Thời gian nhận hồ sơ: 08 giờ 30 phút, ngày 05 tháng 11 năm 2024" in text
    assert "5. Thời gian trả kết quả giải quyết hồ sơ: 08 giờ 30 phút, ngày 06 tháng 11 năm 2024" in text
    assert "6. Đăng ký nhận kết quả tại: Bộ phận Tiếp nhận và Trả kết quả, Ủy ban nhân dân xã Mỹ Bằng" in text
    assert "7. Phí, lệ phí: Miễn lệ phí" in text
    assert "Vào Sổ theo dõi hồ sơ, Quyển số: 2024, Số thứ tự: 03" in text
    assert "NGƯỜI NỘP HỒ SƠ" in text and "NGƯỜI TIẾP NHẬN HỒ SƠ" in text and "Lê Văn Đức" in text
    assert "Thư điện tử: hang.nguyen@example.vn" in text


def test_the_receipt_prints_times_in_vietnam_time_whatever_zone_they_come_in() -> None:
    utc = datetime(2024, 11, 5, 1, 30, tzinfo=UTC)
    text = all_text(render_mau01(receipt(received_at=utc)))
    assert "4. Thời gian nhận hồ sơ: 08 giờ 30 phút, ngày 05 tháng 11 năm 2024" in text


def test_the_supplement_request_gives_each_item_its_reason_and_a_contact() -> None:
    text = all_text(render_mau02(supplement()))
    assert "Căn cứ Luật Hộ tịch năm 2014 và Nghị định số 123/2015/NĐ-CP, Bộ phận Tiếp nhận" in text
    assert (
        "1 Giấy chứng sinh (bản chính) Bản đã nộp là bản chụp, không có dấu của cơ sở y tế "
        "2 Tờ khai đăng ký khai sinh Thiếu chữ ký của người đi đăng ký khai sinh"
    ) in text
    assert "liên hệ với Lê Văn Đức, số điện thoại 0207 3822 123 để được hướng dẫn./." in text
    assert "NGƯỜI HƯỚNG DẪN" in text


def test_a_supplement_item_without_a_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="reason"):
        SupplementItem("Giấy chứng sinh", "  ")


def test_the_refusal_states_its_specific_reason() -> None:
    text = all_text(render_mau03(refusal()))
    assert "thông báo không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:" in text
    assert "Việc khai sinh cho trẻ đã được đăng ký tại Ủy ban nhân dân phường Phan Thiết." in text


def test_the_apology_gives_the_original_due_time_the_reason_and_the_new_return_time_signed_by_the_head() -> (
    None
):
    text = all_text(render_mau04(apology()))
    assert "Kính gửi: Nguyễn Thị Hằng" in text
    assert "Số: 45/UBND-TP" in text
    assert "Thời hạn trả kết quả giải quyết hồ sơ: 08 giờ 30 phút, ngày 06 tháng 11 năm 2024." in text
    assert "Lý do: Cần xác minh thông tin nơi cư trú của người mẹ tại tỉnh Hà Giang." in text
    assert "16 giờ 00 phút, ngày 08 tháng 11 năm 2024" in text
    assert "CHỦ TỊCH" in text and "Hoàng Văn Thắng" in text


def test_the_stop_notice_gives_its_reason_and_legal_basis() -> None:
    text = all_text(render_mau05(stop_notice()))
    assert "Về việc dừng giải quyết hồ sơ" in text
    assert "Căn cứ Điều 18 Nghị định số 118/2025/NĐ-CP, Bộ phận Tiếp nhận" in text
    assert "Lý do: Người nộp hồ sơ có văn bản đề nghị dừng giải quyết ngày 06/11/2024." in text


def test_the_control_sheet_shows_each_handover_with_its_own_result() -> None:
    page = read(render_mau06(control_sheet())).pages[0]
    text = page_text(page)
    body = text.split("GHI CHÚ", 1)[1]  # after the header, which names all three results
    assert re.findall("Trước hạn|Đúng hạn|Quá hạn", body) == ["Trước hạn", "Đúng hạn", "Quá hạn"]
    assert "1. Giao: Bộ phận Tiếp nhận và Trả kết quả 2. Nhận: Công chức Tư pháp - Hộ tịch" in body
    assert "09 giờ 00 phút, ngày 05 tháng 11 năm 2024" in body
    assert "Ký chậm do đi công tác" in body
    # Each result sits level with its own hand-over row: between that row's time and the next row's.
    runs = text_runs(page)
    times = [next(r.y for r in runs if r.text.startswith(t)) for t in ("09 giờ 00", "15 giờ 00", "10 giờ 00")]
    results = [next(r.y for r in runs if r.text == label) for label in ("Trước hạn", "Đúng hạn", "Quá hạn")]
    for i in range(3):
        assert results[i] == pytest.approx(times[i], abs=1)  # on the first line of its row
    assert results[0] > times[1] and results[1] > times[2]


def test_a_handover_result_outside_early_on_time_late_is_refused() -> None:
    with pytest.raises(ValueError, match="result"):
        Handover("A", "B", RECEIVED, "x", "y", "soon")  # type: ignore[arg-type]


def test_the_register_runs_over_pages_with_its_header_repeated_and_entries_numbered_01_to_60() -> None:
    data = render_mau07(register(60))
    reader = read(data)
    assert len(reader.pages) >= 3
    first = reader.pages[0]
    assert float(first.mediabox.width) == pytest.approx(841.89, abs=1)  # A4 landscape
    assert float(first.mediabox.height) == pytest.approx(595.28, abs=1)
    assert "SỔ THEO DÕI HỒ SƠ" in page_text(first) and "Năm 2024" in page_text(first)
    left_edge = pdf.MARGINS_A4_LANDSCAPE.left
    numbers = []
    for number, page in enumerate(reader.pages, start=1):
        text = page_text(page)
        for header in ("STT", "Mã hồ sơ", "Ngày, tháng, năm", "Trả kết quả cho cá nhân, tổ chức", "(14)"):
            assert header in text, f"page {number} lacks the header {header!r}"
        assert f"Trang {number}/{len(reader.pages)}" in text
        assert runs_outside(page, pdf.MARGINS_A4_LANDSCAPE) == []
        # The STT column is the first one: the two-digit numbers that start within it.
        numbers += [
            r.text for r in text_runs(page) if re.fullmatch(r"\d{2}", r.text) and r.x0 < left_edge + 25
        ]
    assert numbers == [f"{i:02d}" for i in range(1, 61)]
    text = all_text(data)
    assert "000.00.12.H60-240102-0001" in text and "000.00.12.H60-240122-0060" in text


def test_register_entries_must_be_numbered_continuously_from_01() -> None:
    entries = register(3).entries
    with pytest.raises(ValueError, match="continuously"):
        RegisterData(agency=AGENCY, year=2024, entries=(entries[0], entries[2]))


def test_long_text_wraps_and_never_runs_off_the_page() -> None:
    long_reason = (
        "Hồ sơ không thuộc thẩm quyền giải quyết của Ủy ban nhân dân xã Mỹ Bằng theo quy định tại khoản 1 "
        "Điều 13 Luật Hộ tịch năm 2014; đề nghị Ông/Bà nộp hồ sơ tại Ủy ban nhân dân nơi cư trú của người "
        "mẹ. " * 6
    )
    long_agency = Agency(
        name="Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang - Chi nhánh liên xã Mỹ Bằng, Phú Lâm, "
        "Tân Long",
        parent_name="Văn phòng Ủy ban nhân dân tỉnh Tuyên Quang",
        locality="Tuyên Quang",
    )
    long_person = Person(
        name="Công ty trách nhiệm hữu hạn một thành viên Thương mại và Dịch vụ Nông nghiệp Xanh Tuyên Quang",
        address="Số 123, đường Nguyễn Trãi, tổ dân phố Tân Hà, phường Minh Xuân, tỉnh Tuyên Quang",
        email="phong.hanhchinh.tonghop.congtythuongmaidichvunongnghiepxanh@example.vn",
    )
    documents = [
        render_mau01(
            receipt(
                agency=long_agency,
                applicant=long_person,
                papers=tuple(Paper(long_reason[:180], "Bản sao có chứng thực", 2) for _ in range(4)),
            )
        ),
        render_mau02(supplement(agency=long_agency, items=(SupplementItem(long_reason[:200], long_reason),))),
        render_mau03(refusal(agency=long_agency, applicant=long_person, reason=long_reason)),
        render_mau04(apology(agency=long_agency, delay_reason=long_reason)),
        render_mau05(stop_notice(agency=long_agency, reason=long_reason, legal_basis=long_reason[:150])),
        render_mau06(control_sheet(agency=long_agency, handovers=control_sheet().handovers * 4)),
    ]
    for form, data in enumerate(documents, start=1):
        reader = read(data)
        for page in reader.pages:
            assert runs_outside(page, pdf.MARGINS_A5) == [], f"Mẫu 0{form}"
        text = all_text(data)
        assert pdf.upper(long_agency.name) in text
        assert form == 6 or "Tuyên Quang, ngày" in text  # the control sheet has no place-and-date line
    # The long reason wrapped onto several lines and came through whole.
    assert " ".join(long_reason.split()) in all_text(documents[2])
    assert "phong.hanhchinh.tonghop" in all_text(documents[0])
    # The control sheet with twelve hand-overs needed a second page, and repeats its header there.
    sheet = read(documents[5])
    assert len(sheet.pages) >= 2
    assert all("THỜI GIAN GIAO, NHẬN HỒ SƠ" in page_text(p) for p in sheet.pages)


def test_forms_table_maps_each_number_to_its_titles_and_renderer() -> None:
    assert sorted(FORMS) == ["01", "02", "03", "04", "05", "06", "07"]
    assert FORMS["01"].title_vi == "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    assert FORMS["06"].title_en == "Control sheet"
    title_vi, _title_en, renderer = FORMS["07"]
    assert title_vi == "Sổ theo dõi hồ sơ"
    assert "SỔ THEO DÕI HỒ SƠ" in all_text(renderer(register(2)))


def test_a_naive_datetime_is_refused_when_the_data_is_built() -> None:
    with pytest.raises(ValueError, match="aware"):
        receipt(received_at=datetime(2024, 11, 5, 8, 30))
