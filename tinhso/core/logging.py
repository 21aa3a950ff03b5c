"""Request ids in every log line.

The id comes from the `X-Request-ID` header set by the load balancer when present (so one request can be
followed across machines), otherwise a new one; it is echoed back in the response header.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True
