from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from tinhso.accounts.api import router as accounts_router
from tinhso.core.api_errors import NOT_FOUND, bilingual_errors, bilingual_message
from tinhso.dossiers.api import router as dossiers_router
from tinhso.dossiers.rating_api import router as rating_router
from tinhso.edocs.api import router as edocs_router
from tinhso.procedures.api import router as procedures_router

api = NinjaAPI(
    title="Tỉnh Số API",
    version="1",
    description=(
        "API của Tỉnh Số / the Tỉnh Số API: đơn vị hành chính, cơ quan, thủ tục hành chính / "
        "administrative units, agencies, the administrative procedure catalog, dossiers."
    ),
    urls_namespace="api",
)
api.add_router("/", accounts_router)
api.add_router("/", procedures_router)
api.add_router("/", dossiers_router)
api.add_router("/", edocs_router)
api.add_router("/", "tinhso.edocs.verify_api.router")
api.add_router("/", rating_router)
api.add_router("/", "tinhso.payments.api.router")


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """422, pydantic's errors with their messages in both languages (core/api_errors.py)."""
    return api.create_response(request, {"detail": bilingual_errors(exc.errors)}, status=422)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's default answer, with its own English refusals in both languages (core/api_errors.py)."""
    return api.create_response(request, {"detail": bilingual_message(str(exc))}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    """ninja's answer to Django's Http404 (`get_object_or_404`), in both languages."""
    return api.create_response(request, {"detail": NOT_FOUND}, status=404)
