"""Catalog test data: real national records, imported through the same service as production.

While the shipped catalog (`data/catalog.jsonl.gz`) is not there yet, a few records are written out by
hand from the national portal's pages (trimmed); once it is, the tests read it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from tinhso.procedures import parsed as p
from tinhso.procedures import services
from tinhso.procedures.models import Procedure
from tinhso.procedures.seed import SEED_CODES

BIRTH = "1.001193"  # Thủ tục đăng ký khai sinh
PERMANENT_RESIDENCE = "1.004222"  # Đăng ký thường trú
CERTIFIED_COPY = "2.000815"  # Chứng thực bản sao từ bản chính


def _hand_written() -> list[p.ParsedProcedure]:
    birth = p.ParsedProcedure(
        code=BIRTH,
        name="Thủ tục đăng ký khai sinh",
        source_url="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7",
        decision_number="163/QĐ-BTP",
        field_name="Hộ tịch",
        levels=["commune"],
        procedure_type="TTHC được giao luật quy định chi tiết",
        applicants="Công dân Việt Nam, Người Việt Nam định cư ở nước ngoài",
        competent_agency="",
        implementing_agency="",
        receiving_address="",
        delegated_agency="",
        coordinating_agency="",
        related_procedures=[],
        steps=(
            "- Nếu lựa chọn hình thức nộp hồ sơ trực tiếp, người yêu cầu đăng ký khai sinh nộp hồ sơ tại "
            "Trung tâm Phục vụ hành chính công có thẩm quyền.\n"
            "- Nếu lựa chọn hình thức nộp hồ sơ trực tuyến, người yêu cầu đăng ký khai sinh truy cập Cổng "
            "dịch vụ công quốc gia hoặc Ứng dụng định danh quốc gia."
        ),
        conditions="",
        # As the national page gives it: "1" with no unit, which the importer does not guess.
        channels=[
            p.ChannelRule(c, None, None, "1", "free", fee_text="Miễn phí")  # type: ignore[arg-type]
            for c in ("online", "postal", "direct")
        ],
        papers=[
            p.RequiredPaper(
                "Giấy chứng sinh; trường hợp không có Giấy chứng sinh thì nộp văn bản của người làm chứng "
                "xác nhận về việc sinh.",
                group="Giấy tờ phải nộp",
                kind="original",
                quantity=1,
                quantity_text="1 bản chính",
            ),
            p.RequiredPaper(
                "Giấy tờ có giá trị chứng minh thông tin về cư trú.",
                group="Giấy tờ phải xuất trình",
                kind="original",
                quantity=1,
                quantity_text="1 bản chính",
            ),
            p.RequiredPaper(
                "Tờ khai đăng ký khai sinh theo mẫu",
                kind="original",
                quantity=1,
                quantity_text="1 bản chính",
            ),
        ],
        legal_basis=[
            p.LegalBasis("123/2015/NĐ-CP", "Nghị định số 123/2015/NĐ-CP quy định chi tiết Luật Hộ tịch"),
            p.LegalBasis("60/2014/QH13", "Luật 60/2014/QH13"),
        ],
        results=[p.ResultDocument("Giấy khai sinh", "KQ.G15.000031")],
        online_level="information",
        problems=[
            p.FieldProblem(
                "cach_thuc_thuc_hien", "the time '1' has no unit, and the page does not state one for it", "1"
            )
        ],
    )
    residence = p.ParsedProcedure(
        code=PERMANENT_RESIDENCE,
        name="Đăng ký thường trú",
        source_url="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/dang-ky-thuong-tru",
        decision_number="1523/QĐ-BCA-C06",
        field_name="Đăng ký, quản lý cư trú",
        levels=["commune"],
        procedure_type="TTHC được luật giao quy định chi tiết",
        applicants="Người Việt Nam định cư ở nước ngoài, Công dân Việt Nam",
        competent_agency="Công an cấp Xã",
        implementing_agency="Công an cấp Xã",
        receiving_address="",
        delegated_agency="",
        coordinating_agency="",
        related_procedures=[BIRTH, "1.999999"],
        steps="Bước 1: Công dân chuẩn bị hồ sơ.\nBước 2: Nộp hồ sơ tại Công an cấp xã.",
        conditions="Người thực hiện thủ tục đã được thu thập, cập nhật thông tin công dân vào Cơ sở dữ liệu "
        "quốc gia về dân cư, Cơ sở dữ liệu về cư trú",
        channels=[
            p.ChannelRule(
                "direct",
                Decimal(7),
                "working_day",
                "7 Ngày làm việc",
                "amounts",
                fees=[p.Fee("Lệ phí", 20000)],
                fee_text="20,000 Việt Nam Đồng",
            ),
            p.ChannelRule(
                "online",
                Decimal(7),
                "working_day",
                "7 Ngày làm việc",
                "amounts",
                fees=[p.Fee("Lệ phí", 10000)],
                fee_text="10,000 Việt Nam Đồng (nộp qua cổng dịch vụ công trực tuyến)",
            ),
        ],
        papers=[
            p.RequiredPaper(
                "Tờ khai thay đổi thông tin cư trú",
                group="Đăng ký thường trú vào chỗ ở hợp pháp thuộc quyền sở hữu của mình",
                kind="original",
                quantity=1,
                form_template="Mẫu CT01",
            )
        ],
        legal_basis=[p.LegalBasis("68/2020/QH14", "Luật Cư trú 2020")],
        results=[
            p.ResultDocument("Cập nhật thông tin trong Cơ sở dữ liệu quốc gia về dân cư", "KQ.G01.000064")
        ],
        online_level="full",
    )
    copy = p.ParsedProcedure(
        code=CERTIFIED_COPY,
        name="Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm quyền "
        "của Việt Nam "
        "cấp hoặc chứng nhận",
        source_url="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/chung-thuc-ban-sao",
        decision_number="1329/QĐ-BTP",
        field_name="Chứng thực",
        levels=["commune", "other"],
        procedure_type="",
        applicants="Công dân Việt Nam",
        competent_agency="",
        implementing_agency="Ủy ban nhân dân cấp xã",
        receiving_address="",
        delegated_agency="",
        coordinating_agency="",
        related_procedures=[],
        steps="",
        conditions="",
        channels=[
            p.ChannelRule(
                "direct",
                None,
                None,
                "Không có thông tin",
                "text",
                fee_text="2.000 đồng/trang; từ trang thứ 3 trở lên thu 1.000 đồng/trang",
            )
        ],
        papers=[
            p.RequiredPaper("Bản chính giấy tờ, văn bản làm cơ sở để chứng thực bản sao", kind="original")
        ],
        legal_basis=[],
        results=[],
        online_level="information",
        problems=[
            p.FieldProblem("cach_thuc_thuc_hien", "time not stated", "Không có thông tin"),
        ],
    )
    return [birth, residence, copy]


def catalog_records(codes: Iterable[str] = SEED_CODES) -> list[p.ParsedProcedure]:
    wanted = set(codes)
    path = Path(os.environ.get("TINHSO_TEST_CATALOG", services.CATALOG_PATH))
    if path.exists():
        return [r for r in services.catalog_read(path) if r.code in wanted]
    return [r for r in _hand_written() if r.code in wanted]


def catalog_load(codes: Iterable[str] = SEED_CODES) -> dict[str, Procedure]:
    """Import the given procedures; returns them by code."""
    for record in catalog_records(codes):
        services.procedure_import(parsed=record)
    return {x.code: x for x in Procedure.objects.filter(code__in=list(codes))}
