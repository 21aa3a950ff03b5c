from __future__ import annotations

from ninja import NinjaAPI

from tinhso.accounts.api import router as accounts_router
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
