"""How often one client address may have a file checked on the public verification page and API.

Checking a file runs pyHanko's validator on every signature (with its difference analysis of each revision)
for anyone, without an account: the checks of one address are counted in the database
(`accounts.ratelimit`), `SIGNING_VERIFY_PER_IP` = (count, seconds), 20 per 10 minutes by default. Page
and API share the count. Reading a register entry (no file) is not counted.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tinhso.accounts.ratelimit import RateDecision, client_ip, rate_limit_hit

SCOPE = "edocs-verify-ip"
DEFAULT_PER_IP = (20, 600)


def verify_check_hit(request: HttpRequest) -> RateDecision:
    """Count one file check for the request's address; `allowed` says whether this one may go ahead."""
    count, seconds = getattr(settings, "SIGNING_VERIFY_PER_IP", DEFAULT_PER_IP)
    return rate_limit_hit(
        scope=SCOPE, subject=client_ip(request), limit=int(count), window_seconds=int(seconds)
    )


def limited_message(retry_after: int) -> str:
    minutes = max(1, math.ceil(retry_after / 60))
    return _("Bạn đã kiểm tra quá nhiều tệp trong thời gian ngắn. Vui lòng thử lại sau %(minutes)s phút.") % {
        "minutes": minutes
    }
