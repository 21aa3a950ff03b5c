"""Public pages of the procedure catalog (*danh mục thủ tục hành chính*): search with filters, and one
procedure with everything a citizen needs before going (papers, time, fees, where, legal basis).

No login needed: the catalog is published by law (ND 63/2010 Art. 15: procedures are made public). Like
the directory lists (accounts/views.py), the list is a plain GET form; with htmx the form asks for the
results region only and swaps it in place, with the count and the filters' counts swapped out of band.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from tinhso.procedures import selectors
from tinhso.procedures.models import Level, OnlineLevel

PER_PAGE = 20
# Longer queries are cut rather than refused: no procedure name needs more, and it bounds the work.
MAX_QUERY_LENGTH = 100
MAX_AGENCY_CODE_LENGTH = 40


def _is_results_request(request: HttpRequest) -> bool:
    """An htmx request for the results region only (not a history restore, which needs the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _int(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(value) if value is not None and value.strip() else default
    except ValueError:
        return default


def _options(facet: list[tuple[str, str, int]], selected: str) -> list[dict[str, Any]]:
    """A filter's options with their counts (the search keeps the chosen value listed even when nothing
    matches it any more, so the form never shows "all" while a filter is applied)."""
    return [
        {"value": value, "label": label, "count": count, "selected": value == selected}
        for value, label, count in facet
    ]


@require_safe
def procedure_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    field_id = _int(request.GET.get("field"))
    if field_id is not None and not 0 < field_id < 2**31:
        field_id = None  # not an id; also keeps PostgreSQL from an integer-out-of-range error
    level = request.GET.get("level", "").strip()
    if level not in Level.values:
        level = ""
    online_level = request.GET.get("online_level", "").strip()
    if online_level not in OnlineLevel.values:
        online_level = ""
    agency = request.GET.get("agency", "").strip()[:MAX_AGENCY_CODE_LENGTH]
    requested_page = _int(request.GET.get("page"), 1) or 1

    result = selectors.catalog_search(
        q=q,
        field_id=field_id,
        level=level,
        online_level=online_level,
        agency_code=agency,
        page=requested_page,
        page_size=PER_PAGE,
    )
    # A paginator over a range of the right length: the page links and "page x/y" without a second count.
    paginator = Paginator(range(result.total), result.page_size)
    page_obj = paginator.get_page(result.page)
    page_obj.object_list = result.items  # type: ignore[assignment]
    facets = result.facets
    field_value = str(field_id) if field_id is not None else ""
    context = {
        "q": q,
        "field_value": field_value,
        "level": level,
        "online_level": online_level,
        "agency": agency,
        "page_obj": page_obj,
        "corrections": sorted(result.corrections.items()),
        "page_range": list(paginator.get_elided_page_range(page_obj.number, on_each_side=1, on_ends=1)),
        "field_options": _options(facets.get("field", []), field_value),
        "level_options": _options(facets.get("level", []), level),
        "online_options": _options(facets.get("online_level", []), online_level),
        "agency_options": _options(facets.get("agency", []), agency),
    }
    fragment = _is_results_request(request)
    response = render(
        request,
        "procedures/_procedure_results.html" if fragment else "procedures/procedure_list.html",
        {**context, "fragment": fragment},
    )
    # The same URL answers with a fragment or a whole page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    can_edit = selectors.user_edits_catalog(request.user)
    detail = selectors.procedure_detail(code, with_problems=can_edit)
    if detail is None:
        raise Http404("Không có thủ tục này trong danh mục.")
    return render(
        request,
        "procedures/procedure_detail.html",
        {
            "detail": detail,
            "procedure": detail.procedure,
            "version": detail.version,
            "can_edit": can_edit,
            # Where the online submission will live (the dossiers app); until then the link may 404.
            "submit_url": f"/nop-ho-so/{detail.procedure.code}/",
        },
    )
