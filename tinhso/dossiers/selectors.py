"""Reads of dossiers, with the permission scoping in one place.

- Officials see the dossiers received by their agency or a unit under it; system administrators all of
  them; a citizen only the dossiers they applied for (`applicant_user`).
- `dossier_get_for_user` is the permission-checked loader every page and endpoint uses (STYLE.md rule 6).
- Worklists (*danh sách công việc*): what each role has to do, with counts, in one query for the counts.
  A page of a worklist as the API answers it (`worklist_page_json`) is kept in the shared cache under the
  stamp of the user's unit, which every saved dossier of that unit or a unit under it renews after its
  commit (`dossier_saved`), and under the minute: no saved dossier is missed, and the clock that moves
  dossiers from "due soon" to "overdue" is at most a minute behind. What does not save a dossier — a
  dossier deleted in the admin, an official or a procedure renamed, a unit moved, a day off decided —
  shows within that minute. Without a shared cache (`CACHE_URL`) pages are not kept: stamps per process
  would miss the other processes' changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, router, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import Agency, Role, User
from tinhso.accounts.selectors import user_sees_everything
from tinhso.core import rows
from tinhso.core import working_time as wt
from tinhso.core.cache import kept_add, kept_get, kept_set, kept_set_many
from tinhso.core.calendar import work_calendar
from tinhso.dossiers.models import (
    CONSULTATION_CLOSED,
    NATIONAL_STATUS,
    Consultation,
    Dossier,
    Status,
    applicant_named,
    name_index_words,
)

RUNNING = (Status.RECEIVED, Status.IN_PROCESS)
# Every worklist holds dossiers in one of these states (see `_conditions`): the counts look at them alone,
# which the (agency, status, due_at) index finds without reading the closed dossiers, nearly all of a unit's.
WORKLIST_STATES = (Status.SUBMITTED, *RUNNING, Status.PROCESSED, Status.SUPPLEMENT, Status.PAUSED)


class DossierNotFound(LookupError):
    pass


def dossiers_visible_to(user: User) -> QuerySet[Dossier]:
    qs = Dossier.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user_sees_everything(user):
        return qs
    if user.is_official:
        # An official with no role (the counter's rating kiosk account) sees no dossier through lists.
        if user.agency is None or not user.roles:
            return qs.none()
        return qs.filter(agency__in=Agency.objects.subtree_of(user.agency).values("pk"))
    return qs.filter(applicant_user=user)


# Search (*tra cứu hồ sơ*), the counter's first question when a citizen comes back.
SEARCH_MIN = 3  # characters of a name to search by (a code or an ID number is looked up whole)
SEARCH_LIMIT = 200  # dossiers a search shows, the newest; beyond them the official narrows the query
CODE_PREFIX_MIN = 13  # the start of a code searched by: at least the unit's identifier, "000.00.30.H60"
# A name search over this many units or more may read the name's words index (PostgreSQL), for a name whose
# words together are rarer than SEARCH_COMMON_SHARE of the dossiers; a commoner one is read newest first and
# stops at the SEARCH_LIMIT + 1st match (bench/README.md, `dossier_search_province`).
SEARCH_MANY_UNITS = 10
SEARCH_COMMON_SHARE = 0.003
_WORD_SHARES_SECONDS = 600.0
_word_shares: tuple[float, dict[str, float]] | None = None


@dataclass(frozen=True)
class SearchResult:
    """What a search found among the dossiers the user may see: at most SEARCH_LIMIT, newest first."""

    rows: QuerySet[Dossier]
    count: int
    more: bool  # more than SEARCH_LIMIT matched: the newest are the ones shown
    name_refused: bool  # a query without a digit, too short to be searched as a name


def search_exact(user: User, query: str) -> str | None:
    """The code of the dossier the user may see whose code the query is, whole and case aside."""
    query = query.strip()
    if not any(ch.isdigit() for ch in query) or "\x00" in query:  # every code has digits
        return None
    return dossiers_visible_to(user).filter(code=query.upper()).values_list("code", flat=True).first()


def _name_word_shares() -> dict[str, float]:
    """PostgreSQL's statistics of the names' words: the share of the dossiers whose name has each common
    word (the words index's `most_common_elems`, gathered by ANALYZE), read at most every
    _WORD_SHARES_SECONDS per process; empty where there are none (SQLite, a table never analysed)."""
    global _word_shares
    now = time.monotonic()
    if _word_shares is not None and now - _word_shares[0] < _WORD_SHARES_SECONDS:
        return _word_shares[1]
    shares: dict[str, float] = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
                "WHERE schemaname = current_schema() AND tablename = 'dossier_name_words'"
            )
            found = cursor.fetchone()
        if found is not None and found[0] is not None:
            shares = dict(zip(found[0], found[1], strict=False))  # the frequencies end with 3 figures more
    _word_shares = (now, shares)
    return shares


def _rare_name(query: str) -> bool:
    """Whether the dossiers whose name has words starting with each of the query's are fewer than
    SEARCH_COMMON_SHARE, by the words' statistics (the words taken as independent; a word no common word
    starts with makes the name rare)."""
    shares = _name_word_shares()
    if not shares:
        return False
    estimate = 1.0
    for word in name_index_words(query):
        estimate *= min(1.0, sum(share for lexeme, share in shares.items() if lexeme.startswith(word)))
    return estimate < SEARCH_COMMON_SHARE


def _many_units(user: User) -> bool:
    if user_sees_everything(user):
        return True
    if not user.is_official or user.agency is None:
        return False  # a citizen's own dossiers
    return Agency.objects.subtree_of(user.agency)[:SEARCH_MANY_UNITS].count() >= SEARCH_MANY_UNITS


def search_keys(user: User, query: str) -> QuerySet[Dossier, int] | None:
    """The statement of `search`: the keys of the matching dossiers the user may see, newest first (None:
    the query is searched by nothing).

    - a query with a digit is an ID number, matched whole (spaces aside), or — CODE_PREFIX_MIN characters or
      more — the start of a code;
    - any other query of SEARCH_MIN characters or more is a name: every word of it starts a word of the
      applicant's name, diacritics and case aside (`models.applicant_named`). A name with a digit in it (a
      business's, rarely) is found by its ID number or its code instead.

    On PostgreSQL the indexes of migration 0007 answer it without reading the dossiers' rows: the ID
    number's; for a name within a unit (agency, the name's copy); over SEARCH_MANY_UNITS units or more,
    (submitted_at, id) read newest first for a common name, and the name's words (GIN) for a rare one —
    chosen here, by the words' statistics (`_rare_name`): given both conditions the planner takes them for
    independent, underestimates a common name's matches and picks the words' index for it too."""
    query = query.strip()
    if not query or "\x00" in query:  # PostgreSQL refuses the character in a parameter
        return None
    if any(ch.isdigit() for ch in query):
        condition = Q(applicant_id_number=query.replace(" ", ""))
        if len(query) >= CODE_PREFIX_MIN:
            condition |= Q(code__startswith=query.upper())
    else:
        if len(query) < SEARCH_MIN:
            return None
        words_index = connection.vendor == "postgresql" and _many_units(user) and _rare_name(query)
        named = applicant_named(query, by_words_index=words_index)
        if named is None:
            return None
        condition = named
    return (
        dossiers_visible_to(user)
        .filter(condition)
        .order_by("-submitted_at", "-id")
        .values_list("pk", flat=True)
    )


def search(user: User, query: str) -> SearchResult:
    """The dossiers the user may see that the query finds (`search_keys`), in whatever state (a citizen back
    with a receipt, a returned dossier complained about), newest first, at most SEARCH_LIMIT. Their keys are
    read in one statement, the rows by key after it."""
    keys_query = search_keys(user, query)
    if keys_query is None:
        refused = bool(query.strip()) and "\x00" not in query and not any(ch.isdigit() for ch in query)
        return SearchResult(rows=Dossier.objects.none(), count=0, more=False, name_refused=refused)
    keys = list(keys_query[: SEARCH_LIMIT + 1])
    more = len(keys) > SEARCH_LIMIT
    keys = keys[:SEARCH_LIMIT]
    found = Dossier.objects.filter(pk__in=keys).order_by("-submitted_at", "-id")  # the same order
    return SearchResult(rows=found, count=len(keys), more=more, name_refused=False)


@dataclass(frozen=True)
class KnownApplicant:
    """What the province already knows of a person by their ID number, for the counter's form."""

    name: str
    phone: str
    email: str
    address: str
    source: str  # "account": their citizen account; "dossier": the newest dossier the official may see
    dossier_code: str  # that dossier's (the address's source), if any


def applicant_known(user: User, id_number: str) -> KnownApplicant | None:
    """The person with this ID number as the counter officer `user` may know them: their active citizen
    account whose number has been verified (VNeID, or an official against the card: a number typed at
    sign-up is checked for its form only, and another could have typed it) for the name, phone and e-mail;
    the address and what the account lacks from the newest dossier `user` may see with that applicant's
    number; None when neither exists. The caller limits and audits the lookups (`services`)."""
    id_number = id_number.strip()
    if not id_number or "\x00" in id_number:
        return None
    account = (
        User.objects.filter(
            kind=User.Kind.CITIZEN, is_active=True, national_id=id_number, national_id_verified=True
        )
        .only("full_name", "phone", "email")
        .first()
    )
    last = (
        dossiers_visible_to(user)
        .filter(applicant_id_number=id_number, applicant_kind="citizen")
        .order_by("-submitted_at", "-id")
        .values("code", "applicant_name", "applicant_phone", "applicant_email", "applicant_address")
        .first()
    )
    if account is None and last is None:
        return None
    d: dict[str, Any] = dict(last) if last else {}
    return KnownApplicant(
        name=(account.full_name if account else "") or d.get("applicant_name", ""),
        phone=(account.phone if account else "") or d.get("applicant_phone", ""),
        email=(account.email if account else "") or d.get("applicant_email", ""),
        address=d.get("applicant_address", ""),
        source="account" if account is not None else "dossier",
        dossier_code=d.get("code", ""),
    )


FORM_ROWS_MAX = 200  # rows of a dossier's form data a page shows
FORM_VALUE_MAX = 1000  # characters of one value a page shows
FORM_FIELD_MAX = 300  # characters of one field's name (its path) a page shows


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("Có") if value else _("Không"))
    return str(value)


def form_rows(data: Any) -> list[tuple[str, str]]:
    """A dossier's form data (`Dossier.form_data`: the e-form as the portal, a kiosk or the national
    portal's adapter sent it) as (field, value) rows for a page: nested fields joined "a › b", lists of
    plain values joined by commas, yes/no in words, empty values left out; at most FORM_ROWS_MAX rows, each
    field at most FORM_FIELD_MAX characters and each value FORM_VALUE_MAX (the API takes at most
    `schemas.FORM_DATA_MAX` bytes of it). The API gives the data as it was received. An object's fields
    come in the order the database keeps them (PostgreSQL's jsonb orders keys its own way: a client whose
    order matters sends a list, which keeps it)."""
    found: list[tuple[str, str]] = []

    def walk(value: Any, path: str) -> None:
        if len(found) >= FORM_ROWS_MAX or value is None or value == "":
            return
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path} › {key}" if path else str(key))
        elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            for i, inner in enumerate(value, start=1):
                walk(inner, f"{path} › {i}" if path else str(i))
        else:
            plain = value if isinstance(value, list) else [value]
            text = ", ".join(_form_value(v) for v in plain if v is not None and v != "")
            if text:
                found.append((_cut(path or "—", FORM_FIELD_MAX), _cut(text, FORM_VALUE_MAX)))

    walk(data, "")
    return found


def dossier_get_for_user(user: User, code: str) -> Dossier:
    """The dossier if the user may see it. An unknown code and a forbidden one look the same to the
    caller's caller (404), so codes cannot be probed; the distinction is kept for logs."""
    if "\x00" in code:  # no such code; PostgreSQL refuses the character in a parameter (a 500, not a 404)
        raise DossierNotFound(code)
    # One hand-built statement (core.rows: what `select_related` gives, without compiling the ORM's query on
    # every page and API read; prepared on PostgreSQL).
    found = rows.select(
        Dossier,
        {"code": code},
        related=(
            "agency",
            "agency__parent",
            "agency__commune",
            "procedure",
            "procedure_version",
            "holder",
            "current_step",
            "received_by",
        ),
    )
    if not found:
        raise DossierNotFound(code)
    d = found[0]
    if not dossiers_visible_to(user).filter(pk=d.pk).exists():
        raise PermissionDenied
    return d


@dataclass(frozen=True)
class Worklist:
    key: str
    label: str | Promise
    roles: tuple[str, ...]  # the roles the list is meant for; empty: every official


WORKLISTS: tuple[Worklist, ...] = (
    Worklist("new", _("Chờ tiếp nhận"), (Role.COUNTER_OFFICER,)),
    Worklist("mine", _("Tôi đang xử lý"), ()),
    Worklist("to_assign", _("Chờ phân công"), (Role.DEPARTMENT_HEAD,)),
    Worklist("to_approve", _("Chờ phê duyệt"), (Role.AGENCY_LEADER,)),
    Worklist("to_return", _("Chờ trả kết quả"), (Role.COUNTER_OFFICER,)),
    Worklist("due_today", _("Đến hạn hôm nay"), ()),
    Worklist("due_soon", _("Đến hạn trong 2 ngày làm việc"), ()),
    Worklist("overdue", _("Quá hạn"), ()),
    Worklist("supplement", _("Chờ bổ sung"), ()),
    Worklist("paused", _("Tạm dừng (nghĩa vụ tài chính)"), ()),
)
WORKLIST_KEYS = tuple(w.key for w in WORKLISTS)


@dataclass(frozen=True)
class _Bounds:
    now: dt.datetime
    end_of_today: dt.datetime
    end_of_second_working_day: dt.datetime


def _bounds(now: dt.datetime, cal: wt.WorkCalendar) -> _Bounds:
    local = timezone.localtime(now, cal.tz)
    end_of_today = local.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    # "Due within 2 working days": by the end of the second working day counting today when it is one.
    day = local.date()
    if not cal.is_working_day(day):
        day = cal.next_working_day(day)
    second = cal.next_working_day(day)
    end_second = dt.datetime.combine(second + dt.timedelta(days=1), dt.time(0), tzinfo=cal.tz)
    return _Bounds(now=now, end_of_today=end_of_today, end_of_second_working_day=end_second)


def _conditions(user: User, b: _Bounds) -> dict[str, Q]:
    running = Q(status__in=RUNNING)
    return {
        "new": Q(status=Status.SUBMITTED),
        "mine": Q(holder=user, status__in=[*RUNNING, Status.PROCESSED]),
        # A department head holding a specialist's step has to give it to a specialist.
        "to_assign": Q(holder=user, status__in=RUNNING, current_step__role=Role.SPECIALIST)
        if user.has_role(Role.DEPARTMENT_HEAD)
        else Q(pk__in=[]),
        "to_approve": Q(holder=user, status=Status.IN_PROCESS, current_step__role=Role.AGENCY_LEADER),
        "to_return": Q(status=Status.PROCESSED),
        "due_today": running & Q(due_at__gte=b.now, due_at__lt=b.end_of_today),
        "due_soon": running & Q(due_at__gte=b.now, due_at__lt=b.end_of_second_working_day),
        "overdue": running & Q(due_at__lt=b.now),
        "supplement": Q(status=Status.SUPPLEMENT),
        "paused": Q(status=Status.PAUSED),
    }


def worklist(
    user: User, key: str, *, now: dt.datetime | None = None, cal: wt.WorkCalendar | None = None
) -> QuerySet[Dossier]:
    """One worklist of the user, most urgent first (by due time, then by reception)."""
    if key not in WORKLIST_KEYS:
        raise ValueError(f"unknown worklist {key!r}")
    b = _bounds(now or timezone.now(), cal or work_calendar())
    qs = dossiers_visible_to(user).filter(_conditions(user, b)[key])
    order = ["submitted_at", "pk"] if key == "new" else ["due_at", "pk"]
    return qs.select_related("procedure", "procedure_version", "holder", "agency").order_by(*order)


def worklist_counts(
    user: User, *, now: dt.datetime | None = None, cal: wt.WorkCalendar | None = None
) -> dict[str, int]:
    """The size of every worklist, by the same rules as `_conditions` (`test_worklists` checks both agree on
    every list), counted by the database: one aggregate over the unit's open dossiers, which the
    (agency, status, due_at, holder) index answers alone, and — when the user holds any — one over the
    dossiers they hold, joined to their current steps' roles. Both statements are written out: compiling ten
    filtered aggregates through the ORM cost more than running them."""
    b = _bounds(now or timezone.now(), cal or work_calendar())
    counts = dict.fromkeys(WORKLIST_KEYS, 0)
    if not user.is_authenticated or not user.is_active:
        return counts
    running = ", ".join(["%s"] * len(RUNNING))
    # (list, condition, its parameters): the rules of `_conditions`, on the columns the index holds.
    sums: list[tuple[str, str, list[Any]]] = [
        ("new", "d.status = %s", [Status.SUBMITTED]),
        ("to_return", "d.status = %s", [Status.PROCESSED]),
        ("supplement", "d.status = %s", [Status.SUPPLEMENT]),
        ("paused", "d.status = %s", [Status.PAUSED]),
        ("overdue", f"d.status IN ({running}) AND d.due_at < %s", [*RUNNING, b.now]),
        (
            "due_soon",
            f"d.status IN ({running}) AND d.due_at >= %s AND d.due_at < %s",
            [*RUNNING, b.now, b.end_of_second_working_day],
        ),
        (
            "due_today",
            f"d.status IN ({running}) AND d.due_at >= %s AND d.due_at < %s",
            [*RUNNING, b.now, b.end_of_today],
        ),
        ("mine", f"d.holder_id = %s AND d.status IN ({running}, %s)", [user.pk, *RUNNING, Status.PROCESSED]),
    ]
    params: list[Any] = [p for _key, _cond, ps in sums for p in ps]
    where = f"d.status IN ({', '.join(['%s'] * len(WORKLIST_STATES))})"
    params += WORKLIST_STATES
    if not user_sees_everything(user):
        if not user.is_official or user.agency is None or not user.roles:
            return counts
        # The subtree by its materialised path ("/1/90/": primary keys and slashes, nothing LIKE reads).
        where += f" AND d.agency_id IN (SELECT id FROM {Agency._meta.db_table} WHERE path LIKE %s)"  # noqa: S608
        params.append(user.agency.path + "%")
    columns = ", ".join(f"COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0)" for _k, cond, _p in sums)
    # Table and column names from the models, every value a parameter.
    sql = f"SELECT {columns} FROM {Dossier._meta.db_table} d WHERE {where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    counts.update(zip((key for key, _c, _p in sums), (int(v) for v in row), strict=True))
    if counts["mine"]:
        counts["to_assign"], counts["to_approve"] = _held_by_role(user)
    return counts


def _held_by_role(user: User) -> tuple[int, int]:
    """Of the running dossiers the user holds: those at a specialist's step (a department head has to assign
    them) and those in process at the leader's step (to approve)."""
    held = Dossier.objects.filter(holder=user, status__in=RUNNING).values_list("status", "current_step__role")
    to_assign = to_approve = 0
    head = user.has_role(Role.DEPARTMENT_HEAD)
    for status, role in held:
        to_assign += head and role == Role.SPECIALIST
        to_approve += status == Status.IN_PROCESS and role == Role.AGENCY_LEADER
    return to_assign, to_approve


def worklists_for(user: User) -> list[Worklist]:
    """The worklists shown to the user: those of their roles and the common ones."""
    return [w for w in WORKLISTS if not w.roles or user.has_role(*w.roles)]


# --- The kept worklist pages ----------------------------------------------------------------------------

MAX_PAGE_SIZE = 100
# Pages past this one are read every time, not kept: a made-up page number must not make a page to keep.
MAX_KEPT_PAGE = 1_000
_STAMP = "dossiers:stamp:{}"  # per agency primary key, and "*" for the province (who sees everything)


def _stamp_keys(agency_path: str) -> tuple[str, ...]:
    """The stamps a change to a dossier of the agency at `agency_path` renews: that agency's, every unit's
    above it (the path's primary keys) and the province's."""
    return (*(_STAMP.format(pk) for pk in agency_path.strip("/").split("/") if pk), _STAMP.format("*"))


def _renew(keys: tuple[str, ...]) -> None:
    """New stamps for these keys: no worklist page kept under the old ones is read again."""
    kept_set_many(dict.fromkeys(keys, uuid.uuid4().hex), timeout=None)


class _Renewal:
    """The stamps' renewal after a transaction that saved a dossier commits (registered with `on_commit`).
    Until then it is pending: `_stamp` finds it among the connection's commit callbacks (Django drops it
    when the transaction, or the savepoint it was registered under, rolls back) and gives a read in the same
    transaction, which sees the change, a stamp of its own: the shared one and this renewal's `private`
    part, which no other transaction uses — nothing is written to the cache before the commit, and a page
    kept from rows that are then rolled back is never read by anyone else."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        # Django logs a failing robust callback by its `__qualname__`, which an instance lacks: without it
        # the logging itself raised, past the callbacks still to run (the payments' hooks).
        self.__qualname__ = "dossiers.selectors._Renewal"
        self.keys = keys
        self.private = uuid.uuid4().hex
        self.read = False  # a page was read under `private` since: a later save needs a renewal of its own

    def __call__(self) -> None:
        _renew(self.keys)


def _pending_renewals(using: str | None = None) -> list[_Renewal]:
    current = transaction.get_connection(using)  # the connection `on_commit` registers with
    if not current.in_atomic_block:
        return []
    return [func for _sids, func, _robust in current.run_on_commit if isinstance(func, _Renewal)]


def dossier_saved(sender: Any, instance: Dossier, using: str | None = None, **kwargs: Any) -> None:
    """`post_save` of a dossier (connected in `DossiersConfig.ready`): the stamps are renewed after the
    commit (outside a transaction, `on_commit` runs it at once). A page read by another request before then
    shows the dossiers as they were, kept under the stamp that the renewal replaces; a read in the same
    transaction gets a stamp of its own (`_Renewal`). Nothing is written to the cache while the transaction
    holds its locks (a counter reception holds its unit's code counter), and saves of one unit's dossiers
    share one renewal until a page is read in between."""
    if settings.WORKLIST_CACHE_SECONDS <= 0:
        return
    if Dossier.agency.is_cached(instance):
        path = instance.agency.path
    else:
        path = Agency.objects.filter(pk=instance.agency_id).values_list("path", flat=True).first() or ""
    keys = _stamp_keys(path)
    if any(r.keys == keys and not r.read for r in _pending_renewals(using)):
        return  # renewed after the commit already, and no page read since
    # robust: a failure here must not keep the callbacks after it (the payments' hooks) from running.
    transaction.on_commit(_Renewal(keys), using=using, robust=True)


def _stamp(user: User) -> str:
    key = _STAMP.format("*" if user_sees_everything(user) else user.agency_id)
    stamp = kept_get(key)
    if stamp is None:
        stamp = uuid.uuid4().hex
        if not kept_add(key, stamp, timeout=None):
            stamp = kept_get(key) or stamp
    # A dossier this user's pages show changed in this transaction: a stamp of this transaction's own.
    private = []
    for renewal in _pending_renewals(router.db_for_read(Dossier)):
        if key in renewal.keys:
            renewal.read = True
            private.append(renewal.private)
    return "|".join([str(stamp), *private])


def worklist_page_json(user: User, key: str, *, page: int, page_size: int) -> bytes:
    """A page of one of an official's worklists with the size of every list, as the API answers it (JSON).
    Kept for `WORKLIST_CACHE_SECONDS` under the stamp of the user's unit and the minute (module docstring):
    a counter's screen asks for it far more often than its unit's dossiers change."""
    seconds = settings.WORKLIST_CACHE_SECONDS
    if seconds <= 0:
        return _worklist_page_json(user, key, page=page, page_size=page_size, now=timezone.now())
    now = timezone.now()
    # The page as `page_payload` reads it (a page past the last is the last): one key per page shown.
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    if not 1 <= page <= MAX_KEPT_PAGE:
        return _worklist_page_json(user, key, page=page, page_size=page_size, now=now)
    who = f"{user.pk}|{user.agency_id}|{','.join(sorted(user.roles))}|{user_sees_everything(user)}"
    raw = f"{who}|{_stamp(user)}|{now:%Y%m%d%H%M}|{key}|{page}|{page_size}|{get_language()}"
    kept_key = "dossiers:worklist:v1:" + hashlib.sha256(raw.encode()).hexdigest()
    body = kept_get(kept_key)
    if not isinstance(body, bytes):
        body = _worklist_page_json(user, key, page=page, page_size=page_size, now=now)
        kept_set(kept_key, body, seconds)
    return body


def _worklist_page_json(user: User, key: str, *, page: int, page_size: int, now: dt.datetime) -> bytes:
    cal = work_calendar()  # once for both: it reads the decided days
    counts = worklist_counts(user, now=now, cal=cal)
    payload = page_payload(worklist(user, key, now=now, cal=cal), key, counts, counts[key], page, page_size)
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def page_payload(
    qs: QuerySet[Dossier], key: str, counts: dict[str, int], total: int, page: int, page_size: int
) -> dict[str, Any]:
    """A page of dossiers as the API's worklist answers it (`WorklistOut`)."""
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    last = max(1, -(-total // size))
    page = max(1, min(page, last))
    # Only what the list shows: the dossiers' other columns and the joined rows' (a procedure version's
    # texts run to kilobytes) would be read, sent and turned into model instances for nothing.
    rows = qs.values(
        "code",
        "status",
        "procedure_version__name",
        "applicant_name",
        "received_at",
        "due_at",
        "holder__full_name",
        "holder__username",
    )[(page - 1) * size : page * size]
    return {
        "list": key,
        "counts": counts,
        "items": [
            {
                "code": r["code"],
                "status": r["status"],
                "status_label": str(Status(r["status"]).label),
                "national_status": NATIONAL_STATUS[r["status"]],
                "procedure_name": r["procedure_version__name"],
                "applicant_name": r["applicant_name"],
                "received_at": r["received_at"],
                "due_at": r["due_at"],
                "holder": r["holder__full_name"] or r["holder__username"] or "",
            }
            for r in rows
        ],
        "count": total,
        "page": page,
        "page_size": size,
    }


# --- Consultations (*lấy ý kiến*) asked of an agency ------------------------------------------------------


def _asked_of(user: User) -> QuerySet[Consultation]:
    """The consultations the official may answer (`transitions.consult_answer`), in any state: those asked
    of the official's agency or of an agency above it in the tree (an official of a department's division
    answers for the department). None for an official without a role (a rating kiosk's account)."""
    if not user.is_official or user.agency is None or not user.roles:
        return Consultation.objects.none()
    return Consultation.objects.filter(agency_id__in=user.agency.line_ids)


def consultations_for(user: User, *, answered: bool = False) -> QuerySet[Consultation]:
    """The consultations the official may answer (`_asked_of`): open ones by due time, of dossiers still
    being processed; the answered ones newest first. Another agency's are not there, whoever asks."""
    qs = _asked_of(user).filter(answered_at__isnull=not answered)
    qs = qs.select_related("dossier__agency", "dossier__procedure", "agency", "asked_by", "answered_by")
    if answered:
        return qs.order_by("-answered_at", "-id")
    return qs.exclude(dossier__status__in=CONSULTATION_CLOSED).order_by("due_at", "id")


def consultation_get_for_user(user: User, pk: int) -> Consultation | None:
    """A consultation the official may answer, in whatever state — the transition says why it cannot be
    answered any more (answered already, the dossier closed) — or None."""
    related = (
        "agency",
        "dossier__agency",
        "dossier__procedure",
        "dossier__procedure_version",
        "asked_by",
        "answered_by",
    )
    return _asked_of(user).select_related(*related).filter(pk=pk).first()


def consultation_open(c: Consultation) -> bool:
    """Still waiting for the asked agency's answer, of a dossier still being processed: while it is, the
    asked agency sees the dossier's papers (`services.consultation_paper_file`)."""
    return c.answered_at is None and c.dossier.status not in CONSULTATION_CLOSED


def consultation_punctuality(c: Consultation, now: dt.datetime) -> str:
    """Answered: early, on time or late by the project's one rule (`working_time.classify`, OS-ET1); still
    open: "overdue" after its due day, else "pending"."""
    if c.answered_at is not None:
        return str(wt.classify(c.answered_at, c.due_at))
    # By days, as `classify` judges an answer: on the due day it is still on time.
    return "overdue" if timezone.localdate(now) > timezone.localdate(c.due_at) else "pending"
