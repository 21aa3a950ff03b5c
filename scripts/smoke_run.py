"""Smoke test of the README's `make run`: the served home page, then a login as every demo role.

Usage: `python scripts/smoke_run.py http://127.0.0.1:8765` while `make run PORT=8765` serves. Used by
.ci/run; exits non-zero with a message on the first failure.
"""

from __future__ import annotations

import re
import sys
import time

import httpx


def wait_for(base: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    sys.exit(f"make run did not serve {base}/health within {timeout:.0f} s")


def login(base: str, username: str, full_name: str) -> None:
    from tinhso.accounts.demo import DEMO_PASSWORD

    with httpx.Client(base_url=base, timeout=10) as client:
        page = client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not token:
            sys.exit("no CSRF token on the login page")
        res = client.post(
            "/accounts/login/",
            data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": f"{base}/accounts/login/"},
        )
        if res.status_code != 302:
            sys.exit(f"login as {username} answered {res.status_code}, expected a redirect")
        home = client.get("/")
        if full_name not in home.text:
            sys.exit(f"after logging in as {username}, the home page does not show {full_name!r}")
        if username == "motcua":
            # The demo dossiers are there: the counter officer's worklist lists them.
            work = client.get("/backoffice/", params={"list": "mine"})
            codes = re.findall(r"000\.00\.30\.H60-\d{6}-\d{4}", work.text)
            if work.status_code != 200 or not codes:
                sys.exit(f"the counter officer's worklist answered {work.status_code} with no demo dossier")
            receipt = client.get(f"/backoffice/dossiers/{codes[0]}/forms/01.pdf")
            if receipt.status_code != 200 or not receipt.content.startswith(b"%PDF"):
                sys.exit(f"the receipt of {codes[0]} answered {receipt.status_code}")
            print(f"  worklist lists {len(set(codes))} demo dossiers; receipt of {codes[0]} is a PDF")
    print(f"  logged in as {username:<12} ({full_name})")


def main(base: str) -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    django.setup()  # only to import the demo account list; no database access here
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    from tinhso.accounts.demo import DEMO_ACCOUNTS

    wait_for(base)
    home = httpx.get(f"{base}/", timeout=10)
    if home.status_code != 200 or "Tỉnh Số" not in home.text:
        sys.exit(f"home page answered {home.status_code}")
    print(f"home page OK at {base}/")
    for acc in DEMO_ACCOUNTS:
        login(base, acc.username, acc.full_name)
    print("make run smoke test passed")


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000")
