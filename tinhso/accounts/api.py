"""Public directory API (administrative units, agencies) and the officials list for officials."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import django_auth

from tinhso.accounts import selectors
from tinhso.accounts.models import Agency, Province
from tinhso.accounts.schemas import AgencyOut, CommuneOut, FormerCommuneOut, OfficialOut, ProvinceOut

router = Router(tags=["accounts"])


class Page(PageNumberPagination):
    class Input(Schema):
        page: int = 1
        page_size: int = 50

    def paginate_queryset(self, queryset, pagination, request=None, **params):
        # Clamp instead of failing: a client asking for 10,000 rows gets the maximum.
        pagination.page = max(1, pagination.page)
        self.page_size = max(1, min(pagination.page_size, 200))
        return super().paginate_queryset(queryset, pagination, request=request, **params)


class SearchParams(Schema):
    q: str = ""


class CommuneParams(Schema):
    q: str = ""
    province: str = ""


class AgencyParams(Schema):
    q: str = ""
    kind: str = ""
    parent: str = ""


@router.get("/provinces", response=list[ProvinceOut], summary="Tỉnh, thành phố / Provinces")
def province_list(request: HttpRequest, params: Query[SearchParams]):
    return selectors.province_search(q=params.q)


@router.get("/provinces/{code}", response=ProvinceOut)
def province_detail(request: HttpRequest, code: str):
    return get_object_or_404(Province, code=code)


@router.get("/communes", response=list[CommuneOut], summary="Xã, phường / Communes")
@paginate(Page)
def commune_list(request: HttpRequest, params: Query[CommuneParams]):
    return selectors.commune_search(q=params.q, province_code=params.province)


@router.get("/communes/{code}", response=CommuneOut)
def commune_detail(request: HttpRequest, code: str):
    return get_object_or_404(selectors.commune_search(), code=code)


@router.get(
    "/former-communes/{old_code}",
    response=list[FormerCommuneOut],
    summary="Xã cũ → xã mới / resolve a pre-2025 commune code",
)
def former_commune_resolve(request: HttpRequest, old_code: str):
    rows = selectors.former_commune_resolve(old_code)
    if not rows:
        from ninja.errors import HttpError

        raise HttpError(404, "Không tìm thấy mã xã cũ này / unknown former commune code")
    return rows


@router.get("/agencies", response=list[AgencyOut], summary="Cơ quan / Agencies")
@paginate(Page)
def agency_list(request: HttpRequest, params: Query[AgencyParams]):
    # Only the columns the schema shows: full rows of three models per item cost ~10 % more calls per request.
    return selectors.agency_search(q=params.q, kind=params.kind, parent_code=params.parent).only(
        "code", "name", "kind", "path", "parent__code", "commune__code"
    )


@router.get("/agencies/{code}", response=AgencyOut)
def agency_detail(request: HttpRequest, code: str):
    return get_object_or_404(Agency.objects.select_related("parent", "commune"), code=code, is_active=True)


@router.get("/officials", response=list[OfficialOut], auth=django_auth, summary="Cán bộ / Officials (scoped)")
@paginate(Page)
def official_list(request: HttpRequest):
    return selectors.officials_visible_to(request.user).prefetch_related("groups")  # type: ignore[arg-type]
