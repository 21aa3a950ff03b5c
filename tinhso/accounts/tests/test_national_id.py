import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tinhso.accounts.national_id import BIRTH_PROVINCE_CODES, parse_national_id

TODAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("number", "province", "sex", "year"),
    [
        ("008090012345", "008", "male", 1990),  # born 1990 in Tuyên Quang, male
        ("001185000123", "001", "female", 1985),  # Hà Nội, female, 20th century
        ("079203004567", "079", "male", 2003),  # Hồ Chí Minh City, male, 21st century
        ("002325009999", "002", "female", 2025),  # Hà Giang, female, born 2025
        ("096100000001", "096", "female", 1900),  # Cà Mau, first year of the 20th century
    ],
)
def test_valid_national_ids_parse_into_their_parts(number, province, sex, year):
    parsed = parse_national_id(number, today=TODAY)
    assert (parsed.birth_province_code, parsed.sex, parsed.birth_year) == (province, sex, year)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("08090012345", "national_id_shape"),  # 11 digits
        ("0080900123456", "national_id_shape"),  # 13 digits
        ("00809001234a", "national_id_shape"),  # a letter
        ("", "national_id_shape"),
        ("003090012345", "national_id_province"),  # 003 is not a province code
        ("097090012345", "national_id_province"),  # beyond Cà Mau (096)
        ("000090012345", "national_id_province"),
        ("008227012345", "national_id_year"),  # 21st century, year 2027: not born yet
        ("008499012345", "national_id_year"),  # 22nd century
    ],
)
def test_invalid_national_ids_are_refused_with_a_specific_reason(number, code):
    with pytest.raises(ValidationError) as err:
        parse_national_id(number, today=TODAY)
    assert err.value.code == code


def test_there_are_63_birth_province_codes_as_before_the_2025_merger():
    assert len(BIRTH_PROVINCE_CODES) == 63


@pytest.mark.django_db
def test_a_citizen_whose_id_year_contradicts_the_birth_date_is_refused(reference_data):
    from tinhso.accounts.models import User
    from tinhso.accounts.tests import factories

    with pytest.raises(ValidationError) as err:
        factories.citizen(national_id="008090012345", date_of_birth=dt.date(1991, 5, 2))
    assert "năm sinh 1990" in str(err.value)
    ok = factories.citizen(national_id="008090012345", date_of_birth=dt.date(1990, 5, 2))
    assert User.objects.get(pk=ok.pk).national_id == "008090012345"


@pytest.mark.django_db
def test_a_malformed_national_id_is_refused_when_creating_a_citizen(reference_data):
    from tinhso.accounts.tests import factories

    with pytest.raises(ValidationError) as err:
        factories.citizen(national_id="12345")
    assert "national_id" in err.value.message_dict
