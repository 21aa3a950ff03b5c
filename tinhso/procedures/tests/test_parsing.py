"""The parser of the national procedure records: one test per format found in the 1,853 real records.

The records under records/ are byte-for-byte copies of ../shared/data/procedures/dvcqg (see
records/README.md); records/malformed/ holds hand-made broken variants.
"""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tinhso.procedures.parsed import Fee, ParsedProcedure
from tinhso.procedures.parsing import (
    COVERAGE_FIELDS,
    RecordError,
    coverage,
    page_sections,
    parse_channels,
    parse_record,
    read_record,
)

RECORDS = Path(__file__).parent / "records"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "procedures" / "dvcqg"


def parse(code: str) -> ParsedProcedure:
    return parse_record(read_record(RECORDS / f"{code}.json"))


def problems(parsed: ParsedProcedure, field: str) -> list[str]:
    return [p.message for p in parsed.problems if p.field == field]


def times(parsed: ParsedProcedure) -> list[tuple[str, Decimal | None, str | None]]:
    return [(c.channel, c.time_value, c.time_unit) for c in parsed.channels]


# --- The province's six seed procedures ---------------------------------------------------------------------


def test_birth_registration_is_free_but_its_unitless_time_is_not_guessed():
    p = parse("1.001193")
    assert (p.code, p.name, p.decision_number, p.levels) == (
        "1.001193",
        "Thủ tục đăng ký khai sinh",
        "163/QĐ-BTP",
        ["commune"],
    )
    # "Trực tuyến1Miễn phí": the portal left the unit empty, and the page states none for "1".
    assert times(p) == [("online", None, None), ("postal", None, None), ("direct", None, None)]
    assert [c.time_text for c in p.channels] == ["1", "1", "1"]
    assert [c.fee_kind for c in p.channels] == ["free", "free", "free"]
    assert problems(p, "cach_thuc_thuc_hien") == [
        "the time '1' has no unit, and the page does not state one for it"
    ]
    groups = [x.group for x in p.papers]
    assert groups[0] == "Giấy tờ phải nộp" and "Giấy tờ phải xuất trình" in groups
    first = p.papers[0]
    assert first.name.startswith("Trường hợp trẻ em bị bỏ rơi thì phải có biên bản")
    assert (first.kind, first.quantity, first.quantity_text) == ("original", 1, "1 bản chính")
    numbers = [x.number for x in p.legal_basis]
    assert numbers[:3] == ["85/2019/TT-BTC", "104/2022/NĐ-CP", "123/2015/NĐ-CP"]
    assert ("60/2014/QH13", "Luật 60/2014/QH13") in [(x.number, x.title) for x in p.legal_basis]
    assert "66.7/2025/NQ-CP" in numbers
    # The record's legal basis is complete: it ends with a number, not mid-title.
    assert numbers[-1] == "01/2022/TT-BTP" and not problems(p, "can_cu_phap_ly")
    assert [(r.name, r.code) for r in p.results] == [("Giấy khai sinh", "KQ.G15.000031")]
    assert p.online_level == "unknown"
    assert p.implementing_agency == "" and p.conditions == "" and p.related_procedures == []


def test_death_registration_fee_set_by_the_provincial_council_is_regulated_not_free():
    p = parse("1.000656")
    # The portal shows "Miễn phí" (its amount is 0) and the note says the council sets the fee: the page
    # states no amount, it names who sets it.
    assert {c.fee_kind for c in p.channels} == {"regulated"}
    assert p.channels[0].fee_text.startswith(
        "Miễn phí(Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh, thành phố trực thuộc Trung ương quyết định."
    )
    assert all(c.fees == [] for c in p.channels)
    assert not any(m.startswith("the fee") for m in problems(p, "cach_thuc_thuc_hien"))
    assert p.implementing_agency == "Ủy ban Nhân dân xã, phường, thị trấn."  # no-break spaces made plain
    assert [(r.name, r.code) for r in p.results] == [("Trích lục khai tử", "KQ.G15.000034")]


def test_certified_copies_keep_both_direct_rows_one_in_dong_per_page_one_in_dollars():
    p = parse("2.000815")
    assert [c.channel for c in p.channels] == ["direct", "direct"]
    assert [c.fees for c in p.channels] == [[Fee("", 2000, "VND")], [Fee("", 10, "USD")]]
    assert [c.fee_text for c in p.channels] == ["2,000 Việt Nam Đồng(/trang)", "10 USD(/bản)"]
    assert p.channels[1].description == "Tại cơ quan đại diện: 10 USD/bản."
    # "Không có thông tin" is not a time, and not a problem either.
    assert [(c.time_value, c.time_text) for c in p.channels] == [(None, "Không có thông tin")] * 2
    assert not p.problems
    assert p.levels == ["commune", "other"]
    assert p.online_level == "information"  # no online channel on the page


def test_temporary_residence_reads_times_fees_form_files_and_both_kinds_of_copies():
    p = parse("1.004194")
    assert times(p) == [("online", Decimal(3), "working_day"), ("direct", Decimal(3), "working_day")]
    assert [c.fees for c in p.channels] == [[Fee("", 7000)], [Fee("", 10000)]]
    assert p.papers[0].group == "Hồ sơ đăng ký tạm trú gồm"
    form = p.papers[2]
    assert form.name == (
        "Tờ khai thay đổi thông tin cư trú (Mẫu CT01 ban hành kèm theo Thông tư số 53/2025/TT-BCA); đối với "
        "người đăng ký tạm trú là người chưa thành niên thì trong tờ khai phải ghi rõ ý kiến đồng ý của cha, "
        "mẹ hoặc người giám hộ, trừ trường hợp đã có ý kiến đồng ý bằng văn bản;"
    )
    assert form.form_template == "1.MuCT01banhnhkmtheoThngts53.doc"
    both = next(x for x in p.papers if x.quantity_text == "1 bản chính,1 bản sao")
    assert (both.kind, both.originals, both.copies, both.quantity) == ("original_and_copy", 1, 1, 2)
    # "Luật Cư trú 2020" + "68/2020/QH14", glued: the title's year is not part of the number.
    assert ("68/2020/QH14", "Luật Cư trú 2020") in [(x.number, x.title) for x in p.legal_basis]
    assert [r.code for r in p.results] == ["KQ.G01.000067", "KQ.G01.000064", "KQ.G01.000065", "KQ.G01.000066"]
    assert not p.problems


def test_temporary_absence_keeps_two_online_rows_with_their_own_times():
    p = parse("1.003677")
    assert times(p) == [("online", Decimal(1), "working_day"), ("online", Decimal(2), "working_day")]
    assert {c.fee_kind for c in p.channels} == {"unknown"}
    assert p.channels[1].description.startswith("trường hợp phức tạp thì có thể kéo dài hơn")
    assert len(p.papers) == 3 and p.papers[2].kind == "original_and_copy"
    assert ("Phiếu khai báo tạm vắng (CT03)", "KQ.G01.000061") in [(r.name, r.code) for r in p.results]
    assert not p.problems


def test_permanent_residence_reads_its_cases_as_paper_groups():
    p = parse("1.004222")
    assert times(p) == [("online", Decimal(7), "working_day"), ("direct", Decimal(7), "working_day")]
    assert [c.fees for c in p.channels] == [[Fee("", 10000)], [Fee("", 20000)]]
    groups = list(dict.fromkeys(x.group for x in p.papers))
    assert groups[0] == "Đăng ký thường trú vào chỗ ở hợp pháp thuộc quyền sở hữu của mình"
    assert len(groups) >= 6
    assert p.legal_basis[-1].number == "58/2026/NĐ-CP"
    assert p.legal_basis[-1].title.startswith("SỬA ĐỔI, BỔ SUNG MỘT SỐ ĐIỀU CỦA CÁC NGHỊ ĐỊNH")
    assert not p.problems


# --- Times --------------------------------------------------------------------------------------------------


def test_hours_are_a_time_unit():
    assert times(parse("1.003984")) == [("direct", Decimal(24), "hour")]


def test_months_are_a_time_unit():
    p = parse("2.001429")
    assert {(c.time_value, c.time_unit) for c in p.channels} == {(Decimal(4), "month")}
    assert {c.fee_text for c in p.channels} == {"1,500,000 VNĐ(đồng/lần)"}


def test_half_days_are_read_as_decimals():
    found: list = []
    rows = parse_channels(
        "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp0.5 Ngày làm việcMiễn phí", problems=found
    )
    assert [(r.time_value, r.time_unit, r.fee_kind) for r in rows] == [
        (Decimal("0.5"), "working_day", "free")
    ]
    assert found == []


def test_a_bare_number_takes_its_unit_from_a_sentence_about_the_processing_time():
    # "Trực tuyến3Miễn phí…"; the steps say "trong thời hạn 03 ngày làm việc, kể từ ngày nhận được hồ sơ".
    p = parse("1.003650")
    assert {(c.time_text, c.time_value, c.time_unit) for c in p.channels} == {
        ("3", Decimal(3), "working_day")
    }
    assert not problems(p, "cach_thuc_thuc_hien")


def test_a_bare_number_stays_unparsed_when_the_page_only_mentions_other_durations():
    # Online "3" is confirmed by "thời hạn 03 ngày làm việc kể từ ngày nhận hồ sơ"; the "1" of the other
    # rows is not, and "thời hạn 01 năm trước khi chuyển đổi" is a condition, not the processing time.
    p = parse("2.001999")
    assert times(p) == [("online", Decimal(3), "working_day"), ("postal", None, None), ("direct", None, None)]
    assert problems(p, "cach_thuc_thuc_hien") == [
        "the time '1' has no unit, and the page does not state one for it"
    ]


def test_a_time_in_words_is_kept_as_text():
    p = parse("1.009824")
    assert {c.time_value for c in p.channels} == {None}
    assert p.channels[0].time_text.startswith("Hệ thống giải quyết thủ tục hành chính ngành Thuế")
    assert p.channels[0].description == "Tại Trung tâm phục vụ hành chính công cấp tỉnh, xã"
    assert problems(p, "cach_thuc_thuc_hien")[0].startswith("the time is text, not a number of days")


# --- Fees ---------------------------------------------------------------------------------------------------


def test_a_time_glued_to_a_fee_is_split_only_where_the_note_confirms_the_fee():
    # "Trực tuyến120 VNĐ(20.000 vnđ /tờ khai)": time "1" + fee "20" (thousands), says the note.
    glued = parse("1.000014")
    assert [(c.time_value, c.fees) for c in glued.channels] == [(None, [Fee("", 20000)])] * 2
    assert problems(glued, "cach_thuc_thuc_hien")[0].startswith(
        "the time cell is glued to the fee ('120 VNĐ')"
    )
    # "1100 VNĐ(Phí công bố nội dung đăng ký doanh nghiệp: 100.000 đồng/lần …)".
    labelled = parse("2.002009")
    assert labelled.channels[0].fees == [Fee("Phí công bố nội dung đăng ký doanh nghiệp", 100000)]
    # "Trực tuyến120 VNĐ" alone: "1" + "20", or "12" + "0"? Nothing says.
    bare = parse("1.006429")
    assert (bare.channels[0].fee_kind, bare.channels[0].fees) == ("text", [])
    assert "the fee cannot be told from the time in '120 VNĐ'" in problems(bare, "cach_thuc_thuc_hien")


def test_an_amount_below_a_thousand_dong_is_taken_from_its_note_or_not_at_all():
    confirmed = parse("3.000349")  # "135 VNĐ(Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.)"
    assert confirmed.channels[0].fees == [Fee("Lệ phí cấp giấy phép lái xe", 135000)]
    assert not confirmed.problems
    unconfirmed = parse("1.002079")  # "50 VNĐ", "50 VNĐ(hồ sơ)"
    assert {c.fee_kind for c in unconfirmed.channels} == {"text"}
    assert problems(unconfirmed, "cach_thuc_thuc_hien") == [
        "the fee 50 đồng is below 1,000 đồng and its note does not state it in full"
    ]


def test_an_amount_takes_its_label_from_the_note():
    p = parse("1.001294")  # "2,000 Việt Nam Đồng(phí đổi thẻ bảo hiểm y tế: 2.000 đồng/thẻ)"
    assert p.channels[0].fees == [Fee("phí đổi thẻ bảo hiểm y tế", 2000)]


def test_free_with_a_note_that_says_there_is_none_stays_free():
    p = parse("2.002418")  # "Miễn phí(Không có)"
    assert {(c.fee_kind, c.fee_text) for c in p.channels} == {("free", "Miễn phí(Không có)")}


def test_free_with_a_note_naming_who_sets_the_fee_is_regulated():
    p = parse("1.004232")  # "Miễn phí(do Ủy ban nhân dân cấp tỉnh quy định.)"
    assert {(c.fee_kind, c.fee_text) for c in p.channels} == {
        ("regulated", "Miễn phí(do Ủy ban nhân dân cấp tỉnh quy định.)")
    }
    assert not problems(p, "cach_thuc_thuc_hien")


def test_free_with_an_exemption_for_some_cases_is_text_not_free():
    # "Miễn phí(Miễn lệ phí đăng ký doanh nghiệp đối với trường hợp đăng ký qua mạng điện tử, …)": free for
    # the cases the note lists, unknown for the others: not reduced to "free", listed for an official.
    p = parse("2.002015")
    assert "text" in {c.fee_kind for c in p.channels}
    assert any(
        m.startswith("the fee says free but its note qualifies it: '(Miễn lệ phí đăng ký doanh nghiệp")
        for m in problems(p, "cach_thuc_thuc_hien")
    )


def test_free_with_amounts_in_its_note_is_text_because_they_contradict_it():
    # "Miễn phí(- Dưới 5 tấn: 50.000 đồng/giấy; - Từ 5 tấn đến 15 tấn: 100.000 đồng/giấy; …)"
    p = parse("1.013424")
    qualified = [c for c in p.channels if c.fee_text.startswith("Miễn phí(- Dưới 5 tấn")]
    assert qualified and all(c.fee_kind == "text" and c.fees == [] for c in qualified)


# --- Required papers ----------------------------------------------------------------------------------------


def test_glued_form_files_are_separated():
    p = parse("1.004232")
    assert [x.form_template for x in p.papers] == ["Mau01.docx", "Mau35.docx; Mau36.docx"]
    assert p.papers[1].name.startswith("Đề án thăm dò nước dưới đất")


def test_counts_written_inside_a_name_are_not_quantity_cells():
    # "b) Hóa đơn thương mại: 01 bản chụp;" + "0 bản chính,1 bản sao"
    p = parse("1.000005")
    invoice = next(x for x in p.papers if x.name.startswith("b) Hóa đơn thương mại"))
    assert invoice.name == "b) Hóa đơn thương mại: 01 bản chụp;"
    assert (invoice.kind, invoice.quantity, invoice.originals, invoice.copies) == ("copy", 1, 0, 1)
    assert p.papers[0].group == "1. Chứng từ phải nộp"


def test_a_certified_copy_is_told_by_its_name():
    p = parse("1.007413")
    names = {x.name: x.kind for x in p.papers}
    assert names["d) Bản sao có chứng thực chứng chỉ kế toán viên;"] == "certified_copy"


def test_sections_shifted_by_the_crawler_are_cut_again_from_the_page():
    raw = read_record(RECORDS / "1.001521.json")
    # The crawler cut at "(Thành phần hồ sơ)" inside the steps: the field holds the rest of the steps.
    assert raw["thanh_phan_ho_so"].startswith("); nộp hồ sơ cho cơ quan BHXH")
    p = parse_record(raw)
    assert len(p.papers) == 8 and not problems(p, "thanh_phan_ho_so")
    assert p.papers[0].name.startswith("8. Trường hợp đang hưởng trợ cấp TNLĐ, BNN trước ngày 1/1/2007")
    assert "Bước 3. Nhận kết quả giải quyết" in p.steps
    assert p.steps.startswith(
        "Bước 1. Lập, nộp hồ sơ NLĐ lập hồ sơ theo quy định tại mục 5.3 (Thành phần hồ sơ)"
    )


def test_a_page_without_a_results_section_gives_no_results_and_no_portal_text():
    p = parse("1.000916")
    assert p.results == [] and p.conditions == ""
    # "Nghị định 41/2016/NĐ-CP41/201Đ-CP": the number cell is mistyped on the page.
    assert problems(p, "can_cu_phap_ly") == [
        "a number cell after a title ending in a number is not a document number"
    ]


# --- Legal basis --------------------------------------------------------------------------------------------


def test_a_number_glued_to_a_date_in_its_title_is_split_at_the_year():
    pairs = [(x.number, x.title) for x in parse("1.010732").legal_basis]
    assert ("72/2020/QH14", "Luật Bảo vệ môi trường số 72/2020/QH14 ngày 17 tháng 11 năm 2020") in pairs
    numbers = [number for number, _ in pairs]
    assert "09/2026/TT-BNNMT" in numbers and "66.19/2026/NQ-CP" in numbers  # "…năm 2025." + "09/2026/…"


def test_a_number_cell_with_its_own_words_gives_the_number():
    pairs = [(x.number, x.title) for x in parse("1.004943").legal_basis]
    assert (
        "146/2025/QH15",
        "Luật sửa đổi, bổ sung một số điều của 15 luật trong lĩnh vực nông nghiệp và môi trường",
    ) in pairs
    assert ("31/2024/QH15", "Luật Đất đai ngày 18/01/2024;") in pairs


def test_an_incomplete_number_is_kept_and_reported():
    p = parse("1.003867")
    assert (p.legal_basis[0].number, p.legal_basis[0].title) == (
        "08/2026",
        "Thông tư số 08/2026/TT-BNNMT ngày 26/01/2026",
    )
    assert problems(p, "can_cu_phap_ly") == ["the number '08/2026' lacks its year or document type"]


def test_a_title_without_a_number_at_the_end_is_reported_not_invented():
    p = parse("3.000353")  # "…06/2007/QH12Luật Hóa chất"
    assert [x.number for x in p.legal_basis] == ["06/2007/QH12"]
    assert [x.raw for x in p.problems if x.field == "can_cu_phap_ly"] == ["Luật Hóa chất"]


# --- Results, online level ----------------------------------------------------------------------------------


def test_result_names_and_codes_are_split_and_the_portal_block_is_dropped():
    p = parse("1.015027")
    assert [r.code for r in p.results] == ["KQ.G01.000274", "KQ.G01.000275", "KQ.G01.000273", "KQ.G01.000276"]
    assert p.results[1].name == "Chuyển hồ sơ đã được giải quyết về Công an cấp tỉnh (nơi đề nghị);"
    assert not any("Từ khóa" in r.name or "Nộp hồ sơ" in r.name for r in p.results)
    assert not problems(p, "ket_qua_xu_ly")


def test_a_placeholder_result_code_is_kept_as_the_page_writes_it():
    p = parse("2.000942")
    assert [(r.name, r.code) for r in p.results] == [("Bản sao giao dịch được chứng thực", "dsfas")]


def test_the_online_level_is_read_from_the_name_or_left_unknown():
    assert parse("1.013065").online_level == "full"  # "… bằng dịch vụ công toàn trình"
    assert parse("1.013067").online_level == "partial"  # "… bằng dịch vụ công một phần hoặc trực tiếp …"
    assert parse("2.000815").online_level == "information"  # no online channel
    assert parse("1.001193").online_level == "unknown"  # online channel, level not stated


# --- Records that are not records, and truncated ones -------------------------------------------------------


def test_a_file_cut_off_mid_json_is_not_a_record():
    with pytest.raises(RecordError) as exc:
        read_record(RECORDS / "malformed" / "1.001193-cut-off.json")
    assert exc.value.where.endswith("1.001193-cut-off.json")
    assert exc.value.message.startswith("not a readable JSON file")


def test_a_json_list_is_not_a_record():
    with pytest.raises(RecordError, match="a record is a JSON object, not list"):
        read_record(RECORDS / "malformed" / "not-an-object.json")


def test_a_record_missing_keys_is_not_a_record():
    raw = json.loads((RECORDS / "malformed" / "missing-keys.json").read_text(encoding="utf-8"))
    with pytest.raises(RecordError) as exc:
        parse_record(raw)
    assert (exc.value.where, exc.value.message) == (
        "1.001193",
        "missing keys: cach_thuc_thuc_hien, thanh_phan_ho_so",
    )


def test_a_record_whose_values_are_not_strings_is_not_a_record():
    raw = json.loads((RECORDS / "malformed" / "wrong-types.json").read_text(encoding="utf-8"))
    with pytest.raises(RecordError, match="values are not strings: ten_thu_tuc, cap_thuc_hien"):
        parse_record(raw)


def test_a_record_without_a_national_code_is_not_a_record():
    raw = json.loads((RECORDS / "malformed" / "bad-code.json").read_text(encoding="utf-8"))
    with pytest.raises(RecordError, match="not a national procedure code: 'KS-01'"):
        parse_record(raw)


def test_a_record_cut_off_in_its_legal_basis_keeps_what_it_has_and_reports_the_rest():
    raw = read_record(RECORDS / "malformed" / "1.001193-legal-basis-cut.json")
    assert page_sections(raw["raw_text"]) is None  # the page text is cut short too: the fields are used
    p = parse_record(raw)
    assert [x.number for x in p.legal_basis] == ["85/2019/TT-BTC", "104/2022/NĐ-CP", "123/2015/NĐ-CP"]
    assert [(x.message, x.raw) for x in p.problems if x.field == "can_cu_phap_ly"] == [
        (
            "the text ends with a title that has no number (truncated?)",
            "Thông tư số 08/2025/TT-BTP ngày 12/6/2025 của Bộ trưởng Bộ Tư pháp",
        )
    ]
    assert p.results == [] and len(p.papers) > 5


# --- All the national records -------------------------------------------------------------------------------

# The targets are 98 % (times), 95 % (fees) and 95 % (papers) of the records whose page states
# them. Read literally ("time", "fee"), the first two cannot be met without guessing: about 250 records give
# a bare number ("1", mostly a placeholder) with no unit, and about 170 say "Miễn phí" with a note that
# leaves the amount to the provincial council or a circular. Without those rows, which state no value
# ("time_with_unit", "fee_amount_on_page"), times reach the target and fees come close (the rest is listed
# in the import report). These floors are what the parser reaches, so that a regression fails here.
FLOORS = {
    "time": 0.82,
    "time_with_unit": 0.98,
    "fee": 0.82,
    "fee_amount_on_page": 0.92,
    "papers": 0.99,
    "legal_basis": 0.95,
    "results": 0.99,
}


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data/procedures/dvcqg")
def test_every_national_record_parses_at_the_measured_rates():
    stated = dict.fromkeys(COVERAGE_FIELDS, 0)
    parsed = dict.fromkeys(COVERAGE_FIELDS, 0)
    files = sorted(SHARED.rglob("*.json"))
    for path in files:
        for name, (is_stated, is_parsed) in coverage(parse_record(read_record(path))).items():
            stated[name] += is_stated
            parsed[name] += is_parsed
    assert len(files) == 1853
    rates = {name: parsed[name] / stated[name] for name in FLOORS}
    assert all(rates[name] >= floor for name, floor in FLOORS.items()), rates


def test_decomposed_letters_of_the_portal_are_read_as_composed_nfc():
    import unicodedata

    from tinhso.procedures.parsing import parse_record

    raw = json.loads((RECORDS / "1.001193.json").read_text(encoding="utf-8"))
    raw["ten_thu_tuc"] = unicodedata.normalize("NFD", raw["ten_thu_tuc"])
    parsed = parse_record(raw)
    assert parsed.name == "Thủ tục đăng ký khai sinh"
    assert unicodedata.is_normalized("NFC", parsed.name)
