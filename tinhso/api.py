from __future__ import annotations

from ninja import NinjaAPI

from tinhso.accounts.api import router as accounts_router

api = NinjaAPI(
    title="Tỉnh Số API",
    version="1",
    description=(
        "API của Tỉnh Số / the Tỉnh Số API: đơn vị hành chính, cơ quan / administrative units, agencies."
    ),
    urls_namespace="api",
)
api.add_router("/", accounts_router)
