"""Rating API: `GET` and `POST /api/dossiers/{code}/rating` (bearer token or session + CSRF).

The same rules as the pages (`tinhso.dossiers.ratings`): the dossier is loaded through
`selectors.dossier_get_for_user` (unknown and not yours look the same: 404); `online` is for the
applicant's account, `counter_form` for a counter officer of the unit, `kiosk` needs the token a scan at
the unit's kiosk issued. Errors: 400 an answer out of range, 403 the channel is not yours, 404, 409 not
ratable now or rated already.

Mounted by `tinhso/api.py` (`api.add_router("/", rating_router)`).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from tinhso.accounts.api_auth import API_AUTH
from tinhso.accounts.models import User
from tinhso.accounts.schemas import ErrorOut
from tinhso.dossiers import ratings, selectors
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, DossierRating

router = Router(tags=["ratings"], auth=API_AUTH)

NOT_FOUND = "Không tìm thấy hồ sơ / no such dossier"
NO_RATING = "Hồ sơ chưa được đánh giá / the dossier has not been rated"
ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class RatingIn(Schema):
    """Scores 0–2 for TT 01/2018 Art. 13 indicators 1 (`time`), 3 (`contacts`), 4 (`agencies`), 7
    (`attitude`); `overall` and `ease_of_use` one of very_satisfied, satisfied, not_satisfied."""

    time: int
    contacts: int
    agencies: int
    attitude: int
    overall: str
    ease_of_use: str = ""
    comment: str = ""
    channel: str = "online"
    kiosk_token: str | None = None


class RatingOut(Schema):
    dossier: str
    time: int
    time_system: int | None
    contacts: int
    agencies: int
    attitude: int
    overall: str
    ease_of_use: str
    comment: str
    channel: str
    rated_at: dt.datetime


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _load(request: HttpRequest, code: str) -> Dossier:
    try:
        return selectors.dossier_get_for_user(_user(request), code)
    except (selectors.DossierNotFound, PermissionDenied):
        raise HttpError(404, NOT_FOUND) from None


def _out(d: Dossier, r: DossierRating) -> RatingOut:
    return RatingOut(
        dossier=d.code,
        time=r.time_score,
        time_system=r.time_score_system,
        contacts=r.contacts_score,
        agencies=r.agencies_score,
        attitude=r.attitude_score,
        overall=r.overall,
        ease_of_use=r.ease_of_use,
        comment=r.comment,
        channel=r.channel,
        rated_at=r.rated_at,
    )


@router.get("/dossiers/{code}/rating", response={200: RatingOut, **ERRORS}, summary="A dossier's rating")
def rating_get(request: HttpRequest, code: str) -> RatingOut:
    d = _load(request, code)
    r = DossierRating.objects.filter(dossier=d).first()
    if r is None:
        raise HttpError(404, NO_RATING)
    return _out(d, r)


@router.post("/dossiers/{code}/rating", response={201: RatingOut, **ERRORS}, summary="Rate a dossier, once")
def rating_post(request: HttpRequest, code: str, payload: RatingIn) -> Status:
    d = _load(request, code)
    answers = ratings.RatingAnswers(
        time=payload.time,
        contacts=payload.contacts,
        agencies=payload.agencies,
        attitude=payload.attitude,
        overall=payload.overall,
        ease_of_use=payload.ease_of_use,
        comment=payload.comment,
    )
    try:
        r = ratings.rating_submit(
            dossier=d,
            actor=_user(request),
            answers=answers,
            channel=payload.channel,
            kiosk_token=payload.kiosk_token,
        )
    except tr.DossierError as exc:
        raise HttpError(exc.status_code, exc.message) from None
    return Status(201, _out(d, r))
