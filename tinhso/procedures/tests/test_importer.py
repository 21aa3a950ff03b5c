"""The import service: versions, idempotence, whole-or-nothing, the shipped catalog, bindings, processes."""

import copy
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tinhso.accounts.models import Agency, Role
from tinhso.core.audit import audit_verify
from tinhso.core.models import AuditEntry
from tinhso.procedures import parsed as p
from tinhso.procedures import services
from tinhso.procedures.models import ChannelRule, ParseProblem, Procedure, ProcedureBinding, ProcedureVersion
from tinhso.procedures.seed import SEED_CODES, demo_steps, seed_bindings

pytestmark = pytest.mark.django_db


def birth_registration() -> p.ParsedProcedure:
    """Shaped like the national record of 1.001193 (Thủ tục đăng ký khai sinh)."""
    return p.ParsedProcedure(
        code="1.001193",
        name="Thủ tục đăng ký khai sinh",
        source_url="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7",
        decision_number="163/QĐ-BTP",
        field_name="Hộ tịch",
        levels=["commune"],
        procedure_type="TTHC được giao luật quy định chi tiết",
        applicants="Công dân Việt Nam, Người Việt Nam định cư ở nước ngoài",
        competent_agency="",
        implementing_agency="Ủy ban nhân dân cấp xã",
        receiving_address="",
        delegated_agency="",
        coordinating_agency="",
        related_procedures=[],
        steps="- Người yêu cầu đăng ký khai sinh nộp hồ sơ…",
        conditions="",
        channels=[
            p.ChannelRule("direct", Decimal(1), "working_day", "1 Ngày làm việc", "free", [], "Miễn phí"),
            p.ChannelRule("online", Decimal(1), "working_day", "1 Ngày làm việc", "free", [], "Miễn phí"),
            p.ChannelRule(
                "postal",
                Decimal(1),
                "working_day",
                "1 Ngày làm việc",
                "amounts",
                [p.Fee("Lệ phí", 8000)],
                "8.000 đ",
            ),
        ],
        papers=[
            p.RequiredPaper(
                name="Tờ khai đăng ký khai sinh", group="Giấy tờ phải nộp", kind="original", quantity=1
            )
        ],
        legal_basis=[
            p.LegalBasis("123/2015/NĐ-CP", "Nghị định quy định chi tiết một số điều … Luật Hộ tịch")
        ],
        results=[p.ResultDocument("Giấy khai sinh", "KQ.G15.000031")],
        online_level="full",
        problems=[
            p.FieldProblem("can_cu_phap_ly", "the text ends mid-title (truncated)", "Thông tư số 08/2025…N")
        ],
    )


def test_importing_a_record_creates_the_procedure_and_its_first_version():
    result = services.procedure_import(parsed=birth_registration())
    assert result.outcome == "created"
    proc = Procedure.objects.get(code="1.001193")
    version = proc.current_version
    assert version is not None and version.number == 1 and version.source == "import"
    assert proc.name_folded == "thu tuc dang ky khai sinh"
    assert proc.levels == ["commune"] and proc.field.name == "Hộ tịch"
    postal = version.channels.get(channel="postal")
    assert (postal.time_value, postal.time_unit) == (Decimal(1), "working_day")
    assert [(f.label, f.amount_vnd) for f in postal.fees.all()] == [("Lệ phí", 8000)]
    assert version.results.get().code == "KQ.G15.000031"
    # What could not be parsed is kept with its original text, for an official to fix.
    problem = ParseProblem.objects.get(version=version)
    assert problem.field == "can_cu_phap_ly" and problem.raw.endswith("…N")


def test_importing_the_same_record_again_changes_nothing():
    services.procedure_import(parsed=birth_registration())
    audits = AuditEntry.objects.count()
    result = services.procedure_import(parsed=birth_registration())
    assert result.outcome == "unchanged"
    assert ProcedureVersion.objects.filter(procedure__code="1.001193").count() == 1
    assert AuditEntry.objects.count() == audits


def test_a_changed_record_makes_a_new_version_and_keeps_the_old_one_intact():
    first = services.procedure_import(parsed=birth_registration()).version
    changed = birth_registration()
    changed.channels[0].time_value = Decimal(3)
    result = services.procedure_import(parsed=changed)
    assert result.outcome == "updated" and result.version is not None
    proc = Procedure.objects.get(code="1.001193")
    assert proc.current_version == result.version and result.version.number == 2
    assert first is not None
    assert first.channels.get(channel="direct").time_value == Decimal(1)
    assert result.version.channels.get(channel="direct").time_value == Decimal(3)
    assert first.content_hash != result.version.content_hash
    entry = AuditEntry.objects.filter(event="procedure.version_created").order_by("-seq").first()
    assert entry is not None and entry.new is not None and entry.new["version"] == 2


def test_a_record_that_fails_half_way_is_not_imported_at_all():
    services.procedure_import(parsed=birth_registration())
    broken = birth_registration()
    broken.channels[1].fees = [p.Fee("Lệ phí", -5)]  # a negative amount cannot be stored
    with pytest.raises(Exception):  # noqa: B017 — the database refuses it; which error depends on the backend
        services.procedure_import(parsed=broken)
    assert ProcedureVersion.objects.filter(procedure__code="1.001193").count() == 1
    assert ChannelRule.objects.filter(version__procedure__code="1.001193").count() == 3
    assert audit_verify().ok


def test_an_invalid_national_code_is_refused():
    bad = birth_registration()
    bad.code = "1.1193"
    with pytest.raises(ValidationError):
        services.procedure_import(parsed=bad)
    assert not Procedure.objects.exists()


def test_the_catalog_file_round_trips_exactly(tmp_path):
    record = birth_registration()
    path = tmp_path / "catalog.jsonl.gz"
    services.catalog_write([record], path)
    again = list(services.catalog_read(path))
    assert again == [record]
    first = path.read_bytes()
    services.catalog_write([record], path)
    assert path.read_bytes() == first  # reproducible: no timestamp in the gzip header


def test_an_official_edit_makes_a_new_version_from_the_stored_one(reference_data):
    from tinhso.accounts.tests import factories

    services.procedure_import(parsed=birth_registration())
    admin = factories.official(agency_prefix="000.00.01", roles=(Role.CATALOG_ADMIN,))
    current = Procedure.objects.get(code="1.001193").current_version
    assert current is not None
    draft = services.version_to_parsed(current)
    assert draft == birth_registration()
    draft.problems = []
    draft.legal_basis[0].title = "Nghị định số 123/2015/NĐ-CP quy định chi tiết một số điều của Luật Hộ tịch"
    result = services.procedure_edit(parsed=draft, actor=admin, note="Sửa căn cứ pháp lý bị cắt")
    assert result.outcome == "updated" and result.version is not None
    assert result.version.source == "edit" and result.version.created_by == admin
    assert not result.version.problems.exists()
    assert current.problems.count() == 1


def test_internal_process_steps_must_add_up_to_the_legal_time(reference_data):
    services.procedure_import(parsed=birth_registration())
    proc = Procedure.objects.get(code="1.001193")
    agency = Agency.objects.filter(kind=Agency.Kind.COMMUNE_COMMITTEE).first()
    assert agency is not None
    binding, created = services.binding_ensure(procedure=proc, agency=agency, actor=None)
    assert created and binding.local_code == f"1.001193.{agency.code}"
    short = [
        services.StepSpec("Tiếp nhận", Role.COUNTER_OFFICER, Decimal("0.25"), "working_day"),
        services.StepSpec("Xử lý", Role.SPECIALIST, Decimal("0.5"), "working_day"),
    ]
    with pytest.raises(ValidationError) as err:
        services.internal_process_create(binding=binding, steps=short, actor=None)
    assert "phải bằng thời hạn giải quyết" in str(err.value)
    hours = [services.StepSpec("Tiếp nhận", Role.COUNTER_OFFICER, Decimal(8), "hour")]
    with pytest.raises(ValidationError):
        services.internal_process_create(binding=binding, steps=hours, actor=None)
    process = services.internal_process_create(
        binding=binding, steps=demo_steps(Decimal(1), "working_day"), actor=None
    )
    assert [s.duration_value for s in process.steps.all()] == [
        Decimal("0.10"),
        Decimal("0.50"),
        Decimal("0.30"),
        Decimal("0.10"),
    ]
    binding.refresh_from_db()
    assert binding.current_process == process and process.number == 1


@pytest.mark.parametrize(
    ("total", "unit"), [(Decimal(1), "working_day"), (Decimal(7), "day"), (Decimal("0.5"), "hour")]
)
def test_the_demo_split_always_adds_up_exactly(total, unit):
    steps = demo_steps(total, unit)
    assert sum(s.duration_value for s in steps) == total
    assert {s.duration_unit for s in steps} == {unit}


def test_seeding_binds_the_seed_procedures_to_every_commune_committee_once(reference_data):
    for code in SEED_CODES:
        record = copy.deepcopy(birth_registration())
        record.code = code
        record.problems = []
        services.procedure_import(parsed=record)
    first = seed_bindings()
    assert first.bindings_created == 6 * 124 and first.processes_created == 6 * 124
    again = seed_bindings()
    assert again.bindings_created == again.processes_created == 0
    assert ProcedureBinding.objects.filter(current_process__isnull=False).count() == 744
    assert audit_verify().ok


def test_reimporting_the_same_national_record_keeps_an_officials_correction_current():
    services.procedure_import(parsed=birth_registration())
    corrected = birth_registration()
    corrected.problems = []
    edit = services.procedure_edit(parsed=corrected, actor=None, note="Bỏ lỗi đã xử lý")
    assert edit.outcome == "updated"
    again = services.procedure_import(parsed=birth_registration())
    assert again.outcome == "unchanged"
    assert Procedure.objects.get(code="1.001193").current_version == edit.version
    # The national record itself changes: a new imported version supersedes the correction.
    changed = birth_registration()
    changed.name = "Thủ tục đăng ký khai sinh (sửa đổi)"
    newer = services.procedure_import(parsed=changed)
    assert newer.outcome == "updated" and newer.version is not None and newer.version.number == 3
    assert Procedure.objects.get(code="1.001193").current_version == newer.version


def test_loading_a_catalog_twice_skips_every_unchanged_record(django_assert_max_num_queries):
    records = [birth_registration()]
    assert services.catalog_load(records)["created"] == 1
    with django_assert_max_num_queries(1):
        assert services.catalog_load(records) == {"unchanged": 1}


def shipped_seed_records() -> list[p.ParsedProcedure]:
    return [r for r in services.catalog_read() if r.code in SEED_CODES]


def test_the_shipped_catalog_holds_the_1853_national_records():
    codes = [r.code for r in services.catalog_read()]
    assert len(codes) == len(set(codes)) == 1853
    assert set(SEED_CODES) <= set(codes)


def test_the_seed_binds_the_real_seed_procedures_with_processes_that_add_up(reference_data):
    services.catalog_load(shipped_seed_records())
    summary = seed_bindings()
    assert summary.missing_procedures == [] and summary.without_legal_time == []
    # Birth and death registration and certified copies state no readable time nationally: corrected.
    assert summary.corrected == 3
    birth = Procedure.objects.get(code="1.001193")
    assert birth.current_version is not None and birth.current_version.source == "edit"
    assert "Luật Hộ tịch 2014" in birth.current_version.note
    assert services.legal_time(birth) == (Decimal(1), "working_day")
    # Permanent residence keeps its national version: 7 working days.
    permanent = Procedure.objects.get(code="1.004222")
    assert permanent.current_version is not None and permanent.current_version.source == "import"
    assert services.legal_time(permanent) == (Decimal(7), "working_day")
    binding = ProcedureBinding.objects.get(procedure=permanent, agency__code="000.00.30.H60")
    assert binding.local_code == "1.004222.000.00.30.H60"
    assert binding.current_process is not None
    assert sum(s.duration_value for s in binding.current_process.steps.all()) == Decimal(7)
    assert ProcedureBinding.objects.filter(current_process__isnull=False).count() == 6 * 124
    assert seed_bindings().corrected == 0  # idempotent
