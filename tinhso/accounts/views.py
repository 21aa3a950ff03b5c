"""Public pages: browsable lists of communes (*xã, phường*) and agencies (*cơ quan, đơn vị*).

No login needed: administrative units and agency names and codes are public information. Each list is a
plain GET form (works without JavaScript); with htmx the form asks for the results region only (the request
carries `HX-Request`) and the page swaps it in place while the user types.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from tinhso.accounts import selectors
from tinhso.accounts.models import Agency

PER_PAGE = 50
# Longer queries are cut rather than refused: no name is this long, and it bounds the work per request.
MAX_QUERY_LENGTH = 100


def _query(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> dict[str, Any]:
    """Paginate (an invalid or out-of-range page number shows the nearest page rather than an error)."""
    paginator = Paginator(queryset, PER_PAGE)
    page: Page[Any] = paginator.get_page(request.GET.get("page"))
    return {
        "page_obj": page,
        "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)),
    }


def _is_results_request(request: HttpRequest) -> bool:
    """An htmx request for the results region only (not a history restore, which needs the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _render_list(
    request: HttpRequest, *, page_template: str, results_template: str, context: dict[str, Any]
) -> HttpResponse:
    fragment = _is_results_request(request)
    # A fragment also carries the result count, swapped out of band into the page's status line.
    response = render(
        request, results_template if fragment else page_template, {**context, "fragment": fragment}
    )
    # The same URL answers with a fragment or a whole page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
def commune_list(request: HttpRequest) -> HttpResponse:
    q = _query(request)
    # Absent means "this deployment's province"; present but empty means "all provinces".
    province_code = request.GET.get("province", settings.TINHSO_PROVINCE_CODE).strip()
    communes = selectors.commune_search(q=q, province_code=province_code)
    context = {"q": q, "province_code": province_code, **_page(request, communes)}
    if not _is_results_request(request):
        context["provinces"] = list(selectors.province_search().only("code", "name"))
    return _render_list(
        request,
        page_template="accounts/commune_list.html",
        results_template="accounts/_commune_results.html",
        context=context,
    )


@require_safe
def agency_list(request: HttpRequest) -> HttpResponse:
    q = _query(request)
    kind = request.GET.get("kind", "").strip()
    if kind not in Agency.Kind.values:
        kind = ""
    agencies = selectors.agency_search(q=q, kind=kind)
    context = {"q": q, "kind": kind, "kinds": Agency.Kind.choices, **_page(request, agencies)}
    return _render_list(
        request,
        page_template="accounts/agency_list.html",
        results_template="accounts/_agency_results.html",
        context=context,
    )


@require_safe
def agency_detail(request: HttpRequest, code: str) -> HttpResponse:
    agency = get_object_or_404(selectors.agency_search().select_related("commune__province"), code=code)
    # The materialised path ("/1/5/9/") names every ancestor: the whole breadcrumb is one query.
    ancestor_ids = [int(part) for part in agency.path.strip("/").split("/")[:-1] if part]
    ancestors = list(Agency.objects.filter(pk__in=ancestor_ids).only("code", "name", "path").order_by("path"))
    children = list(agency.children.filter(is_active=True).order_by("path"))
    return render(
        request,
        "accounts/agency_detail.html",
        {"agency": agency, "ancestors": ancestors, "children": children},
    )
