"""Errors answer in plain Vietnamese, inside the site's layout, and say what to do next."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from tinhso.accounts.tests import factories as people

pytestmark = pytest.mark.django_db


def test_an_unknown_address_gets_the_sites_not_found_page(reference_data: None) -> None:
    response = Client().get("/khong-co-trang-nay/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "Không tìm thấy trang này" in body and 'class="skip-link"' in body
    assert 'href="/tra-cuu-ho-so/"' in body  # what to do next


def test_a_page_one_may_not_open_says_so_and_offers_to_log_in(reference_data: None) -> None:
    citizen = Client()
    citizen.force_login(people.citizen())
    response = citizen.get("/backoffice/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "Bạn không có quyền mở trang này" in body and "Bộ phận Một cửa" in body
    assert "/accounts/login/" not in body.split("<main", 1)[1]  # logged in: no login button


def test_a_server_error_page_needs_nothing_that_could_fail_again() -> None:
    response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "Hệ thống đang gặp sự cố" in body and "không bị mất" in body
