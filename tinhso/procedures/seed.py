"""The seed's procedures bound to every commune People's Committee, with a demo internal process."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db import transaction

from tinhso.accounts.models import Agency, Role
from tinhso.procedures import services
from tinhso.procedures.models import Procedure

# Birth and death registration, certified copies, temporary residence, temporary absence, permanent
# residence: the seed province's most common commune-level procedures.
SEED_CODES = ["1.001193", "1.000656", "2.000815", "1.004194", "1.003677", "1.004222"]

# A demo split of the legal time: reception, appraisal, approval and signing, return.
DEMO_STEPS = [
    ("Tiếp nhận, kiểm tra hồ sơ", Role.COUNTER_OFFICER, Decimal("0.1")),
    ("Thẩm định, xử lý hồ sơ", Role.SPECIALIST, Decimal("0.5")),
    ("Phê duyệt, ký kết quả", Role.AGENCY_LEADER, Decimal("0.3")),
    ("Trả kết quả", Role.COUNTER_OFFICER, Decimal("0.1")),
]


def demo_steps(total: Decimal, unit: str) -> list[services.StepSpec]:
    """Split `total` by DEMO_STEPS' shares, to the hundredth; the last step takes the remainder so the
    budgets add up exactly."""
    steps = []
    spent = Decimal(0)
    for i, (name, role, share) in enumerate(DEMO_STEPS):
        last = i == len(DEMO_STEPS) - 1
        value = total - spent if last else (total * share).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        spent += value
        steps.append(services.StepSpec(name=name, role=role, duration_value=value, duration_unit=unit))
    return steps


# The national records of these seed procedures state no readable processing time (a bare "1", or
# nothing). For the demo, a catalog administrator's correction — a new version with source "edit",
# audited, its legal ground in the version note — sets the time from the law. Same-day rules with the
# 15:00 cut-off are at most one working day. [secondary: article wording not checked against the texts]
SEED_TIME_CORRECTIONS: dict[str, tuple[Decimal, str, str]] = {
    "1.001193": (
        Decimal(1),
        "working_day",
        "Luật Hộ tịch 2014, Điều 16 khoản 2: đăng ký ngay sau khi nhận đủ giấy tờ; hồ sơ nhận sau 15 giờ "
        "trả trong ngày làm việc tiếp theo. Quy trình mẫu dùng 01 ngày làm việc.",
    ),
    "1.000656": (
        Decimal(1),
        "working_day",
        "Luật Hộ tịch 2014, Điều 34 khoản 2: đăng ký khai tử ngay sau khi nhận giấy tờ. Quy trình mẫu dùng "
        "01 ngày làm việc.",
    ),
    "2.000815": (
        Decimal(1),
        "working_day",
        "Nghị định 23/2015/NĐ-CP, Điều 7: chứng thực trong ngày tiếp nhận, hoặc ngày làm việc tiếp theo nếu "
        "tiếp nhận sau 15 giờ. Quy trình mẫu dùng 01 ngày làm việc.",
    ),
}


def _correct_time(procedure: Procedure) -> bool:
    """Apply SEED_TIME_CORRECTIONS to a seed procedure whose catalog time is unreadable."""
    correction = SEED_TIME_CORRECTIONS.get(procedure.code)
    if correction is None or procedure.current_version is None:
        return False
    value, unit, note = correction
    draft = services.version_to_parsed(procedure.current_version)
    for rule in draft.channels:
        if rule.time_value is None:
            rule.time_value, rule.time_unit = value, unit  # type: ignore[assignment]
    draft.problems = [
        x
        for x in draft.problems
        if not (x.field == "cach_thuc_thuc_hien" and x.message.startswith("the time"))
    ]
    result = services.procedure_edit(parsed=draft, actor=None, note=note)
    return result.outcome != "unchanged"


@dataclass
class SeedSummary:
    bindings_created: int = 0
    processes_created: int = 0
    missing_procedures: list[str] | None = None
    without_legal_time: list[str] | None = None
    corrected: int = 0


@transaction.atomic
def seed_bindings() -> SeedSummary:
    """Bind the seed procedures to the 124 commune committees; idempotent."""
    summary = SeedSummary(missing_procedures=[], without_legal_time=[])
    communes = list(
        Agency.objects.filter(kind=Agency.Kind.COMMUNE_COMMITTEE, is_active=True).order_by("path")
    )
    for code in SEED_CODES:
        procedure = Procedure.objects.filter(code=code).first()
        if procedure is None:
            summary.missing_procedures.append(code)  # type: ignore[union-attr]
            continue
        legal = services.legal_time(procedure)
        if legal is None and _correct_time(procedure):
            summary.corrected += 1
            procedure.refresh_from_db()
            legal = services.legal_time(procedure)
        if legal is None:
            summary.without_legal_time.append(code)  # type: ignore[union-attr]
        for agency in communes:
            binding, created = services.binding_ensure(procedure=procedure, agency=agency, actor=None)
            summary.bindings_created += int(created)
            if legal is not None and binding.current_process_id is None:
                services.internal_process_create(
                    binding=binding, steps=demo_steps(*legal), actor=None, note="Quy trình mẫu (demo)"
                )
                summary.processes_created += 1
    return summary
