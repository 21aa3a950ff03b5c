"""The catalog's back office: correcting a procedure (a new version), bindings and internal processes.
Who may change what is by role: catalog and system administrators; everyone else in the admin looks."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tinhso.accounts.models import Agency, Role, User
from tinhso.accounts.tests import factories
from tinhso.core.models import AuditEntry
from tinhso.procedures import services
from tinhso.procedures.models import (
    ChannelRule,
    InternalProcess,
    Procedure,
    ProcedureBinding,
    ProcedureVersion,
)
from tinhso.procedures.tests.catalog_fixtures import BIRTH, PERMANENT_RESIDENCE, catalog_load

pytestmark = pytest.mark.django_db

HA_GIANG_2 = "000.00.30.H60"


@pytest.fixture(autouse=True)
def _no_second_factor(settings: Any) -> None:
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = False  # the two-factor flow has its own tests


@pytest.fixture
def catalog(reference_data: None) -> dict[str, Procedure]:
    return catalog_load()


@pytest.fixture
def catalog_admin() -> User:
    return factories.official(agency_prefix="000.00.01", roles=(Role.CATALOG_ADMIN,))


def text_of(response: Any) -> str:
    return response.content.decode()


def formset(prefix: str, rows: list[dict[str, Any]], *, initial: int | None = None) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(len(rows) if initial is None else initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            if value is not None and value is not False:
                data[f"{prefix}-{i}-{key}"] = "on" if value is True else str(value)
    return data


def content_form(procedure: Procedure, **changes: Any) -> dict[str, Any]:
    """What the correction form posts when nothing is touched, with `changes` applied; `channels` and
    `papers` take functions that change the rows."""
    version = procedure.current_version
    assert version is not None
    parsed = services.version_to_parsed(version)
    channels = [
        {
            "channel": c.channel,
            "time_value": c.time_value,
            "time_unit": c.time_unit or "",
            "time_text": c.time_text,
            "fee_kind": c.fee_kind,
            "fees": "\n".join(f"{f.label} | {f.amount_vnd} {f.currency}" for f in c.fees),
            "fee_text": c.fee_text,
            "description": c.description,
        }
        for c in parsed.channels
    ]
    papers = [
        {
            "group": x.group,
            "name": x.name,
            "kind": x.kind,
            "quantity": x.quantity,
            "originals": x.originals,
            "copies": x.copies,
            "quantity_text": x.quantity_text,
            "form_template": x.form_template,
        }
        for x in parsed.papers
    ]
    channels = changes.pop("channels", lambda rows: rows)(channels)
    papers = changes.pop("papers", lambda rows: rows)(papers)
    data = {
        "base_version": str(version.pk),
        "online_level": parsed.online_level,
        "receiving_address": parsed.receiving_address,
        "steps": parsed.steps,
        "conditions": parsed.conditions,
        "note": "Sửa theo văn bản của Sở Tư pháp",
        **formset("channels", channels, initial=len(parsed.channels)),
        **formset("papers", papers, initial=len(parsed.papers)),
    }
    resolved = changes.pop("resolved_problems", [])
    data.update({k: str(v) for k, v in changes.items()})
    return {**data, "resolved_problems": resolved}


def content_url(procedure: Procedure) -> str:
    return f"/admin/procedures/procedure/{procedure.pk}/content/"


def with_working_days(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "time_value": "1", "time_unit": "working_day"} for row in rows]


# --- Correcting a procedure: a new version --------------------------------------------------------------


def test_a_catalog_admin_corrects_the_time_and_gets_a_new_version_the_old_one_unchanged(
    client: Client, catalog: dict[str, Procedure], catalog_admin: User
) -> None:
    birth = catalog[BIRTH]
    old = birth.current_version
    assert old is not None
    client.force_login(catalog_admin)
    form = client.get(content_url(birth))
    assert form.status_code == 200
    assert 'name="channels-0-time_value"' in text_of(form) and 'name="papers-0-name"' in text_of(form)

    response = client.post(
        content_url(birth), content_form(birth, channels=with_working_days, resolved_problems=["0"])
    )
    assert response.status_code == 302, text_of(response)
    assert response["Location"] == f"/admin/procedures/procedure/{birth.pk}/change/"
    birth.refresh_from_db()
    new = birth.current_version
    assert new is not None and new.pk != old.pk
    assert new.number == old.number + 1
    assert new.source == ProcedureVersion.Source.EDIT
    assert new.created_by == catalog_admin and new.note == "Sửa theo văn bản của Sở Tư pháp"
    assert {(c.channel, c.time_value, c.time_unit) for c in new.channels.all()} == {
        (c, Decimal(1), "working_day") for c in ("direct", "online", "postal")
    }
    assert new.problems.count() == old.problems.count() - 1  # the time problem was marked fixed
    assert new.papers.count() == old.papers.count()
    # The old version, which dossiers may be pinned to, is as it was.
    assert set(ChannelRule.objects.filter(version=old).values_list("time_value", flat=True)) == {None}
    entry = AuditEntry.objects.filter(event="procedure.version_created", target_id=BIRTH).latest("seq")
    assert entry.actor_id == catalog_admin.pk
    assert entry.new is not None
    assert entry.new["source"] == "edit" and entry.new["version"] == new.number
    # The legal time now exists: an internal process can be set for the procedure.
    assert services.legal_time(birth) == (Decimal(1), "working_day")
    # The public page shows the corrected time.
    page = text_of(client.get(f"/procedures/{BIRTH}/"))
    assert re.search(r'data-testid="time-direct">1 ngày làm việc</td>', page)


def test_a_catalog_admin_corrects_fees_and_papers(
    client: Client, catalog: dict[str, Procedure], catalog_admin: User
) -> None:
    residence = catalog[PERMANENT_RESIDENCE]
    client.force_login(catalog_admin)

    def fees(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**row, "fees": "Lệ phí | 25.000"} if row["channel"] == "direct" else row for row in rows]

    def papers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        first, *rest = rows
        return [{**first, "DELETE": True}, *rest, {"name": "Giấy tờ mới", "kind": "copy", "quantity": "2"}]

    data = content_form(residence, channels=fees, papers=papers)
    data["papers-TOTAL_FORMS"] = str(int(data["papers-TOTAL_FORMS"]))
    response = client.post(content_url(residence), data)
    assert response.status_code == 302, text_of(response)
    residence.refresh_from_db()
    version = residence.current_version
    assert version is not None
    direct = version.channels.get(channel="direct")
    assert [(f.label, f.amount_vnd) for f in direct.fees.all()] == [("Lệ phí", 25000)]
    names = [p.name for p in version.papers.all()]
    assert names[-1] == "Giấy tờ mới" and version.papers.last().quantity == 2  # type: ignore[union-attr]
    old = version.procedure.versions.get(number=version.number - 1)
    assert old.papers.first().name not in names  # type: ignore[union-attr]


def test_unreadable_input_is_shown_on_the_form_and_nothing_is_saved(
    client: Client, catalog: dict[str, Procedure], catalog_admin: User
) -> None:
    birth = catalog[BIRTH]
    client.force_login(catalog_admin)
    versions = birth.versions.count()

    def half_time(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**rows[0], "time_value": "3", "time_unit": ""}, *rows[1:]]

    response = client.post(content_url(birth), content_form(birth, channels=half_time))
    assert response.status_code == 200
    assert "Nhập cả thời hạn lẫn đơn vị, hoặc bỏ trống cả hai." in text_of(response)

    def bad_fee(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**rows[0], "fee_kind": "amounts", "fees": "Lệ phí | tám nghìn"}, *rows[1:]]

    response = client.post(content_url(birth), content_form(birth, channels=bad_fee))
    assert "Dòng 1: số tiền phải là một số" in text_of(response)
    response = client.post(content_url(birth), {**content_form(birth), "note": ""})
    assert response.status_code == 200
    assert birth.versions.count() == versions


def test_saving_over_a_newer_version_is_refused(
    client: Client, catalog: dict[str, Procedure], catalog_admin: User
) -> None:
    birth = catalog[BIRTH]
    client.force_login(catalog_admin)
    stale = content_form(birth, channels=with_working_days)
    # Meanwhile someone else saves a correction.
    assert client.post(content_url(birth), content_form(birth, steps="Bước 1: nộp hồ sơ.")).status_code == 302
    response = client.post(content_url(birth), stale)
    assert response.status_code == 200
    assert "Thủ tục vừa được người khác sửa." in text_of(response)
    birth.refresh_from_db()
    assert birth.current_version is not None and birth.current_version.steps == "Bước 1: nộp hồ sơ."


def test_saving_without_a_change_makes_no_version(
    client: Client, catalog: dict[str, Procedure], catalog_admin: User
) -> None:
    residence = catalog[PERMANENT_RESIDENCE]
    client.force_login(catalog_admin)
    response = client.post(content_url(residence), content_form(residence), follow=True)
    assert "Nội dung không thay đổi: không tạo phiên bản mới." in text_of(response)
    # Browsers send a textarea's line ends as CRLF: that is no change either.
    version = residence.current_version
    assert version is not None and "\n" in version.steps
    crlf = content_form(residence, steps=version.steps.replace("\n", "\r\n"))
    response = client.post(content_url(residence), crlf, follow=True)
    assert "Nội dung không thay đổi: không tạo phiên bản mới." in text_of(response)
    assert residence.versions.count() == 1


def test_only_catalog_and_system_administrators_may_correct_a_procedure(
    client: Client, catalog: dict[str, Procedure]
) -> None:
    birth = catalog[BIRTH]
    url = content_url(birth)
    # A specialist is not admitted to the admin at all.
    client.force_login(factories.official(roles=(Role.SPECIALIST,)))
    response = client.post(url, content_form(birth, channels=with_working_days))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    # An agency leader is, and may look at the catalog, but not change it.
    client.force_login(factories.official(roles=(Role.AGENCY_LEADER,)))
    assert client.get(url).status_code == 403
    assert client.post(url, content_form(birth, channels=with_working_days)).status_code == 403
    change = client.get(f"/admin/procedures/procedure/{birth.pk}/change/")
    assert change.status_code == 200 and url not in text_of(change)
    assert birth.versions.count() == 1
    # A system administrator may.
    client.force_login(factories.official(agency_prefix="000.00.00", roles=(Role.SYSTEM_ADMIN,)))
    assert client.post(url, content_form(birth, channels=with_working_days)).status_code == 302
    assert birth.versions.count() == 2


# --- Looking around: lists, versions, the problem worklist ----------------------------------------------


def test_the_catalog_pages_of_the_admin_open_for_a_catalog_admin(
    client: Client, catalog: dict[str, Procedure], catalog_admin: User, django_assert_max_num_queries: Any
) -> None:
    client.force_login(catalog_admin)
    birth = catalog[BIRTH]
    assert birth.current_version is not None
    for url in (
        "/admin/procedures/",
        "/admin/procedures/procedure/",
        "/admin/procedures/procedure/?q=khai+sinh",
        "/admin/procedures/procedurefield/",
        "/admin/procedures/procedureversion/",
        "/admin/procedures/parseproblem/",
        "/admin/procedures/procedurebinding/",
        "/admin/procedures/internalprocess/",
        f"/admin/procedures/procedure/{birth.pk}/change/",
        f"/admin/procedures/procedureversion/{birth.current_version.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    found = text_of(client.get("/admin/procedures/procedure/", {"q": "khai sinh"}))
    assert "Thủ tục đăng ký khai sinh" in found and "Đăng ký thường trú" not in found
    with django_assert_max_num_queries(12):
        client.get("/admin/procedures/procedure/")
    version = text_of(client.get(f"/admin/procedures/procedureversion/{birth.current_version.pk}/change/"))
    assert "Giấy chứng sinh" in version and "KQ.G15.000031" in version and "cach_thuc_thuc_hien" in version
    # Versions are immutable: no save button, no delete link.
    assert 'name="_save"' not in version and "/delete/" not in version


def test_the_problem_worklist_lists_the_current_versions_only(
    client: Client, catalog: dict[str, Procedure], catalog_admin: User
) -> None:
    client.force_login(catalog_admin)
    birth = catalog[BIRTH]
    worklist = text_of(client.get("/admin/procedures/parseproblem/", {"field": "cach_thuc_thuc_hien"}))
    assert f'href="/admin/procedures/procedure/{birth.pk}/change/">1.001193</a>' in worklist
    assert f'href="{content_url(birth)}"' in worklist
    client.post(content_url(birth), content_form(birth, channels=with_working_days, resolved_problems=["0"]))
    worklist = text_of(client.get("/admin/procedures/parseproblem/", {"field": "cach_thuc_thuc_hien"}))
    assert f'href="/admin/procedures/procedure/{birth.pk}/change/">1.001193</a>' not in worklist


# --- Bindings -------------------------------------------------------------------------------------------


def test_a_catalog_admin_binds_a_procedure_to_an_agency_through_the_service(
    client: Client, catalog: dict[str, Procedure], catalog_admin: User
) -> None:
    client.force_login(catalog_admin)
    agency = Agency.objects.get(code=HA_GIANG_2)
    data = {"procedure": catalog[BIRTH].pk, "agency": agency.pk, "_save": "1"}
    response = client.post("/admin/procedures/procedurebinding/add/", data)
    assert response.status_code == 302, text_of(response)
    binding = ProcedureBinding.objects.get(procedure=catalog[BIRTH], agency=agency)
    assert binding.local_code == f"{BIRTH}.{HA_GIANG_2}" and binding.is_active
    entry = AuditEntry.objects.get(event="procedure.bound", target_id=binding.local_code)
    assert entry.actor_id == catalog_admin.pk
    # The procedure is picked by typing its name, without diacritics too.
    found = client.get(
        "/admin/autocomplete/",
        {
            "term": "khai sinh",
            "app_label": "procedures",
            "model_name": "procedurebinding",
            "field_name": "procedure",
        },
    )
    assert found.status_code == 200
    assert str(catalog[BIRTH].pk) in [r["id"] for r in found.json()["results"]]
    # The same pair again is refused by the form.
    again = client.post("/admin/procedures/procedurebinding/add/", data)
    assert again.status_code == 200 and ProcedureBinding.objects.count() == 1


def test_deactivating_a_binding_is_audited_and_takes_the_agency_off_the_public_page(
    client: Client, catalog: dict[str, Procedure], catalog_admin: User
) -> None:
    agency = Agency.objects.get(code=HA_GIANG_2)
    binding, _ = services.binding_ensure(procedure=catalog[BIRTH], agency=agency, actor=None)
    assert f'href="/agencies/{HA_GIANG_2}/"' in text_of(client.get(f"/procedures/{BIRTH}/"))
    client.force_login(catalog_admin)
    response = client.post(
        "/admin/procedures/procedurebinding/",
        {"action": "deactivate", "_selected_action": [binding.pk], "index": "0"},
    )
    assert response.status_code == 302
    binding.refresh_from_db()
    assert not binding.is_active
    entry = AuditEntry.objects.get(event="procedure.binding_deactivated", target_id=binding.local_code)
    assert entry.old == {"is_active": True} and entry.new == {"is_active": False}
    assert entry.actor_id == catalog_admin.pk
    assert f'href="/agencies/{HA_GIANG_2}/"' not in text_of(client.get(f"/procedures/{BIRTH}/"))
    # And back, from the binding's own page.
    response = client.post(
        f"/admin/procedures/procedurebinding/{binding.pk}/change/",
        {"is_active": "on", **formset("processes", [], initial=0), "_save": "1"},
    )
    assert response.status_code == 302, text_of(response)
    binding.refresh_from_db()
    assert binding.is_active
    assert AuditEntry.objects.filter(event="procedure.binding_activated").count() == 1


def test_an_agency_leader_cannot_bind_or_deactivate(client: Client, catalog: dict[str, Procedure]) -> None:
    binding, _ = services.binding_ensure(
        procedure=catalog[BIRTH], agency=Agency.objects.get(code=HA_GIANG_2), actor=None
    )
    client.force_login(factories.official(roles=(Role.AGENCY_LEADER,)))
    assert client.get("/admin/procedures/procedurebinding/").status_code == 200
    assert client.get("/admin/procedures/procedurebinding/add/").status_code == 403
    client.post(
        "/admin/procedures/procedurebinding/",
        {"action": "deactivate", "_selected_action": [binding.pk], "index": "0"},
    )
    binding.refresh_from_db()
    assert binding.is_active


# --- Internal processes ---------------------------------------------------------------------------------


def steps(*rows: tuple[str, str, str, str]) -> dict[str, str]:
    return formset(
        "steps",
        [{"name": n, "role": r, "duration_value": v, "duration_unit": u} for n, r, v, u in rows],
        initial=0,
    )


def test_steps_that_do_not_add_up_to_the_legal_time_are_refused_with_the_services_reason(
    client: Client, catalog: dict[str, Procedure], catalog_admin: User
) -> None:
    binding, _ = services.binding_ensure(
        procedure=catalog[PERMANENT_RESIDENCE], agency=Agency.objects.get(code=HA_GIANG_2), actor=None
    )
    client.force_login(catalog_admin)
    form = client.get("/admin/procedures/internalprocess/add/", {"binding": binding.local_code})
    assert form.status_code == 200
    assert "Tổng thời gian các bước phải bằng thời hạn giải quyết: 7 ngày làm việc." in text_of(form)
    data = {
        "binding": binding.local_code,
        **steps(
            ("Tiếp nhận hồ sơ", "counter_officer", "1", "working_day"),
            ("Xử lý hồ sơ", "specialist", "3", "working_day"),
        ),
    }
    response = client.post("/admin/procedures/internalprocess/add/", data)
    assert response.status_code == 200
    assert "Tổng thời gian các bước (4) phải bằng thời hạn giải quyết (7 ngày làm việc)." in text_of(response)
    assert not InternalProcess.objects.exists()


def test_a_catalog_admin_sets_an_internal_process_whose_steps_add_up(
    client: Client, catalog: dict[str, Procedure], catalog_admin: User
) -> None:
    binding, _ = services.binding_ensure(
        procedure=catalog[PERMANENT_RESIDENCE], agency=Agency.objects.get(code=HA_GIANG_2), actor=None
    )
    client.force_login(catalog_admin)
    data = {
        "binding": binding.local_code,
        "note": "Theo Quyết định 12/QĐ-UBND",
        **steps(
            ("Tiếp nhận hồ sơ", "counter_officer", "0.5", "working_day"),
            ("Xử lý hồ sơ", "specialist", "5", "working_day"),
            ("Ký kết quả", "agency_leader", "1.5", "working_day"),
            ("", "", "", ""),  # an empty extra row is ignored
        ),
    }
    response = client.post("/admin/procedures/internalprocess/add/", data)
    assert response.status_code == 302, text_of(response)
    binding.refresh_from_db()
    process = binding.current_process
    assert process is not None and process.number == 1 and process.created_by == catalog_admin
    assert [(s.name, s.duration_value) for s in process.steps.all()] == [
        ("Tiếp nhận hồ sơ", Decimal("0.5")),
        ("Xử lý hồ sơ", Decimal(5)),
        ("Ký kết quả", Decimal("1.5")),
    ]
    assert AuditEntry.objects.filter(event="procedure.process_created", target_id=binding.local_code).exists()
    # The next version starts from this one's steps.
    again = text_of(client.get("/admin/procedures/internalprocess/add/", {"binding": binding.local_code}))
    assert 'value="Ký kết quả"' in again
    assert client.get(f"/admin/procedures/internalprocess/{process.pk}/change/").status_code == 200


def test_a_procedure_without_a_readable_time_gets_no_process_until_corrected(
    client: Client, catalog: dict[str, Procedure], catalog_admin: User
) -> None:
    binding, _ = services.binding_ensure(
        procedure=catalog[BIRTH], agency=Agency.objects.get(code=HA_GIANG_2), actor=None
    )
    client.force_login(catalog_admin)
    data = {"binding": binding.local_code, **steps(("Xử lý", "specialist", "1", "working_day"))}
    response = client.post("/admin/procedures/internalprocess/add/", data)
    assert "chưa có thời hạn giải quyết đọc được: sửa danh mục trước khi lập quy trình." in text_of(response)
    client.post(content_url(catalog[BIRTH]), content_form(catalog[BIRTH], channels=with_working_days))
    assert client.post("/admin/procedures/internalprocess/add/", data).status_code == 302


def test_an_unknown_local_code_and_a_specialist_are_refused(
    client: Client, catalog: dict[str, Procedure], catalog_admin: User
) -> None:
    client.force_login(catalog_admin)
    response = client.post(
        "/admin/procedures/internalprocess/add/",
        {"binding": "1.999999.000.00.30.H60", **steps(("Xử lý", "specialist", "1", "working_day"))},
    )
    assert "Không có thủ tục của cơ quan với mã này." in text_of(response)
    client.force_login(factories.official(roles=(Role.AGENCY_LEADER,)))
    assert client.get("/admin/procedures/internalprocess/add/").status_code == 403
