"""The Decision 766/QĐ-TTg service index (*Bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng phục vụ người
dân, doanh nghiệp*; docs/domain/one-stop.md §12) for an agency's subtree or the whole province.

- `INDICATORS`: the 24 rows of the index as DVCQG computed them in 2026 (reference: `ChippedTopaz/qd766`
  `docs/metrics.m0.json`, whose `stt` numbers are kept; weights total 100 for a province), each with its
  code, Vietnamese name, group, maximum points (None: tracked without points), whether it applies at
  commune level, the reference formula, and either the rule by which Tỉnh Số computes it or the reason it
  cannot yet.
- `index766(agency=…, period=…)`: every indicator's numerator, denominator, ratio and points for the
  period, with its state: computed, provisional, not applicable at commune level, no data yet, or nothing
  to measure in the period. Never a number the data does not give (OS-IX1): an indicator whose data Tỉnh
  Số does not hold carries no points, and the totals say "points computed / points possible".
- `index_dossiers(code, part, agency=…, period=…)`: the dossiers (or, for the PAKN indicators, the
  feedback) behind a numerator or a denominator; the page's drill-down, and the tests' proof that each
  number is the size of a list.

Counting rules (each stated once, here; the README repeats them for officials):

- **The cut-off.** A period's figures are taken at the end of the period, or now for the period under
  way, so that a dossier not yet due is not counted late before its time (`Window.cutoff`).
- **Progress** (*tiến độ giải quyết*, 20 points): (dossiers whose processing finished in the period early
  or on time + dossiers in process at the cut-off within their deadline) / (dossiers finished in the
  period + dossiers in process at the cut-off). "In process" is received before the cut-off and neither
  finished nor closed (refused, withdrawn, stopped) before it; "within the deadline" is TD's rule, due at
  or after the cut-off (one-stop.md §6), and a dossier whose clock was stopped at the cut-off with time
  left (waiting for a supplement or a financial obligation since before it, `paused_at`, and paused no
  later than its due time) is within its deadline: its clock is not running **[derived]**; one already
  late when it was paused stays late. These are the statistics' "trong hạn" (`stats.py`), so the two
  pages agree. Early / on time / late is the project's one rule (`working_time.classify`,
  date based on *processing finished*, OS-ET1), stored on the dossier.
- **Online** (*dịch vụ công trực tuyến toàn trình*, 12 points, province level only): dossiers received in
  the period of procedures whose pinned version is toàn trình (`OnlineLevel.FULL`); the numerator, those
  submitted online or through the national portal and not handed back at the counter (a toàn trình result
  goes out online or by post, one-stop.md §9). Procedures whose online level the catalog does not state
  (`unknown`) are outside the denominator; their dossiers are counted in the note.
- **Digitisation**: ORIGINAL_RESULT_AVAILABLE — dossiers returned in the period with an approved outcome,
  of a procedure version that lists a result document, with a result (not revoked) in the applicant's
  e-document store (`EDocument.Kind.RESULT`, `source_dossier_code`). **Provisional until issue 7**: the
  results are not yet legally signed, and the decision counts e-results "có giá trị pháp lý".
  SO_HOA_GIAY_TO_GIAI_QUYET — dossiers received in the period with at least one provided paper, every
  provided paper with a file. **Provisional**: the decision counts dossiers digitised *and linked to the
  person's dossier list on DVCQG*, a link Tỉnh Số does not make yet. REUSED_DIGITIZED_DATA — dossiers
  received in the period with a paper file whose SHA-256 equals a document that was already in the
  applicant's own store when the file was attached (not one produced by the same dossier). The content
  hash, not the `edoc.reused` audit entries: an entry names the document, never the dossier it went into,
  while the hash ties the very file of the very dossier to the stored document.
- **Satisfaction** (18 points): the counts of the selectors of `tinhso.dossiers.ratings` and `.feedback`
  (the dossiers' on the index's one pass over them, with the ratings selector's conditions).
  PETITION_PROCESSING_ON_TIME = (feedback answered early or on time + feedback unanswered and not yet due
  at the cut-off) / feedback received in the period (the reference wording counts those "đang xử lý trong
  hạn"); PETITION_HANDLING_SATISFACTION = `FeedbackSummary.handling_satisfaction_ratio`;
  DOSSIER_RECEIVING_SATISFACTION = `ReceivingSatisfaction.ratio`. When the unit received no feedback in the
  period, the reference wording splits PETITION_HANDLING_SATISFACTION's 6 points evenly over the two
  others (9 + 9); PETITION_PROCESSING_ON_TIME then has nothing to measure either, so it carries no points
  (how DVCQG scores that case is not known, one-stop.md §15 item 6).
- **Online payment** (ONLINE_PAYMENT, 10 points): dossiers received in the period with a fee or obligation
  to pay (the statistics' `fee_due`: `fee_due_vnd` > 0, or a payment request for the dossier's code
  neither cancelled nor exempt); the numerator, those with at least one request fully paid (the
  statistics' `paid_online`; partly paid is not paid). Money reaches a request only by bank transfer
  (VietQR, statements, the bank's webhook), so paid is paid online. Request statuses are read as of now,
  like the e-results. One-stop.md §12 says only that the reference code splits the 10 points "2 + 2 + 6",
  not what each part measures: the one ratio is scored on all 10 points, **provisional** until the split
  is known. The reference's denominator is the dossiers of procedures *with fee information*; ours is the
  dossiers with an amount actually due (a free procedure, or an exempted fee, has nothing to pay online).
- **Points** = maximum × numerator / denominator, rounded half up to 0.01 point; a group's and the index's
  totals add the rounded points shown. An indicator with no denominator in the period (nothing to
  measure) carries no points and is left out of the points possible, as are the indicators without data
  and, for a commune, those that do not apply there. Provisional points are totalled apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import Agency
from tinhso.dossiers import feedback as fb
from tinhso.dossiers.models import (
    AnswerSatisfaction,
    Channel,
    Dossier,
    DossierPaper,
    DossierRating,
    Feedback,
    FeedbackStatus,
    Outcome,
    PaperFile,
    Punctuality,
    ReturnMethod,
    Satisfaction,
)
from tinhso.dossiers.ratings import Period
from tinhso.edocs.models import EDocument
from tinhso.procedures.models import OnlineLevel, ResultDocument
from tinhso.reports.stats import fee_to_pay, paid_online

__all__ = [
    "DENOMINATOR",
    "INDICATORS",
    "NUMERATOR",
    "Group",
    "GroupTotal",
    "IndexResult",
    "Indicator",
    "IndicatorResult",
    "IndicatorUnavailable",
    "Period",
    "State",
    "Window",
    "index766",
    "index_dossiers",
    "indicator_get",
    "is_commune_level",
]

NUMERATOR = "numerator"
DENOMINATOR = "denominator"
PARTS = (NUMERATOR, DENOMINATOR)

_CENT = Decimal("0.01")
_ONLINE_CHANNELS = (Channel.ONLINE, Channel.NATIONAL_PORTAL)
_IN_TIME = (Punctuality.EARLY, Punctuality.ON_TIME)


class Group:
    """The six groups of the index, with the points each carries for a province."""

    TRANSPARENCY = "transparency"
    PROGRESS = "progress"
    ONLINE = "online"
    DIGITISATION = "digitisation"
    SATISFACTION = "satisfaction"
    PAYMENT = "payment"

    ORDER = (TRANSPARENCY, PROGRESS, ONLINE, DIGITISATION, SATISFACTION, PAYMENT)
    LABELS: dict[str, Promise] = {
        TRANSPARENCY: _("Công khai, minh bạch"),
        PROGRESS: _("Tiến độ giải quyết"),
        ONLINE: _("Dịch vụ công trực tuyến"),
        DIGITISATION: _("Số hóa hồ sơ"),
        SATISFACTION: _("Mức độ hài lòng"),
        PAYMENT: _("Thanh toán trực tuyến"),
    }
    POINTS: dict[str, Decimal] = {
        TRANSPARENCY: Decimal(18),
        PROGRESS: Decimal(20),
        ONLINE: Decimal(12),
        DIGITISATION: Decimal(22),
        SATISFACTION: Decimal(18),
        PAYMENT: Decimal(10),
    }


class State:
    """What an indicator's row says for the period."""

    COMPUTED = "computed"
    PROVISIONAL = "provisional"  # computed from the data, but the data is not yet what the decision counts
    NOT_APPLICABLE = "not_applicable"  # not scored at commune level
    NO_DATA = "no_data"  # Tỉnh Số does not hold the data yet (the reason is on the indicator)
    EMPTY = "empty"  # the data exists, but nothing to measure in the period (denominator 0)

    LABELS: dict[str, Promise] = {
        COMPUTED: _("Đã tính"),
        PROVISIONAL: _("Tạm tính"),
        NOT_APPLICABLE: _("Không áp dụng cấp xã"),
        NO_DATA: _("Chưa có dữ liệu"),
        EMPTY: _("Không có số liệu trong kỳ"),
    }


@dataclass(frozen=True)
class Indicator:
    """One row of the index. `max_points` None: tracked, scored 0 (the reference lists it without points).
    `kind` says what its numbers count: "dossiers", "feedback", or "" when Tỉnh Số has no data for it
    (`no_data` then says why)."""

    stt: int
    code: str
    name: Promise
    group: str
    max_points: Decimal | None
    commune: bool  # scored at commune level too
    formula: Promise  # the reference's formula, shortened
    rule: Promise | str = ""  # how Tỉnh Số counts it (computed indicators)
    kind: str = ""
    no_data: Promise | str = ""
    provisional: Promise | str = ""  # why the figure is not yet what the decision counts

    @property
    def code_parts(self) -> list[str]:
        """The code split at its underscores, for pages to offer line breaks there on a narrow screen."""
        return self.code.split("_")

    @property
    def has_data(self) -> bool:
        return bool(self.kind)

    @property
    def scored(self) -> bool:
        return self.max_points is not None and self.max_points > 0


def _d(value: int) -> Decimal:
    return Decimal(value)


# Codes: DVCQG's `metricCode` where it has one; the rows it names only by their number get a Tỉnh Số name
# (DVC_PROGRESS, PROVIDE_ONLINE_*, PROACTIVE_*, CHANNEL_SHARE, SIMPLIFICATION_SATISFACTION, ONLINE_PAYMENT).
INDICATORS: tuple[Indicator, ...] = (
    # --- Công khai, minh bạch (18) ---
    Indicator(
        1,
        "PUBLISH_ON_TIME",
        _("Tỷ lệ thủ tục hành chính công bố đúng hạn"),
        Group.TRANSPARENCY,
        _d(6),
        True,
        _("Số TTHC công bố đúng hạn / Tổng số TTHC phải công bố trong kỳ"),
        no_data=_(
            "Tỉnh Số chưa lưu thời hạn phải công bố và ngày công bố của quyết định công bố thủ tục "
            "(danh mục nhập từ CSDL quốc gia chỉ có số quyết định và ngày hiệu lực)."
        ),
    ),
    Indicator(
        2,
        "PUBLIC_UPDATE_ON_TIME",
        _("Tỷ lệ thủ tục hành chính được cập nhật, công khai đúng hạn"),
        Group.TRANSPARENCY,
        _d(4),
        True,
        _("Số TTHC cập nhật, công khai đúng hạn trên CSDLQG về TTHC / Tổng số TTHC phải cập nhật, công khai"),
        no_data=_("Tỉnh Số chưa lưu ngày cập nhật, công khai thủ tục trên CSDL quốc gia về TTHC."),
    ),
    Indicator(
        3,
        "PUBLIC_CONTENT_FULL",
        _("Tỷ lệ TTHC được công khai đầy đủ các bộ phận tạo thành"),
        Group.TRANSPARENCY,
        _d(2),
        True,
        _("Số TTHC công bố, công khai đúng quy định / Tổng số TTHC được công bố, công khai trong kỳ"),
        no_data=_(
            "Chưa có đối chiếu nội dung công khai với văn bản quy phạm pháp luật; lỗi đọc dữ liệu của "
            "danh mục không phải là phép đo này."
        ),
    ),
    Indicator(
        4,
        "DOSSIER_SYNC",
        _("Tỷ lệ hồ sơ được đồng bộ trạng thái theo thời gian thực với Cổng Dịch vụ công quốc gia"),
        Group.TRANSPARENCY,
        _d(6),
        True,
        _("Số hồ sơ đồng bộ đúng hạn / Tổng số hồ sơ tiếp nhận, đang giải quyết hoặc trả kết quả trong kỳ"),
        no_data=_("Chưa có bộ kết nối Cổng DVCQG nên chưa có nhật ký đồng bộ (OS-SY1, OS-SY3)."),
    ),
    # --- Tiến độ giải quyết (20) ---
    Indicator(
        5,
        "DVC_PROGRESS",
        _("Tỷ lệ hồ sơ xử lý đúng hạn (trước hạn, đúng hạn)"),
        Group.PROGRESS,
        _d(20),
        True,
        _(
            "(Hồ sơ đã xử lý trước hạn, đúng hạn + hồ sơ đang xử lý trong hạn) / Tổng số hồ sơ tiếp nhận "
            "và xử lý trong kỳ"
        ),
        rule=_(
            "Mẫu số: hồ sơ xử lý xong trong kỳ và hồ sơ đang xử lý tại thời điểm chốt (cuối kỳ, hoặc hiện "
            "tại nếu kỳ chưa hết). Tử số: hồ sơ xử lý xong trước hạn, đúng hạn và hồ sơ đang xử lý có hạn "
            "trả từ thời điểm chốt trở đi, hoặc đang tạm dừng tính thời gian (chờ bổ sung, chờ nghĩa vụ "
            "tài chính) từ trước khi đến hạn."
        ),
        kind="dossiers",
    ),
    # --- Dịch vụ công trực tuyến (12) ---
    Indicator(
        6,
        "PROVIDE_ONLINE_DOSSIER",
        _("Tỷ lệ hồ sơ trực tuyến toàn trình trên tổng số hồ sơ của TTHC đủ điều kiện toàn trình"),
        Group.ONLINE,
        _d(12),
        False,
        _("Số hồ sơ trực tuyến toàn trình / Tổng số hồ sơ tiếp nhận của TTHC đủ điều kiện toàn trình"),
        rule=_(
            "Mẫu số: hồ sơ tiếp nhận trong kỳ của thủ tục có mức độ toàn trình (theo phiên bản thủ tục "
            "khi tiếp nhận). Tử số: hồ sơ đó nộp trực tuyến hoặc qua Cổng DVCQG và không trả kết quả "
            "tại quầy."
        ),
        kind="dossiers",
    ),
    Indicator(
        7,
        "PROVIDE_ONLINE_PROCEDURE",
        _("Tỷ lệ TTHC thuộc phạm vi quản lý cung cấp dịch vụ công trực tuyến toàn trình"),
        Group.ONLINE,
        None,
        True,
        _("Số TTHC đã cung cấp DVCTT toàn trình trên Cổng DVCQG / Số TTHC đủ điều kiện đã khai báo"),
        no_data=_(
            "Tỉnh Số chưa có danh sách TTHC đủ điều kiện toàn trình đã khai báo trên CSDL quốc gia, cũng "
            "như việc cung cấp trên Cổng DVCQG; phần lớn thủ tục trong danh mục chưa xác định mức độ."
        ),
    ),
    Indicator(
        8,
        "PROACTIVE_PROCEDURE",
        _("Tỷ lệ TTHC được cung cấp dịch vụ công trực tuyến chủ động (theo mức độ)"),
        Group.ONLINE,
        None,
        False,
        _("Số TTHC cung cấp DVCTT chủ động / Số TTHC đủ điều kiện (theo từng mức độ)"),
        no_data=_("Mức độ dịch vụ công chủ động của thủ tục chưa được lưu (OS-OL1)."),
    ),
    Indicator(
        9,
        "PROACTIVE_DOSSIER",
        _("Tỷ lệ hồ sơ dịch vụ công chủ động (theo mức độ)"),
        Group.ONLINE,
        None,
        False,
        _("Số hồ sơ dịch vụ công chủ động / Tổng số hồ sơ (theo từng mức độ)"),
        no_data=_("Tỉnh Số chưa cung cấp dịch vụ công chủ động (Nghị định 224/2026, Điều 16)."),
    ),
    Indicator(
        10,
        "CHANNEL_SHARE",
        _("Tỷ lệ hồ sơ theo hình thức nộp (trực tuyến)"),
        Group.ONLINE,
        None,
        True,
        _("Số hồ sơ tiếp nhận trực tuyến trong kỳ / Tổng số hồ sơ tiếp nhận trong kỳ"),
        rule=_(
            "Hồ sơ tiếp nhận trong kỳ nộp trực tuyến hoặc qua Cổng DVCQG, trên tổng số hồ sơ tiếp nhận "
            "trong kỳ (mọi kênh)."
        ),
        kind="dossiers",
    ),
    # --- Số hóa hồ sơ (22) ---
    Indicator(
        11,
        "ORIGINAL_RESULT_AVAILABLE",
        _("Tỷ lệ hồ sơ TTHC có cấp kết quả giải quyết điện tử"),
        Group.DIGITISATION,
        _d(6),
        True,
        _(
            "Số hồ sơ có kết quả điện tử có giá trị pháp lý / Số hồ sơ đã hoàn thành, trả kết quả của TTHC "
            "có quy định trả kết quả bằng văn bản, giấy tờ"
        ),
        rule=_(
            "Mẫu số: hồ sơ trả kết quả trong kỳ, được giải quyết, của thủ tục có thành phần kết quả. Tử "
            "số: hồ sơ đó có kết quả (chưa thu hồi) trong kho giấy tờ điện tử của người nộp."
        ),
        kind="dossiers",
        provisional=_("Kết quả điện tử chưa được ký số nên chưa có giá trị pháp lý (việc 7)."),
    ),
    Indicator(
        12,
        "SO_HOA_GIAY_TO_GIAI_QUYET",
        _("Tỷ lệ hồ sơ TTHC thực hiện số hóa thành phần hồ sơ"),
        Group.DIGITISATION,
        _d(4),
        True,
        _(
            "Số hồ sơ được số hóa có kết nối, đồng bộ với danh mục hồ sơ của cá nhân, tổ chức trên Cổng "
            "DVCQG / Tổng số hồ sơ TTHC"
        ),
        rule=_(
            "Mẫu số: hồ sơ tiếp nhận trong kỳ. Tử số: hồ sơ đó có ít nhất một giấy tờ đã nộp và mọi giấy "
            "tờ đã nộp đều có tệp."
        ),
        kind="dossiers",
        provisional=_("Chưa kết nối với danh mục hồ sơ của người dân trên Cổng DVCQG: chỉ tính việc số hóa."),
    ),
    Indicator(
        13,
        "ELECTRONIC_CERTIFIED_COPY",
        _("Tỷ lệ cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính"),
        Group.DIGITISATION,
        _d(2),
        True,
        _("Số xã cung cấp chứng thực bản sao điện tử từ bản chính / Tổng số xã thuộc phạm vi quản lý"),
        no_data=_("Tỉnh Số chưa ghi nhận xã nào cung cấp dịch vụ chứng thực bản sao điện tử."),
    ),
    Indicator(
        14,
        "REUSED_DIGITIZED_DATA",
        _("Tỷ lệ hồ sơ khai thác, sử dụng lại thông tin, dữ liệu số hóa"),
        Group.DIGITISATION,
        _d(2),
        True,
        _(
            "Số hồ sơ có thành phần được cắt giảm, thay thế dựa trên dữ liệu / Tổng số hồ sơ tiếp nhận của "
            "TTHC có thành phần được công bố cắt giảm, thay thế"
        ),
        rule=_(
            "Mẫu số: hồ sơ tiếp nhận trong kỳ. Tử số: hồ sơ đó có tệp giấy tờ trùng nội dung (mã băm "
            "SHA-256) với một giấy tờ đã có sẵn trong kho của chính người nộp (không phải kết quả của "
            "chính hồ sơ này)."
        ),
        kind="dossiers",
    ),
    Indicator(
        15,
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE",
        _("Tỷ lệ hồ sơ TTHC được số hóa có kết nối, chia sẻ dữ liệu phục vụ tái sử dụng"),
        Group.DIGITISATION,
        _d(4),
        True,
        _("Số hồ sơ được số hóa có kết nối, chia sẻ với kho dữ liệu cá nhân trên Cổng DVCQG / Tổng số hồ sơ"),
        no_data=_("Chưa đồng bộ với kho quản lý dữ liệu điện tử của cá nhân trên Cổng DVCQG (OS-DG4)."),
    ),
    Indicator(
        16,
        "CITIZEN_DATA_CONNECTED_DOSSIER",
        _("Tỷ lệ hồ sơ TTHC có sử dụng thông tin, dữ liệu dân cư"),
        Group.DIGITISATION,
        _d(2),
        False,
        _("Số hồ sơ có sử dụng dữ liệu từ CSDL quốc gia về dân cư / Tổng số hồ sơ"),
        no_data=_("Chưa kết nối CSDL quốc gia về dân cư."),
    ),
    Indicator(
        17,
        "CITIZEN_DATA_CONNECTED_FORMALITY",
        _("Tỷ lệ TTHC triển khai kết nối, chia sẻ dữ liệu dân cư phục vụ giải quyết TTHC"),
        Group.DIGITISATION,
        _d(2),
        False,
        _("Số TTHC đã kết nối, chia sẻ dữ liệu dân cư / Tổng số TTHC thuộc phạm vi quản lý"),
        no_data=_("Chưa kết nối CSDL quốc gia về dân cư."),
    ),
    # --- Mức độ hài lòng (18) ---
    Indicator(
        18,
        "SIMPLIFICATION_SATISFACTION",
        _("Mức độ hài lòng về kết quả cắt giảm, phân cấp, đơn giản hóa TTHC"),
        Group.SATISFACTION,
        None,
        True,
        _("Tài liệu tham chiếu chưa nêu công thức."),
        no_data=_("Chưa có khảo sát về cắt giảm, đơn giản hóa thủ tục."),
    ),
    Indicator(
        19,
        "PETITION_CLASSIFICATION_TTHC",
        _("Tỷ lệ phản ánh, kiến nghị về quy định, thủ tục hành chính"),
        Group.SATISFACTION,
        None,
        True,
        _("Số PAKN về quy định, TTHC / Tổng số PAKN"),
        no_data=_("Phản ánh, kiến nghị chưa được phân loại theo nội dung (quy định hay hành vi cán bộ)."),
    ),
    Indicator(
        20,
        "PETITION_CLASSIFICATION_STAFF",
        _("Tỷ lệ phản ánh, kiến nghị về hành vi của cán bộ, công chức, viên chức"),
        Group.SATISFACTION,
        None,
        True,
        _("Số PAKN về hành vi cán bộ, công chức, viên chức / Tổng số PAKN"),
        no_data=_("Phản ánh, kiến nghị chưa được phân loại theo nội dung (quy định hay hành vi cán bộ)."),
    ),
    Indicator(
        21,
        "PETITION_PROCESSING_ON_TIME",
        _("Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn"),
        Group.SATISFACTION,
        _d(6),
        True,
        _(
            "(Số PAKN xử lý đúng, trước hạn + đang xử lý trong hạn) / Tổng số PAKN thuộc thẩm quyền "
            "tiếp nhận, xử lý"
        ),
        rule=_(
            "Mẫu số: PAKN nhận trong kỳ. Tử số: PAKN đã trả lời trước hạn, đúng hạn và PAKN chưa trả lời "
            "mà chưa đến hạn tại thời điểm chốt."
        ),
        kind="feedback",
    ),
    Indicator(
        22,
        "PETITION_HANDLING_SATISFACTION",
        _("Tỷ lệ hài lòng trong xử lý phản ánh, kiến nghị"),
        Group.SATISFACTION,
        _d(6),
        True,
        _(
            "(Tổng số PAKN đã xử lý − số không hài lòng, tiếp tục phản ánh hoặc xử lý quá hạn) / Tổng số "
            "PAKN đã xử lý. Không có PAKN: điểm chia đều cho 2 chỉ tiêu còn lại"
        ),
        rule=_(
            "Mẫu số: PAKN nhận trong kỳ đã được trả lời. Tử số: trong số đó, người gửi không chọn “Không "
            "hài lòng” hay “phản ánh tiếp” và câu trả lời không quá hạn."
        ),
        kind="feedback",
    ),
    Indicator(
        23,
        "DOSSIER_RECEIVING_SATISFACTION",
        _("Tỷ lệ hài lòng trong tiếp nhận, giải quyết thủ tục hành chính"),
        Group.SATISFACTION,
        _d(6),
        True,
        _(
            "(Tổng số hồ sơ đã tiếp nhận, giải quyết − số hồ sơ đánh giá không hài lòng, có PAKN hoặc quá "
            "hạn) / Tổng số hồ sơ đã tiếp nhận, giải quyết"
        ),
        rule=_(
            "Mẫu số: hồ sơ xử lý xong trong kỳ. Tử số: trong số đó, hồ sơ không bị đánh giá “Không hài "
            "lòng”, không có phản ánh, kiến nghị và không quá hạn."
        ),
        kind="dossiers",
    ),
    # --- Thanh toán trực tuyến (10) ---
    Indicator(
        24,
        "ONLINE_PAYMENT",
        _("Tỷ lệ hồ sơ thanh toán trực tuyến"),
        Group.PAYMENT,
        _d(10),
        True,
        _("Số hồ sơ thanh toán phí, lệ phí trực tuyến / Tổng số hồ sơ của TTHC có thông tin phí, lệ phí"),
        rule=_(
            "Mẫu số: hồ sơ tiếp nhận trong kỳ có phí, lệ phí hoặc nghĩa vụ tài chính phải nộp (khoản thu "
            "chưa hủy, không được miễn). Tử số: trong số đó, hồ sơ có ít nhất một khoản đã nộp đủ; khoản "
            "mới nộp một phần chưa tính. Tỉnh Số chỉ ghi nhận tiền qua chuyển khoản ngân hàng (VietQR, sao "
            "kê, ngân hàng gửi tự động) nên khoản đã nộp đủ là đã thanh toán trực tuyến. Điểm: cả 10 điểm "
            "tính theo một tỷ lệ này."
        ),
        kind="dossiers",
        provisional=_(
            "Tài liệu tham chiếu chia 10 điểm thành 2 + 2 + 6 nhưng không nêu mỗi phần đo gì; Tỉnh Số tạm "
            "tính cả 10 điểm theo một tỷ lệ."
        ),
    ),
)
_BY_CODE = {i.code: i for i in INDICATORS}
assert sum(i.max_points or 0 for i in INDICATORS) == 100
assert all(sum(i.max_points or 0 for i in INDICATORS if i.group == g) == Group.POINTS[g] for g in Group.ORDER)


class IndicatorUnavailable(LookupError):
    """No list stands behind this indicator here: unknown code or part, no data yet, or not applicable at
    the agency's level."""


def indicator_get(code: str) -> Indicator:
    try:
        return _BY_CODE[code]
    except KeyError:
        raise IndicatorUnavailable(code) from None


def is_commune_level(agency: Agency | None) -> bool:
    """A commune's committee or a unit under one: the commune-level exclusions apply (one-stop.md §12)."""
    if agency is None:
        return False
    if agency.kind == Agency.Kind.COMMUNE_COMMITTEE:
        return True
    ancestors = [int(x) for x in agency.path.strip("/").split("/")[:-1] if x]
    return Agency.objects.filter(pk__in=ancestors, kind=Agency.Kind.COMMUNE_COMMITTEE).exists()


# --- The period's window ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The period's instants: [since, until), and the cut-off (`until`, or now for the period under way)."""

    since: dt.datetime
    until: dt.datetime
    cutoff: dt.datetime

    @classmethod
    def of(cls, period: Period, now: dt.datetime | None = None) -> Window:
        since, until = period.bounds()
        now = now or timezone.now()
        return cls(since, until, max(since, min(until, now)))


def _agency_q(agency: Agency | None) -> Q:
    return Q() if agency is None else Q(agency__path__startswith=agency.path)


# --- Dossier indicators: each a pair of conditions on one dossier --------------------------------------


def _dossier_conditions(w: Window) -> dict[str, tuple[Q, Q]]:
    """(denominator, numerator) per dossier indicator; the numerator always implies the denominator."""
    cut = w.cutoff
    received = Q(received_at__gte=w.since, received_at__lt=cut)
    finished = Q(finished_at__gte=w.since, finished_at__lt=cut)
    in_process = (
        Q(received_at__lt=cut)
        & (Q(finished_at__isnull=True) | Q(finished_at__gte=cut))
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=cut))
    )
    # The clock stopped at the cut-off with time left (paused before it, and no later than the due time: a
    # dossier already late when it was paused stays late). The same rule as the statistics' "trong hạn".
    clock_stopped = Q(paused_at__isnull=False, paused_at__lt=cut, paused_at__lte=F("due_at"))
    in_time = Q(due_at__isnull=True) | Q(due_at__gte=cut) | clock_stopped

    full_online = received & Q(procedure_version__online_level=OnlineLevel.FULL)

    # Conditions on other tables are uncorrelated `IN (subquery)`, read once into a hash by PostgreSQL, not
    # `EXISTS` probed for each of a year's dossiers (as in `stats`). No subquery yields NULL: a NULL in
    # `NOT (… IN …)` would make the condition unknown, and the dossier uncounted.
    issues_result = Q(procedure_version_id__in=ResultDocument.objects.values("version_id"))
    returned_approved = (
        Q(returned_at__gte=w.since, returned_at__lt=cut, outcome=Outcome.APPROVED) & issues_result
    )
    has_e_result = Q(
        code__in=EDocument.objects.filter(kind=EDocument.Kind.RESULT, revoked_at__isnull=True)
        .exclude(source_dossier_code="")
        .values("source_dossier_code")
    )

    provided = DossierPaper.objects.filter(provided=True)
    has_file = Exists(PaperFile.objects.filter(paper=OuterRef("pk")))
    with_file = Q(pk__in=provided.filter(has_file).values("dossier_id"))
    without_file = Q(pk__in=provided.exclude(has_file).values("dossier_id"))

    # A paper file whose content the applicant already had in their e-document store before the upload,
    # from another dossier (or none): within the subquery, correlated to the file and its dossier only.
    stored_before = EDocument.objects.filter(
        owner_id=OuterRef("paper__dossier__applicant_user_id"),
        sha256=OuterRef("sha256"),
        created_at__lte=OuterRef("uploaded_at"),
    ).exclude(source_dossier_code=OuterRef("paper__dossier__code"))
    reused = Q(pk__in=PaperFile.objects.filter(Exists(stored_before)).values("paper__dossier_id"))

    finished_in_period = Q(finished_at__gte=w.since, finished_at__lt=w.until)  # as `receiving_satisfaction`
    unsatisfactory = (
        Q(pk__in=DossierRating.objects.filter(overall=Satisfaction.NOT_SATISFIED).values("dossier_id"))
        | Q(pk__in=Feedback.objects.filter(dossier__isnull=False).values("dossier_id"))
        | Q(punctuality=Punctuality.LATE)
    )
    # Online payment: the statistics' "có phí, lệ phí" and "đã thanh toán trực tuyến" (`stats.fee_to_pay`,
    # `stats.paid_online`: uncorrelated `code IN (subject keys)`), received up to the cut-off.
    with_fee = received & fee_to_pay()
    return {
        "DVC_PROGRESS": (
            finished | in_process,
            (finished & Q(punctuality__in=_IN_TIME)) | (in_process & in_time),
        ),
        "PROVIDE_ONLINE_DOSSIER": (
            full_online,
            full_online & Q(channel__in=_ONLINE_CHANNELS) & ~Q(return_method=ReturnMethod.COUNTER),
        ),
        "CHANNEL_SHARE": (received, received & Q(channel__in=_ONLINE_CHANNELS)),
        "ORIGINAL_RESULT_AVAILABLE": (returned_approved, returned_approved & has_e_result),
        "SO_HOA_GIAY_TO_GIAI_QUYET": (received, received & with_file & ~without_file),
        "REUSED_DIGITIZED_DATA": (received, received & reused),
        "DOSSIER_RECEIVING_SATISFACTION": (finished_in_period, finished_in_period & ~unsatisfactory),
        "ONLINE_PAYMENT": (with_fee, with_fee & paid_online()),
    }


def _feedback_conditions(w: Window) -> dict[str, tuple[Q, Q]]:
    """(denominator, numerator) per PAKN indicator, the same counts as `feedback.feedback_summary` with
    `now` = the cut-off."""
    received = Q(received_at__gte=w.since, received_at__lt=w.until)
    answered = received & Q(answered_at__isnull=False)
    unhappy = Q(author_satisfaction__in=[AnswerSatisfaction.NOT_SATISFIED, AnswerSatisfaction.RE_COMPLAINED])
    return {
        "PETITION_PROCESSING_ON_TIME": (
            received,
            received
            & (
                (Q(answered_at__isnull=False) & Q(punctuality__in=_IN_TIME))
                | Q(status=FeedbackStatus.NEW, due_at__gte=w.cutoff)
            ),
        ),
        "PETITION_HANDLING_SATISFACTION": (answered, answered & ~(unhappy | Q(punctuality=Punctuality.LATE))),
    }


def index_dossiers(
    code: str,
    part: str,
    *,
    agency: Agency | None,
    period: Period,
    now: dt.datetime | None = None,
) -> QuerySet[Dossier] | QuerySet[Feedback]:
    """The dossiers (for PETITION_* the feedback) counted in `part` (NUMERATOR or DENOMINATOR) of the
    indicator `code` for the agency's subtree (None: the province) over the period: the list behind the
    number `index766` shows. `IndicatorUnavailable` when no list stands behind it."""
    indicator = indicator_get(code)
    if part not in PARTS or not indicator.has_data:
        raise IndicatorUnavailable(f"{code} {part}")
    if not indicator.commune and is_commune_level(agency):
        raise IndicatorUnavailable(f"{code}: not applicable at commune level")
    w = Window.of(period, now)
    which = 0 if part == DENOMINATOR else 1
    if indicator.kind == "feedback":
        condition = _feedback_conditions(w)[code][which]
        return (
            Feedback.objects.filter(_agency_q(agency) & condition)
            .select_related("agency", "procedure", "dossier")
            .order_by("-received_at", "-pk")
        )
    condition = _dossier_conditions(w)[code][which]
    return (
        Dossier.objects.filter(_agency_q(agency) & condition)
        .select_related("agency", "procedure_version")
        .order_by("-received_at", "-pk")
    )


# --- The index ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorResult:
    indicator: Indicator
    state: str
    numerator: int | None = None
    denominator: int | None = None
    max_points: Decimal | None = None  # after any redistribution; None for a tracked indicator
    points: Decimal | None = None
    note: Promise | str = ""

    @property
    def ratio(self) -> Decimal | None:
        if self.numerator is None or not self.denominator:
            return None
        return (Decimal(self.numerator) / Decimal(self.denominator)).quantize(Decimal("0.0001"))

    @property
    def percent(self) -> Decimal | None:
        """The ratio in per cent, to 0.01."""
        if self.numerator is None or not self.denominator:
            return None
        return (Decimal(100 * self.numerator) / Decimal(self.denominator)).quantize(_CENT, ROUND_HALF_UP)

    @property
    def state_label(self) -> Promise:
        return State.LABELS[self.state]

    @property
    def drillable(self) -> bool:
        return self.state in (State.COMPUTED, State.PROVISIONAL, State.EMPTY)

    @property
    def firm(self) -> bool:
        """Points that count in the total (computed, not provisional)."""
        return self.state == State.COMPUTED and self.points is not None


@dataclass(frozen=True)
class GroupTotal:
    group: str
    declared: Decimal  # the group's points in the decision
    applicable: Decimal  # less what does not apply at this level
    points: Decimal  # computed
    possible: Decimal  # the maximum of the computed indicators
    provisional_points: Decimal
    provisional_possible: Decimal
    rows: Sequence[IndicatorResult] = field(default_factory=tuple)

    @property
    def label(self) -> Promise:
        return Group.LABELS[self.group]


@dataclass(frozen=True)
class IndexResult:
    agency: Agency | None
    period: Period
    cutoff: dt.datetime
    commune_level: bool
    groups: Sequence[GroupTotal]

    @property
    def rows(self) -> list[IndicatorResult]:
        return [r for g in self.groups for r in g.rows]

    def row(self, code: str) -> IndicatorResult:
        for r in self.rows:
            if r.indicator.code == code:
                return r
        raise IndicatorUnavailable(code)

    @property
    def points(self) -> Decimal:
        return sum((g.points for g in self.groups), Decimal(0))

    @property
    def possible(self) -> Decimal:
        return sum((g.possible for g in self.groups), Decimal(0))

    @property
    def provisional_points(self) -> Decimal:
        return sum((g.provisional_points for g in self.groups), Decimal(0))

    @property
    def provisional_possible(self) -> Decimal:
        return sum((g.provisional_possible for g in self.groups), Decimal(0))

    @property
    def applicable(self) -> Decimal:
        """The points the index carries at this level: 100 for a province, less the commune exclusions."""
        return sum((g.applicable for g in self.groups), Decimal(0))

    @property
    def without_data(self) -> Decimal:
        """Points of applicable indicators that Tỉnh Số cannot compute yet (no data)."""
        return sum((r.max_points or Decimal(0) for r in self.rows if r.state == State.NO_DATA), Decimal(0))


def _points(maximum: Decimal, numerator: int, denominator: int) -> Decimal:
    return (maximum * Decimal(numerator) / Decimal(denominator)).quantize(_CENT, ROUND_HALF_UP)


def _scored(
    indicator: Indicator, numerator: int, denominator: int, maximum: Decimal | None, note: Promise | str = ""
) -> IndicatorResult:
    if not denominator:
        return IndicatorResult(indicator, State.EMPTY, numerator, denominator, maximum, None, note)
    state = State.PROVISIONAL if indicator.provisional else State.COMPUTED
    points = _points(maximum, numerator, denominator) if maximum is not None else None
    return IndicatorResult(indicator, state, numerator, denominator, maximum, points, note)


def index766(*, agency: Agency | None, period: Period, now: dt.datetime | None = None) -> IndexResult:
    """The Decision 766 index of `agency` and the units under it (None: the province) over `period`, at
    the period's end (or `now` while it runs). One aggregate query for the dossier counts, plus the
    feedback's selector (see the module docstring for every rule)."""
    w = Window.of(period, now)
    commune = is_commune_level(agency)
    applies = {i.code: (i.commune or not commune) for i in INDICATORS}
    scope = _agency_q(agency)

    # DOSSIER_RECEIVING_SATISFACTION is counted here too, on the same pass, with the very conditions of the
    # ratings' selector (`ratings.receiving_satisfaction`, which the statistics pages read; a test holds
    # the two equal): one scan of the year's dossiers instead of two.
    conditions = {c: q for c, q in _dossier_conditions(w).items() if applies[c]}
    aggregates: dict[str, Count] = {}
    for code, (den, num) in conditions.items():
        aggregates[f"{code}__den"] = Count("pk", filter=den)
        aggregates[f"{code}__num"] = Count("pk", filter=num)
    if applies["PROVIDE_ONLINE_DOSSIER"]:
        aggregates["online_unknown"] = Count(
            "pk",
            filter=Q(received_at__gte=w.since, received_at__lt=w.cutoff)
            & Q(procedure_version__online_level=OnlineLevel.UNKNOWN),
        )
    # Every condition above implies this one (received before the cut-off, and neither finished, returned
    # nor closed before the period): it spares the subqueries the scope's older dossiers.
    relevant = (
        Q(received_at__lt=w.cutoff)
        & (Q(finished_at__isnull=True) | Q(finished_at__gte=w.since) | Q(returned_at__gte=w.since))
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=w.since))
    )
    counts = Dossier.objects.filter(scope & relevant).aggregate(**aggregates) if aggregates else {}

    # The PAKN indicators: the selector the statistics pages read.
    pakn = fb.feedback_summary(agency=agency, period=period, now=w.cutoff)
    pakn_on_time = pakn.answered_on_time + (pakn.open - pakn.overdue_open)
    no_pakn = pakn.received == 0
    split = (
        (_BY_CODE["PETITION_HANDLING_SATISFACTION"].max_points or Decimal(0)) / 2 if no_pakn else Decimal(0)
    )
    split_note = (
        _("Không có PAKN trong kỳ: 6 điểm của chỉ tiêu hài lòng xử lý PAKN chia đều cho 2 chỉ tiêu còn lại.")
        if no_pakn
        else ""
    )

    results: dict[str, IndicatorResult] = {}
    for ind in INDICATORS:
        if not applies[ind.code]:
            results[ind.code] = IndicatorResult(ind, State.NOT_APPLICABLE, max_points=ind.max_points)
        elif not ind.has_data:
            results[ind.code] = IndicatorResult(ind, State.NO_DATA, max_points=ind.max_points)
        elif ind.code == "PETITION_PROCESSING_ON_TIME":
            maximum = (ind.max_points or Decimal(0)) + split
            results[ind.code] = _scored(ind, pakn_on_time, pakn.received, maximum, split_note)
        elif ind.code == "PETITION_HANDLING_SATISFACTION":
            if no_pakn:
                results[ind.code] = IndicatorResult(ind, State.EMPTY, 0, 0, Decimal(0), None, split_note)
            else:
                numerator = pakn.answered - pakn.unsatisfactory_answers
                results[ind.code] = _scored(ind, numerator, pakn.answered, ind.max_points)
        elif ind.code == "DOSSIER_RECEIVING_SATISFACTION":
            maximum = (ind.max_points or Decimal(0)) + split
            results[ind.code] = _scored(
                ind, counts[f"{ind.code}__num"], counts[f"{ind.code}__den"], maximum, split_note
            )
        else:
            note: Promise | str = ""
            if ind.code == "PROVIDE_ONLINE_DOSSIER" and counts.get("online_unknown"):
                note = _(
                    "%(n)s hồ sơ tiếp nhận trong kỳ thuộc thủ tục chưa xác định mức độ trực tuyến, không "
                    "được tính vào mẫu số: cần cập nhật mức độ trong danh mục."
                ) % {"n": counts["online_unknown"]}
            results[ind.code] = _scored(
                ind, counts[f"{ind.code}__num"], counts[f"{ind.code}__den"], ind.max_points, note
            )

    groups = []
    for g in Group.ORDER:
        rows = [results[i.code] for i in INDICATORS if i.group == g]
        zero = Decimal(0)
        groups.append(
            GroupTotal(
                group=g,
                declared=Group.POINTS[g],
                applicable=sum(
                    (r.indicator.max_points or zero for r in rows if r.state != State.NOT_APPLICABLE), zero
                ),
                points=sum((r.points or zero for r in rows if r.firm), zero),
                possible=sum((r.max_points or zero for r in rows if r.firm), zero),
                provisional_points=sum(
                    (r.points or zero for r in rows if r.state == State.PROVISIONAL), zero
                ),
                provisional_possible=sum(
                    (r.max_points or zero for r in rows if r.state == State.PROVISIONAL), zero
                ),
                rows=tuple(rows),
            )
        )
    return IndexResult(
        agency=agency, period=period, cutoff=w.cutoff, commune_level=commune, groups=tuple(groups)
    )
