"""The e-form's checklist from the shipped catalog: which papers get a file input, which are mandatory,
and which channel's time and fees the form shows."""

from __future__ import annotations

import pytest

from tinhso.portal.checklist import checklist_for, has_online_channel, online_channel_rules, uploadable_items
from tinhso.procedures.models import Procedure
from tinhso.procedures.tests.catalog_fixtures import (
    BIRTH,
    CERTIFIED_COPY,
    DEATH,
    PERMANENT_RESIDENCE,
    catalog_load,
)

pytestmark = pytest.mark.django_db


def version_of(code: str) -> Procedure:
    procedure = catalog_load([code])[code]
    assert procedure.current_version is not None
    return procedure


def required_names(code: str) -> list[str]:
    version = version_of(code).current_version
    assert version is not None
    return [i.short_name for i in uploadable_items(checklist_for(version)) if i.required]


def test_only_unconditional_papers_the_catalog_says_must_be_handed_in_are_mandatory() -> None:
    # Birth: the birth certificate; the authorisation "in case of authorisation" and the abandoned-child
    # record are conditional. Death: the death notice.
    assert required_names(BIRTH) == ["Giấy chứng sinh"]
    assert required_names(DEATH) == ["Giấy báo tử hoặc giấy tờ thay Giấy báo tử do cơ quan có thẩm quyền cấp"]
    # Permanent residence lists one set of papers per kind of residence: none is mandatory on its own.
    assert required_names(PERMANENT_RESIDENCE) == []


def test_notes_of_the_catalog_get_no_file_input() -> None:
    version = version_of(BIRTH).current_version
    assert version is not None
    groups = checklist_for(version)
    notes = [g for g in groups if g.is_note]
    assert notes and all(not i.uploadable for g in notes for i in g.items)
    zero = [i for g in groups for i in g.items if i.paper.quantity == 0]
    assert zero and not any(i.uploadable for i in zero)
    assert len(uploadable_items(groups)) < sum(len(g.items) for g in groups)


def test_the_online_channel_gives_the_time_and_fees_else_the_other_channels_are_shown_as_such() -> None:
    residence = version_of(PERMANENT_RESIDENCE).current_version
    assert residence is not None
    rules, online = online_channel_rules(residence)
    assert online and [r.channel for r in rules] == ["online"]
    assert [f.amount_vnd for f in rules[0].fees.all()] == [10_000]
    copy = version_of(CERTIFIED_COPY).current_version
    assert copy is not None
    rules, online = online_channel_rules(copy)
    assert not online and {r.channel for r in rules} == {"direct"}
    assert has_online_channel(residence) and not has_online_channel(copy)
