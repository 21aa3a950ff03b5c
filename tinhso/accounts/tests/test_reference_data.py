import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tinhso.accounts.models import Agency, Commune, FormerCommune, Province
from tinhso.accounts.national_id import BIRTH_PROVINCE_CODES
from tinhso.accounts.selectors import former_commune_resolve
from tinhso.accounts.services import DATA_DIR, reference_data_load

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "data" / "admin-units"

pytestmark = pytest.mark.django_db


def test_there_are_34_provinces_and_3321_communes_after_the_2025_reorganisation(reference_data):
    assert Province.objects.count() == 34
    assert Commune.objects.count() == 3321


def test_tuyen_quang_has_124_communes_117_xa_and_7_phuong(reference_data):
    tq = Province.objects.get(code="08")
    assert tq.name == "Tỉnh Tuyên Quang"
    communes = Commune.objects.filter(province=tq)
    assert communes.count() == 124
    assert communes.filter(division_type="xã").count() == 117
    assert communes.filter(division_type="phường").count() == 7


def test_an_old_commune_merged_whole_resolves_to_its_new_commune(reference_data):
    # Phường Trần Phú (00691) of the former Hà Giang city went whole into Phường Hà Giang 2.
    rows = former_commune_resolve("00691")
    assert [(r.new_commune.code, r.new_commune.name, r.merge) for r in rows] == [
        ("00691", "Phường Hà Giang 2", FormerCommune.Merge.WHOLE)
    ]
    assert rows[0].new_commune.province.name == "Tỉnh Tuyên Quang"
    assert rows[0].old_province == "Tỉnh Hà Giang (02)"


def test_an_old_commune_split_in_parts_resolves_to_every_new_commune(reference_data):
    # Phường Quang Trung (00688) was split ("nhập một phần") between new units.
    rows = former_commune_resolve("688")
    assert len(rows) >= 2
    assert {r.merge for r in rows} == {FormerCommune.Merge.PART}
    assert "Phường Hà Giang 2" in {r.new_commune.name for r in rows}


def test_an_unknown_old_commune_code_resolves_to_nothing(reference_data):
    assert former_commune_resolve("99999") == []


def test_loading_the_reference_data_twice_changes_nothing(reference_data):
    before = (
        Province.objects.count(),
        Commune.objects.count(),
        FormerCommune.objects.count(),
        list(Agency.objects.values_list("id", "code", "path", "name")),
    )
    summary = reference_data_load()
    assert summary.agencies_created == summary.agencies_updated == 0
    after = (
        Province.objects.count(),
        Commune.objects.count(),
        FormerCommune.objects.count(),
        list(Agency.objects.values_list("id", "code", "path", "name")),
    )
    assert after == before


def test_the_former_commune_table_names_the_63_pre_merger_provinces():
    with (DATA_DIR / "former_communes.csv").open(encoding="utf-8") as fh:
        codes = {"0" + row["old_province_code"] for row in csv.DictReader(fh)}
    assert codes == BIRTH_PROVINCE_CODES


@pytest.mark.skipif(not SHARED.exists(), reason="../shared is not beside this checkout")
def test_the_shipped_data_files_are_exactly_what_the_converter_makes_from_the_shared_source(tmp_path):
    before = {p.name: p.read_bytes() for p in DATA_DIR.glob("*.csv")}
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "convert_admin_units.py"), str(SHARED.parent.parent)],
        check=True,
        capture_output=True,
    )
    after = {p.name: p.read_bytes() for p in DATA_DIR.glob("*.csv")}
    assert after == before
    nested = json.loads((SHARED / "nested-divisions.json").read_text(encoding="utf-8"))
    assert sum(len(p["wards"]) for p in nested) == 3321


def test_agency_codes_are_valid_and_unique(reference_data):
    codes = list(Agency.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 1 + 1 + 13 + 124
    for agency in Agency.objects.all():
        agency.full_clean()  # runs the identifier format validator
        assert agency.code.endswith(f".{settings.TINHSO_AGENCY_LEVEL1_CODE}")


def test_the_agency_tree_has_the_provincial_committee_at_its_root(reference_data):
    root = Agency.objects.get(parent__isnull=True)
    assert root.code == "000.00.00.H60"
    assert root.kind == Agency.Kind.PROVINCIAL_COMMITTEE
    assert Agency.objects.subtree_of(root).count() == Agency.objects.count()
    committees = Agency.objects.filter(kind=Agency.Kind.COMMUNE_COMMITTEE)
    assert committees.count() == 124
    assert set(committees.values_list("commune__province__code", flat=True)) == {"08"}
    assert Agency.objects.filter(kind=Agency.Kind.SERVICE_CENTRE).count() == 1


def test_the_province_level1_code_is_configurable(settings, reference_data):
    settings.TINHSO_AGENCY_LEVEL1_CODE = "H22"
    reference_data_load()
    assert Agency.objects.filter(code="000.00.00.H22", parent__isnull=True).exists()
    assert Agency.objects.filter(code__endswith=".H22").count() == 139
