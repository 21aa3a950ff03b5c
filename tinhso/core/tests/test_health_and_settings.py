import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tinhso.core.text import fold, fold_words

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_health_reports_the_database_as_json(client):
    res = client.get("/health")
    assert res.status_code == 200
    body = res.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert res["X-Request-ID"]


@pytest.mark.django_db
def test_health_says_503_when_the_database_is_down(client, monkeypatch):
    from django.db import OperationalError, connection

    def broken_cursor(*a, **kw):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    res = client.get("/health")
    assert res.status_code == 503
    assert res.json() == {"status": "error", "database": "unavailable"}


@pytest.mark.django_db
def test_a_request_id_from_the_load_balancer_is_echoed_and_a_bad_one_replaced(client):
    assert client.get("/health", HTTP_X_REQUEST_ID="lb-1234").headers["X-Request-ID"] == "lb-1234"
    replaced = client.get("/health", HTTP_X_REQUEST_ID="bad id\nwith newline").headers["X-Request-ID"]
    assert replaced != "bad id\nwith newline" and len(replaced) == 32


def _run_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        env={**clean, "DJANGO_SETTINGS_MODULE": "tinhso.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_a_secret_key():
    res = _run_settings({"DEBUG": "0"})
    assert res.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in res.stderr


def test_a_malformed_boolean_setting_stops_the_process():
    res = _run_settings({"DEBUG": "maybe"})
    assert res.returncode != 0
    assert "DEBUG must be a boolean" in res.stderr


def test_production_starts_with_its_secrets():
    res = _run_settings({"DEBUG": "0", "SECRET_KEY": "x" * 60})
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False"


def test_json_log_lines_carry_the_request_id():
    from pythonjsonlogger.json import JsonFormatter

    from tinhso.core.logging import RequestIdFilter, request_id_var

    record = logging.LogRecord("tinhso", logging.INFO, __file__, 1, "hồ sơ đã tiếp nhận", None, None)
    token = request_id_var.set("abc123")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = JsonFormatter("%(levelname)s %(name)s %(message)s %(request_id)s").format(record)
    assert json.loads(line) == {
        "levelname": "INFO",
        "name": "tinhso",
        "message": "hồ sơ đã tiếp nhận",
        "request_id": "abc123",
    }


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Tuyên Quang", "tuyen quang"),
        ("ĐỒNG VĂN", "dong van"),
        ("Ủy ban  nhân dân\txã Phú Lương", "uy ban nhan dan xa phu luong"),
        ("Thuỷ", "thuy"),  # old-style tone placement
        ("Thủy", "thuy"),
    ],
)
def test_folding_removes_vietnamese_diacritics_case_and_extra_spaces(text, folded):
    assert fold(text) == folded


def test_query_words_keep_dots_for_codes():
    assert fold_words("Thủ tục 1.001193, khai sinh!") == ["thu", "tuc", "1.001193", "khai", "sinh"]
