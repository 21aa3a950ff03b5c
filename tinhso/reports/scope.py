"""What a report covers (*phạm vi báo cáo*): the province, an agency with the units under it, a commune, a
field (*lĩnh vực*), a procedure, a channel — filters that combine (an agency's dossiers of one field
received online …).

`scope_from_query` reads the filters from a page's query parameters (`agency` code, `commune` code,
`field` id, `procedure` code, `channel`) for a user, and raises `ScopeError` with a plain Vietnamese
message. It also applies the user's reach: an official sees their own agency and the units under it, so
a scope without an agency is their agency's, and an agency or a commune outside it is refused; a system
administrator sees the province.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from tinhso.accounts.models import Agency, Commune, User
from tinhso.accounts.selectors import user_sees_everything
from tinhso.dossiers.models import Channel
from tinhso.procedures.models import Procedure, ProcedureField

__all__ = ["Scope", "ScopeError", "may_see_reports", "scope_from_query", "small_id"]


class ScopeError(ValueError):
    """A scope that cannot be read from the query, or that the user may not see; the message is for
    people (Vietnamese)."""


@dataclass(frozen=True)
class Scope:
    """Filters on dossiers, all of them applied (AND). Empty: the whole province."""

    agency: Agency | None = None  # the agency and every unit under it (its materialised path)
    commune: Commune | None = None  # the commune's People's Committee and the units under it
    field: ProcedureField | None = None
    procedure: Procedure | None = None
    channel: str = ""

    def q(self, prefix: str = "") -> Q:
        """The filter on `Dossier` (or, with `prefix` "dossier__", on a model pointing at a dossier)."""
        q = Q()
        if self.agency is not None:
            q &= Q(**{f"{prefix}agency__path__startswith": self.agency.path})
        if self.commune is not None:
            committee = self.commune_committee
            # A commune with no committee on Tỉnh Số has no dossier; `scope_from_query` refuses it first.
            q &= (
                Q(**{f"{prefix}agency__path__startswith": committee.path})
                if committee is not None
                else Q(pk__in=[])
            )
        if self.field is not None:
            q &= Q(**{f"{prefix}procedure__field_id": self.field.pk})
        if self.procedure is not None:
            q &= Q(**{f"{prefix}procedure_id": self.procedure.pk})
        if self.channel:
            q &= Q(**{f"{prefix}channel": self.channel})
        return q

    @property
    def commune_committee(self) -> Agency | None:
        if self.commune is None:
            return None
        try:
            return self.commune.committee
        except Agency.DoesNotExist:
            return None

    @property
    def is_province(self) -> bool:
        return not (self.agency or self.commune or self.field or self.procedure or self.channel)

    @property
    def label(self) -> str:
        """ "Toàn tỉnh", or the filters joined: "UBND phường Hà Giang 2 · Lĩnh vực Hộ tịch · Trực tuyến"."""
        parts = []
        if self.agency is not None:
            parts.append(self.agency.name)
        if self.commune is not None:
            parts.append(self.commune.name)
        if self.field is not None:
            parts.append(_("Lĩnh vực %(name)s") % {"name": self.field.name})
        if self.procedure is not None:
            parts.append(_("Thủ tục %(code)s") % {"code": self.procedure.code})
        if self.channel:
            parts.append(str(Channel(self.channel).label))
        return " · ".join(parts) if parts else _("Toàn tỉnh")

    def as_query(self) -> dict[str, str]:
        """The query parameters that `scope_from_query` reads back into this scope."""
        out: dict[str, str] = {}
        if self.agency is not None:
            out["agency"] = self.agency.code
        if self.commune is not None:
            out["commune"] = self.commune.code
        if self.field is not None:
            out["field"] = str(self.field.pk)
        if self.procedure is not None:
            out["procedure"] = self.procedure.code
        if self.channel:
            out["channel"] = self.channel
        return out


def may_see_reports(user: User) -> bool:
    """Statistics are for officials with a role at an agency (the backoffice's rule: the rating kiosk's
    account, which has none, faces the public) and for system administrators."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user_sees_everything(user):
        return True
    return bool(user.is_official and user.agency_id and user.roles)


def small_id(raw: str) -> bool:
    return raw.isascii() and raw.isdigit() and len(raw) <= 9


def _within(agency: Agency, root: Agency | None) -> bool:
    return root is None or agency.path.startswith(root.path)


def scope_from_query(params: Mapping[str, str], *, user: User) -> Scope:
    """The scope a page asks for, limited to what the user may see (see the module docstring)."""
    if not may_see_reports(user):
        raise ScopeError(_("Bạn không có quyền xem thống kê."))
    root = None if user_sees_everything(user) else user.agency
    agency = root

    code = (params.get("agency") or "").strip()
    if code:
        found = Agency.objects.filter(code=code).first()
        if found is None:
            raise ScopeError(_("Không có cơ quan nào mã “%(code)s”.") % {"code": code[:20]})
        if not _within(found, root):
            raise ScopeError(
                _("Bạn chỉ xem được số liệu của %(agency)s và các đơn vị trực thuộc.")
                % {"agency": root.name if root else ""}
            )
        agency = found

    commune = None
    code = (params.get("commune") or "").strip()
    if code:
        commune = Commune.objects.select_related("committee").filter(code=code.zfill(5)).first()
        if commune is None:
            raise ScopeError(_("Không có xã, phường nào mã “%(code)s”.") % {"code": code[:10]})
        committee = Scope(commune=commune).commune_committee
        if committee is None:
            raise ScopeError(
                _("%(name)s chưa có Ủy ban nhân dân trên Tỉnh Số nên chưa có hồ sơ.") % {"name": commune.name}
            )
        # The commune's committee must be inside the user's reach (or contain it: a commune official
        # asking for their own commune).
        if not (_within(committee, root) or (root is not None and root.path.startswith(committee.path))):
            raise ScopeError(_("%(name)s không thuộc phạm vi đơn vị của bạn.") % {"name": commune.name})

    field = None
    raw = (params.get("field") or "").strip()
    if raw:
        # Digits only, and few of them: a longer number is no field, and would overflow the column.
        field = ProcedureField.objects.filter(pk=int(raw)).first() if small_id(raw) else None
        if field is None:
            raise ScopeError(_("Lĩnh vực đã chọn không có trong danh mục."))

    procedure = None
    code = (params.get("procedure") or "").strip()
    if code:
        procedure = Procedure.objects.select_related("field").filter(code=code).first()
        if procedure is None:
            raise ScopeError(
                _("Không có thủ tục nào mã “%(code)s” (ví dụ mã đúng: 1.004222).") % {"code": code[:20]}
            )

    channel = (params.get("channel") or "").strip()
    if channel and channel not in Channel.values:
        raise ScopeError(_("Kênh tiếp nhận đã chọn không hợp lệ."))

    return Scope(agency=agency, commune=commune, field=field, procedure=procedure, channel=channel)
