"""The API's validation errors in both languages (core/api_errors.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticError

from tinhso.core.api_errors import MESSAGES, bilingual, bilingual_errors, bilingual_message


class _Sample(BaseModel):
    name: Annotated[str, Field(min_length=2, max_length=5)] = "ab"
    page: Annotated[int, Field(ge=1, le=9)] = 1
    ratio: Annotated[float, Field(gt=0, lt=1)] = 0.5
    channel: Literal["counter", "online"] = "counter"
    tags: Annotated[list[str], Field(min_length=1, max_length=2)] = ["x"]
    day: dt.date = dt.date(2026, 1, 1)
    at: dt.datetime = dt.datetime(2026, 1, 1)
    flag: bool = False
    amount: Decimal = Decimal(1)
    key: uuid.UUID = uuid.UUID(int=0)
    body: dict[str, int] = {}
    required: str


# Inputs that make pydantic raise each type MESSAGES names (its own errors, with its own context).
_INPUTS: dict[str, dict[str, Any]] = {
    "missing": {},
    "string_type": {"name": 5},
    "string_too_short": {"name": "a"},
    "string_too_long": {"name": "abcdef"},
    "int_type": {"page": [1]},
    "int_parsing": {"page": "một"},
    "int_from_float": {"page": 1.5},
    "float_parsing": {"ratio": "nửa"},
    "float_type": {"ratio": [1]},
    "decimal_parsing": {"amount": "mười"},
    "decimal_type": {"amount": [1]},
    "bool_parsing": {"flag": "có lẽ"},
    "bool_type": {"flag": [1]},
    "greater_than": {"ratio": 0},
    "greater_than_equal": {"page": 0},
    "less_than": {"ratio": 1},
    "less_than_equal": {"page": 10},
    "too_short": {"tags": []},
    "too_long": {"tags": ["a", "b", "c"]},
    "literal_error": {"channel": "fax"},
    "list_type": {"tags": "a"},
    "dict_type": {"body": [1]},
    "date_from_datetime_parsing": {"day": "hôm qua"},
    "date_type": {"day": [1]},
    "datetime_from_date_parsing": {"at": "hôm qua"},
    "datetime_type": {"at": [1]},
    "uuid_parsing": {"key": "không"},
}


@pytest.mark.parametrize("kind", sorted(_INPUTS))
def test_each_error_type_gets_both_languages_from_pydantics_own_context(kind: str) -> None:
    data = {} if kind == "missing" else {"required": "x", **_INPUTS[kind]}
    with pytest.raises(PydanticError) as raised:
        _Sample.model_validate(data)
    found = [e for e in raised.value.errors(include_url=False) if e["type"] == kind]
    assert found, (kind, raised.value.errors(include_url=False))
    vi, en = MESSAGES[kind]
    message = bilingual(dict(found[0]))["msg"]
    assert not message.startswith("Dữ liệu không hợp lệ"), (kind, message)  # not the fallback
    assert message.startswith(vi.split("{")[0]) and f" / {en.split('{')[0]}" in message, message


def test_the_context_is_formatted_into_both_halves() -> None:
    error = {"type": "greater_than_equal", "loc": ["query", "page"], "msg": "x", "ctx": {"ge": 1}}
    assert bilingual(error)["msg"] == "Phải lớn hơn hoặc bằng 1. / Must be greater than or equal to 1."
    literal = {"type": "literal_error", "loc": [], "msg": "x", "ctx": {"expected": "'a' or 'b'"}}
    assert bilingual(literal)["msg"] == "Phải là một trong: 'a' or 'b'. / Must be one of: 'a' or 'b'."


def test_an_unknown_type_or_a_missing_context_keeps_pydantics_text_after_a_vietnamese_lead() -> None:
    assert bilingual({"type": "new_kind", "loc": [], "msg": "Something odd"})["msg"] == (
        "Dữ liệu không hợp lệ. / Something odd"
    )
    assert bilingual({"type": "string_too_long", "loc": [], "msg": "Too long"})["msg"] == (
        "Dữ liệu không hợp lệ. / Too long"
    )


def test_a_validators_own_message_is_kept_and_one_in_english_only_gets_a_lead() -> None:
    own = {"type": "value_error", "loc": [], "msg": "Value error, Sai mã. / Wrong code."}
    assert bilingual(own)["msg"] == "Sai mã. / Wrong code."
    english = {"type": "value_error", "loc": [], "msg": "Value error, bad"}
    assert bilingual(english)["msg"] == "Giá trị không hợp lệ: bad / bad"


def test_entries_that_are_not_pydantic_errors_and_other_refusals_are_left_as_they_are() -> None:
    assert bilingual_errors([{"cursor": "Invalid Cursor"}]) == [{"cursor": "Invalid Cursor"}]
    assert bilingual_message("Không có hồ sơ này / no such dossier") == "Không có hồ sơ này / no such dossier"
    assert bilingual_message("Forbidden") == "Không có quyền. / Forbidden."
    # In DEBUG ninja adds the parser's reason to its body refusal.
    assert bilingual_message("Cannot parse request body (Expecting value)").startswith("Nội dung yêu cầu")


@pytest.mark.django_db
def test_django_s_404_through_the_api_is_answered_in_both_languages(client: Any) -> None:
    missing = client.get("/api/provinces/99")
    assert missing.status_code == 404 and missing.json() == {"detail": "Không tìm thấy. / Not found."}
