"""Citizen-facing pages (*cổng công dân*). No models: reads go through the lower apps' selectors."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from tinhso.accounts import selectors
from tinhso.procedures import selectors as procedure_selectors


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """What Tỉnh Số is, with the province's headline figures (two queries: the procedure count rides on
    the province's)."""
    province = (
        selectors.province_search()
        .filter(code=settings.TINHSO_PROVINCE_CODE)
        .annotate(
            commune_count=Count("communes"), procedure_count=procedure_selectors.procedure_count_subquery()
        )
        .first()
    )
    context = {
        "province": province,
        "commune_count": province.commune_count if province else 0,
        "procedure_count": province.procedure_count if province else 0,
        "agency_count": selectors.agency_search().count(),
    }
    return render(request, "portal/home.html", context)
