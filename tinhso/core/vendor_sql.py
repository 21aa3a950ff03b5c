"""Running hand-written SQL that differs per database (triggers, full-text tables) from migrations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def run_for_vendor(connection: Any, statements_by_vendor: Mapping[str, Sequence[str]], *, what: str) -> None:
    """Execute the statements written for `connection`'s database, in order; refuse a database that has
    none (better than a silently missing trigger)."""
    statements = statements_by_vendor.get(connection.vendor)
    if statements is None:
        raise NotImplementedError(f"no {what} for the {connection.vendor} database")
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
