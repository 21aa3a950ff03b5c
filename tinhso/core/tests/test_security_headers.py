"""Every answer carries a content security policy (unless it set its own) and a permissions policy."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.test.utils import override_settings

from tinhso.core.middleware import SecurityHeadersMiddleware, _default_policy

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, str]:
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in (p.strip() for p in header.split(";")) if d}


def test_pages_allow_only_the_sites_own_scripts_styles_and_forms() -> None:
    response = Client().get("/")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert (
        "camera=(self)" in response["Permissions-Policy"]
        and "microphone=()" in response["Permissions-Policy"]
    )


def test_the_vneid_issuer_may_receive_the_login_forms_redirect() -> None:
    policy = directives(_default_policy("https://sso.vneid.example/realms/citizen"))
    assert policy["form-action"] == "'self' https://sso.vneid.example"


def test_the_admin_allows_its_inline_styles_and_nothing_else_changes() -> None:
    response = Client().get("/admin/login/")
    policy = directives(response["Content-Security-Policy"])
    assert policy["style-src"] == "'self' 'unsafe-inline'" and policy["script-src"] == "'self'"


def test_an_answer_with_its_own_policy_keeps_it() -> None:
    def download(request: Any) -> Any:
        from django.http import HttpResponse

        response = HttpResponse(b"%PDF-")
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response

    middleware = SecurityHeadersMiddleware(download)
    from django.test import RequestFactory

    assert middleware(RequestFactory().get("/giay-to/1/tai-ve/"))["Content-Security-Policy"] == (
        "sandbox; default-src 'none'"
    )


@override_settings(CONTENT_SECURITY_POLICY="default-src 'none'")
def test_settings_replace_the_policy() -> None:
    assert Client().get("/health")["Content-Security-Policy"] == "default-src 'none'"


def test_the_api_docs_are_served_from_the_site() -> None:
    body = Client().get("/api/docs").content.decode()
    assert "cdn." not in body and "/static/ninja/swagger-ui-bundle.js" in body
