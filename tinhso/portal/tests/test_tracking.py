"""*Tra cứu hồ sơ* without logging in: code and phone number or ID number must both match; nothing personal
beyond the name's initials; rate-limited per address and per code, with a plain message."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier
from tinhso.dossiers.tests.factories import World

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def received(w: World) -> Dossier:
    """A dossier handed in at the counter by Nguyễn Thị Hằng (0912345678, 008190012345), received."""
    d = tr.receive_at_counter(
        binding=w.residence,
        applicant=tr.Applicant(
            name="Nguyễn Thị Hằng", id_number="008190012345", phone="0912345678", address="Tổ 5, Hà Giang 2"
        ),
        actor=w.counter,
        papers=[tr.PaperSpec(name="Tờ khai thay đổi thông tin cư trú (CT01)")],
    )
    return d


def lookup(client: Client, code: str, secret: str, **extra: Any) -> Any:
    return client.post("/tra-cuu-ho-so/", {"code": code, "secret": secret}, **extra)


def test_the_code_and_the_phone_number_find_the_dossier_without_personal_data(
    client: Client, received: Dossier
) -> None:
    response = lookup(client, received.code, "0912 345 678")
    assert response.status_code == 200
    page = text(response)
    result = page.split('data-testid="result"', 1)[1].split("</section>", 1)[0]
    assert received.code in result
    assert 'data-testid="initials">N. T. H.<' in result
    assert (
        'data-testid="status"><strong>Đã tiếp nhận</strong>' in result
        and "mã trạng thái quốc gia 2" in result
    )
    due = timezone.localtime(received.due_at)
    assert f'data-testid="due">{due:%H:%M %d/%m/%Y}<' in result
    assert re.findall(r"</time> (.*?)</li>", result) == [
        "Nộp hồ sơ",
        "Hồ sơ được tiếp nhận, hẹn ngày trả kết quả",
    ]
    for personal in ("Nguyễn Thị Hằng", "0912345678", "008190012345", "Tổ 5", "Trần Thị Bình", "canbo"):
        assert personal not in page, personal
    # The phone number is not echoed back into the form either.
    assert 'name="secret"' in page and 'value="0912' not in page


def test_the_id_number_and_the_receipts_qr_content_work_too(client: Client, received: Dossier) -> None:
    assert 'data-testid="result"' in text(lookup(client, received.code.lower(), "008 190 012 345"))
    scanned = f"  {received.code}\n"  # what a QR reader app pastes
    assert 'data-testid="result"' in text(lookup(client, scanned, "+84912345678"))
    link = f"https://dichvucong.example/tra-cuu-ho-so/?ma={received.code}"
    assert 'data-testid="result"' in text(lookup(client, link, "0912345678"))
    # A link carrying the code fills the form in.
    prefilled = client.get("/tra-cuu-ho-so/", {"ma": received.code})
    assert f'value="{received.code}"' in text(prefilled)


def test_a_wrong_phone_number_or_an_unknown_code_gets_the_same_plain_answer(
    client: Client, received: Dossier
) -> None:
    wrong_phone = text(lookup(client, received.code, "0987654321"))
    unknown_code = text(lookup(client, received.code[:-4] + "9999", "0912345678"))
    for page in (wrong_phone, unknown_code):
        assert 'data-testid="not-found"' in page and 'data-testid="result"' not in page
        assert "Kiểm tra lại mã hồ sơ" in page
    # An empty phone on the dossier never matches an empty answer.
    Dossier.objects.filter(pk=received.pk).update(applicant_phone="", applicant_id_number="")
    assert 'data-testid="not-found"' in text(lookup(client, received.code, "0"))
    unreadable = lookup(client, "ho so cua toi", "0912345678")
    assert unreadable.status_code == 400 and "Không đọc được mã hồ sơ" in text(unreadable)


def test_wrong_answers_for_one_code_lock_it_for_a_while_even_for_the_right_answer(
    client: Client, received: Dossier, settings: Any
) -> None:
    settings.PORTAL_LOOKUP_FAILURES_PER_CODE = (3, 1800)
    for n in range(3):
        assert 'data-testid="not-found"' in text(lookup(client, received.code, f"09000000{n:02d}"))
    limited = lookup(client, received.code, "0912345678")
    assert limited.status_code == 429 and 'data-testid="result"' not in text(limited)
    assert "Bạn đã tra cứu quá nhiều lần" in text(limited) and "phút" in text(limited)
    assert 0 < int(limited["Retry-After"]) <= 1800
    # Other dossiers are not affected.
    other = tr.receive_at_counter(
        binding=received.binding,
        applicant=tr.Applicant(name="Lò Thị Mai", phone="0977000111"),
        actor=received.received_by,  # type: ignore[arg-type]
        papers=[tr.PaperSpec(name="Tờ khai")],
    )
    assert 'data-testid="result"' in text(lookup(client, other.code, "0977000111"))


def test_one_address_may_look_up_only_so_often(client: Client, received: Dossier, settings: Any) -> None:
    settings.PORTAL_LOOKUP_PER_IP = (4, 600)
    for _ in range(4):
        assert lookup(client, received.code, "0912345678", REMOTE_ADDR="203.0.113.7").status_code == 200
    limited = lookup(client, received.code, "0912345678", REMOTE_ADDR="203.0.113.7")
    assert limited.status_code == 429 and "Bạn đã tra cứu quá nhiều lần" in text(limited)
    # Another address is not limited by the first one's look-ups.
    assert lookup(client, received.code, "0912345678", REMOTE_ADDR="198.51.100.9").status_code == 200


def test_the_look_up_form_needs_its_csrf_token(received: Dossier) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert lookup(strict, received.code, "0912345678").status_code == 403
    page = text(strict.get("/tra-cuu-ho-so/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    ok = strict.post(
        "/tra-cuu-ho-so/",
        {"code": received.code, "secret": "0912345678", "csrfmiddlewaretoken": token.group(1)},
    )
    assert ok.status_code == 200 and 'data-testid="result"' in text(ok)
