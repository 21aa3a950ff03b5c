"""The catalog administration's own service (switching a binding on and off), the read helpers of the
pages and the API, and how amounts and durations are written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from tinhso.accounts.models import Agency, Role
from tinhso.accounts.tests import factories
from tinhso.core.models import AuditEntry
from tinhso.procedures import selectors, services, services_admin
from tinhso.procedures.models import Procedure
from tinhso.procedures.templatetags.procedure_format import duration, format_number, vnd
from tinhso.procedures.tests.catalog_fixtures import BIRTH, catalog_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(reference_data: None) -> dict[str, Procedure]:
    return catalog_load()


def test_switching_a_binding_off_and_on_is_audited_once_per_change(catalog: dict[str, Procedure]) -> None:
    actor = factories.official(agency_prefix="000.00.01", roles=(Role.CATALOG_ADMIN,))
    binding, _ = services.binding_ensure(
        procedure=catalog[BIRTH], agency=Agency.objects.get(code="000.00.30.H60"), actor=None
    )
    assert services_admin.binding_set_active(binding=binding, is_active=False, actor=actor) is True
    assert services_admin.binding_set_active(binding=binding, is_active=False, actor=actor) is False
    binding.refresh_from_db()
    assert not binding.is_active
    entries = AuditEntry.objects.filter(target_type="procedures.binding", target_id=binding.local_code)
    assert list(entries.order_by("seq").values_list("event", flat=True)) == [
        "procedure.bound",
        "procedure.binding_deactivated",
    ]
    deactivated = entries.get(event="procedure.binding_deactivated")
    assert deactivated.agency_code == "000.00.30.H60" and deactivated.actor_label == actor.username
    assert services_admin.binding_set_active(binding=binding, is_active=True, actor=actor) is True
    binding.refresh_from_db()
    assert binding.is_active
    # An inactive binding is no longer where citizens are told to go.
    services_admin.binding_set_active(binding=binding, is_active=False, actor=actor)
    detail = selectors.procedure_detail(BIRTH)
    assert detail is not None and detail.bindings == []


def test_catalog_editors_are_catalog_and_system_administrators(reference_data: None) -> None:
    assert selectors.user_edits_catalog(factories.official(roles=(Role.CATALOG_ADMIN,)))
    assert selectors.user_edits_catalog(factories.official(roles=(Role.SYSTEM_ADMIN,)))
    for role in (Role.SPECIALIST, Role.COUNTER_OFFICER, Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER):
        assert not selectors.user_edits_catalog(factories.official(roles=(role,))), role
    assert not selectors.user_edits_catalog(factories.citizen())
    assert not selectors.user_edits_catalog(AnonymousUser())
    inactive = factories.official(roles=(Role.CATALOG_ADMIN,))
    inactive.is_active = False
    assert not selectors.user_edits_catalog(inactive)


def test_a_procedure_is_read_in_a_fixed_number_of_queries(
    catalog: dict[str, Procedure], django_assert_max_num_queries: object
) -> None:
    agencies = Agency.objects.filter(kind=Agency.Kind.COMMUNE_COMMITTEE)[:20]
    for agency in agencies:
        services.binding_ensure(procedure=catalog[BIRTH], agency=agency, actor=None)
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        detail = selectors.procedure_detail(BIRTH, with_problems=True)
        assert detail is not None
        assert len(detail.bindings) == 20
        [fee for c in detail.channels for fee in c.fees.all()]
        assert detail.problems
        assert [g.name for g in detail.paper_groups][:2] == ["Giấy tờ phải nộp", "Giấy tờ phải xuất trình"]
    assert selectors.procedure_detail("1.999999") is None
    assert selectors.procedure_detail(BIRTH, with_problems=False).problems is None  # type: ignore[union-attr]


def test_the_procedure_count_rides_on_another_query(catalog: dict[str, Procedure]) -> None:
    counted = Agency.objects.annotate(n=selectors.procedure_count_subquery()).values_list("n", flat=True)
    assert counted[0] == len(catalog)


def test_amounts_use_the_languages_separators() -> None:
    with translation.override("vi"):
        assert vnd(8000) == "8.000 đồng"
        assert vnd(1250000) == "1.250.000 đồng"
        assert vnd(0) == "0 đồng"
        assert format_number(Decimal("0.50")) == "0,5"
    with translation.override("en"):
        assert format_number(8000) == "8,000"
        assert format_number(Decimal("1.25")) == "1.25"


def test_durations_keep_the_least_digits_and_name_the_unit() -> None:
    with translation.override("vi"):
        assert duration(Decimal("7.00"), "working_day") == "7 ngày làm việc"
        assert duration(Decimal("10"), "day") == "10 ngày"
        assert duration(Decimal("0.50"), "working_day") == "0,5 ngày làm việc"
        assert duration(None, "working_day") == ""
        assert duration(Decimal(1), "") == ""
