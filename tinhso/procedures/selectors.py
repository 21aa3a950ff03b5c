"""Reads for the procedure catalog: the public search page, one procedure as a citizen sees it, and who
may change the catalog.

Search itself (ranking, facets, spelling corrections) is `search.procedure_search`; `catalog_search` is the
one place pages and the API call it, so that both page and clamp the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Func, IntegerField, Prefetch, QuerySet, Subquery

from tinhso.accounts.models import Role
from tinhso.procedures.models import (
    ChannelRule,
    OnlineLevel,
    ParseProblem,
    Procedure,
    ProcedureBinding,
    ProcedureField,
    ProcedureVersion,
    RequiredPaper,
)
from tinhso.procedures.search import SearchResult, procedure_search

# --- Who may change the catalog -------------------------------------------------------------------------

CATALOG_EDITOR_ROLES = (Role.CATALOG_ADMIN, Role.SYSTEM_ADMIN)


def user_edits_catalog(user: Any) -> bool:
    """Catalog administrators and system administrators correct procedures, bind them to agencies and
    set internal processes; nobody else changes catalog data."""
    if not (user is not None and user.is_authenticated and user.is_active):
        return False
    return bool(user.is_superuser or user.has_role(*CATALOG_EDITOR_ROLES))


# --- Search ---------------------------------------------------------------------------------------------

FACET_NAMES = ("field", "level", "online_level", "agency")
MAX_PAGE_SIZE = 100


@dataclass
class CatalogPage:
    """One page of search results, with the number of procedures per filter value (*facets*): each facet
    is a list of (value, label, count), value as it goes in the query string."""

    items: list[Procedure]
    total: int
    page: int
    page_size: int
    facets: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    # Words of the query read as another word of the catalog ("sihn" -> "sinh").
    corrections: dict[str, str] = field(default_factory=dict)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _search(
    *,
    q: str,
    field_id: int | None,
    level: str,
    online_level: str,
    agency_code: str,
    page: int,
    page_size: int,
) -> SearchResult:
    return procedure_search(
        q=q,
        field_id=field_id,
        level=level,
        online_level=online_level,
        agency_code=agency_code,
        limit=page_size,
        offset=(page - 1) * page_size,
    )


def catalog_search(
    *,
    q: str = "",
    field_id: int | None = None,
    level: str = "",
    online_level: str = "",
    agency_code: str = "",
    page: int = 1,
    page_size: int = 20,
) -> CatalogPage:
    """A page of the public catalog. Page size is clamped to 1–100 and an out-of-range page number gives
    the last page, so a link that outlived the data still shows something."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(1, page)
    params = {
        "q": q,
        "field_id": field_id,
        "level": level,
        "online_level": online_level,
        "agency_code": agency_code,
    }
    result = _search(**params, page=page, page_size=page_size)  # type: ignore[arg-type]
    last = max(1, -(-result.total // page_size))
    if page > last:
        page = last
        result = _search(**params, page=page, page_size=page_size)  # type: ignore[arg-type]
    return CatalogPage(
        items=result.items,
        total=result.total,
        page=page,
        page_size=page_size,
        facets={
            name: [(str(v.value), v.label, v.count) for v in getattr(result.facets, name)]
            for name in FACET_NAMES
        },
        corrections=dict(result.corrections),
    )


def field_list() -> QuerySet[ProcedureField]:
    """Fields (*lĩnh vực*) with the number of procedures in each."""
    return ProcedureField.objects.annotate(procedure_count=Count("procedures")).order_by("name_folded")


def procedure_count_subquery() -> Subquery:
    """The number of procedures in the catalog, as an expression another query can carry (the home page
    shows it without a query of its own)."""
    # Func, not Count: an aggregate here would make the subquery GROUP BY, a plain COUNT(*) is one row.
    counted = (
        Procedure.objects.filter(current_version__isnull=False)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return Subquery(counted, output_field=IntegerField())


# --- One procedure --------------------------------------------------------------------------------------


@dataclass
class PaperGroup:
    name: str
    papers: list[RequiredPaper]


@dataclass
class ProcedureDetail:
    """What the procedure page and the API show: the current version's content, the province's agencies
    that carry it out, and the related procedures that exist in the catalog."""

    procedure: Procedure
    version: ProcedureVersion
    channels: list[ChannelRule]
    paper_groups: list[PaperGroup]
    bindings: list[ProcedureBinding]
    related: list[Procedure]
    unknown_related: list[str]
    problems: list[ParseProblem] | None  # None: not shown to this user

    @property
    def papers(self) -> list[RequiredPaper]:
        return [p for g in self.paper_groups for p in g.papers]

    @property
    def submits_online(self) -> bool:
        """Whether a citizen can submit it online here: the catalog makes it an online service (*toàn trình*
        or *một phần*, or an online channel row where the page leaves the level unsaid; never one that only
        provides information) and an active agency receives it with its internal process —
        the portal's rule (`portal.submit_views.online_bindings`), from what the page already read."""
        level = self.version.online_level
        online = level in (OnlineLevel.FULL, OnlineLevel.PARTIAL) or (
            level == OnlineLevel.UNKNOWN
            and any(c.channel == ChannelRule.Channel.ONLINE for c in self.channels)
        )
        return online and any(
            b.is_active and b.current_process_id is not None and b.agency.is_active for b in self.bindings
        )


def _group_papers(papers: Iterable[RequiredPaper]) -> list[PaperGroup]:
    groups: list[PaperGroup] = []
    for paper in papers:
        if not groups or groups[-1].name != paper.group:
            groups.append(PaperGroup(name=paper.group, papers=[]))
        groups[-1].papers.append(paper)
    return groups


def procedure_detail(code: str, *, with_problems: bool = False) -> ProcedureDetail | None:
    """The procedure with national code `code` as published now, or None. Eight queries (nine with the
    parse problems; one fewer without related procedures), however long the procedure."""
    procedure = (
        Procedure.objects.select_related("field", "current_version")
        .prefetch_related(
            Prefetch("current_version__channels", queryset=ChannelRule.objects.prefetch_related("fees")),
            "current_version__papers",
            "current_version__legal_basis",
            "current_version__results",
            *(["current_version__problems"] if with_problems else []),
        )
        .filter(code=code, current_version__isnull=False)
        .first()
    )
    if procedure is None:
        return None
    version = procedure.current_version
    assert version is not None
    bindings = list(
        procedure.bindings.filter(is_active=True).select_related("agency").order_by("agency__path")
    )
    related_codes = [c for c in version.related_codes if c != procedure.code]
    related = (
        list(Procedure.objects.filter(code__in=related_codes).only("code", "name").order_by("code"))
        if related_codes
        else []
    )
    found = {p.code for p in related}
    return ProcedureDetail(
        procedure=procedure,
        version=version,
        channels=list(version.channels.all()),
        paper_groups=_group_papers(version.papers.all()),
        bindings=bindings,
        related=related,
        unknown_related=[c for c in related_codes if c not in found],
        problems=list(version.problems.all()) if with_problems else None,
    )


def version_list(code: str) -> QuerySet[ProcedureVersion] | None:
    """Every version of a procedure, newest first; None for an unknown code."""
    procedure = Procedure.objects.filter(code=code).only("pk").first()
    if procedure is None:
        return None
    return (
        procedure.versions.annotate(problem_count=Count("problems"))
        .select_related("created_by", "procedure")
        .order_by("-number")
    )
