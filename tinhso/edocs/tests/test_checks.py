"""The deployment check of the signatures' trust roots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinhso.core import signing
from tinhso.edocs.checks import signing_trust_roots


def _ids(settings: Any) -> list[str]:
    return [m.id or "" for m in signing_trust_roots()]


def test_production_without_trust_roots_is_warned_and_wrong_files_are_errors(
    settings: Any, tmp_path: Path
) -> None:
    settings.DEBUG = False
    settings.SIGNING_DEV_CA = False
    settings.SIGNING_TRUST_ROOTS = []
    assert _ids(settings) == ["edocs.W001"]

    root = signing.create_ca("Gốc thử nghiệm")
    signing.write_key_pair(root, tmp_path / "root.key", tmp_path / "root.pem")
    settings.SIGNING_TRUST_ROOTS = [str(tmp_path / "root.pem")]
    assert _ids(settings) == []

    settings.SIGNING_TRUST_ROOTS = [str(tmp_path / "missing.pem")]
    assert _ids(settings) == ["edocs.E001"]
    settings.SIGNING_TRUST_ROOTS = [str(tmp_path / "root.key")]  # a key, not a certificate
    assert _ids(settings) == ["edocs.E002"]


def test_development_needs_no_trust_roots(settings: Any) -> None:
    settings.DEBUG = True
    settings.SIGNING_TRUST_ROOTS = []
    assert _ids(settings) == []
