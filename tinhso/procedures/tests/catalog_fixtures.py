"""Catalog test data: real national records from the shipped catalog (`data/catalog.jsonl.gz`), imported
through the same service as production. Only the few procedures a test needs, not all 1,853."""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable

from tinhso.procedures import parsed as p
from tinhso.procedures import services
from tinhso.procedures.models import Procedure
from tinhso.procedures.seed import SEED_CODES

BIRTH = "1.001193"  # Thủ tục đăng ký khai sinh
PERMANENT_RESIDENCE = "1.004222"  # Đăng ký thường trú: 7 working days, fees in đồng
DEATH = "1.000656"  # Thủ tục đăng ký khai tử: the fee is set by the provincial council ("regulated")
CERTIFIED_COPY = "2.000815"  # Chứng thực bản sao từ bản chính: fees in đồng and in US dollars


@functools.cache
def _read(codes: frozenset[str]) -> tuple[p.ParsedProcedure, ...]:
    # Reading the whole catalog takes a few tenths of a second: once per set of codes and session.
    records = tuple(r for r in services.catalog_read() if r.code in codes)
    missing = codes - {r.code for r in records}
    assert not missing, f"not in the shipped catalog: {sorted(missing)}"
    return records


def catalog_records(codes: Iterable[str] = SEED_CODES) -> list[p.ParsedProcedure]:
    return [copy.deepcopy(r) for r in _read(frozenset(codes))]


def catalog_load(codes: Iterable[str] = SEED_CODES) -> dict[str, Procedure]:
    """Import the given procedures (the six seed procedures by default); returns them by code."""
    codes = list(codes)
    for record in catalog_records(codes):
        services.procedure_import(parsed=record)
    return {x.code: x for x in Procedure.objects.select_related("field").filter(code__in=codes)}
