"""Citizen-facing pages (*cổng công dân*). No models: reads go through the lower apps' selectors."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from tinhso.accounts import selectors


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """What Tỉnh Số is, with the province's headline figures (two queries)."""
    province = (
        selectors.province_search()
        .filter(code=settings.TINHSO_PROVINCE_CODE)
        .annotate(commune_count=Count("communes"))
        .first()
    )
    context = {
        "province": province,
        "commune_count": province.commune_count if province else 0,
        "agency_count": selectors.agency_search().count(),
    }
    return render(request, "portal/home.html", context)
