"""The URLconf of `intake_cost` (`bench/intake_cost.py`): the product's own, plus one route the product does
not have, `POST /bench-floor/write`, the cheapest authenticated write it could serve — the product's bearer
token check (`TokenAuth`: the token and its user read in one statement), a JSON body parsed and validated by
django-ninja, one row inserted in a transaction, a JSON answer. It is mounted only in the runner's process,
only for that benchmark (`override_settings(ROOT_URLCONF=…)`): the server under test never serves it.

Imported only once Django is set up (the route's schema and the product's URLconf need it)."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.urls import include, path
from ninja import NinjaAPI, Schema

from tinhso.accounts.api_auth import TokenAuth

FLOOR_TABLE = "bench_floor"
FLOOR_PATH = "/bench-floor/write"

floor_api = NinjaAPI(urls_namespace="bench_floor", docs_url=None, openapi_url=None)


class FloorIn(Schema):
    name: str
    id_number: str


@floor_api.post("/write", auth=TokenAuth(), response={201: dict[str, Any]})
def floor_write(request: HttpRequest, body: FloorIn) -> tuple[int, dict[str, Any]]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FLOOR_TABLE} (name, id_number, at) VALUES (%s, %s, now()) RETURNING id",  # noqa: S608
            [body.name, body.id_number],
        )
        (row_id,) = cursor.fetchone()
    return 201, {"id": row_id, "name": body.name}


urlpatterns = [
    path("bench-floor/", floor_api.urls),
    path("", include("tinhso.urls")),
]
