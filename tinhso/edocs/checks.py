"""`manage.py check`: the signatures' trust roots (a deployment check)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def signing_trust_roots(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Without a trust root every genuine signed paper would verify as "untrusted" on the public page; a
    root file that is missing or holds no certificate is a mistake of the deployment."""
    from tinhso.core.signing import trust_roots_pyca

    roots = list(getattr(settings, "SIGNING_TRUST_ROOTS", []) or [])
    problems: list[CheckMessage] = []
    for path in roots:
        if not Path(path).is_file():
            problems.append(Error(f"SIGNING_TRUST_ROOTS: {path} is not a file.", id="edocs.E001"))
    if not roots and not settings.DEBUG:
        problems.append(
            Warning(
                "SIGNING_TRUST_ROOTS is empty: signed papers would verify as untrusted. Give the national "
                "root CA's certificate file(s).",
                id="edocs.W001",
            )
        )
    elif roots and not problems:
        try:
            found = trust_roots_pyca()
        except ValueError as e:
            found = []
            problems.append(Error(f"SIGNING_TRUST_ROOTS: not a certificate ({e}).", id="edocs.E002"))
        if not found and not problems:
            problems.append(Error("SIGNING_TRUST_ROOTS holds no certificate.", id="edocs.E002"))
    return problems
