from ninja import Schema

from tinhso.accounts.models import Agency


class ProvinceOut(Schema):
    code: str
    name: str
    division_type: str
    phone_code: int | None


class CommuneOut(Schema):
    code: str
    name: str
    division_type: str
    province_code: str
    province_name: str

    @staticmethod
    def resolve_province_code(obj) -> str:
        return obj.province.code

    @staticmethod
    def resolve_province_name(obj) -> str:
        return obj.province.name


class FormerCommuneOut(Schema):
    old_code: str
    old_name: str
    old_district: str
    old_province: str
    merge: str
    note: str
    new_commune: CommuneOut


class AgencyOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    parent_code: str | None
    commune_code: str | None

    @staticmethod
    def resolve_kind_label(obj) -> str:
        # Not get_kind_display(): it rebuilds the whole translated choices dict for every row.
        return str(Agency.Kind(obj.kind).label)

    @staticmethod
    def resolve_parent_code(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None

    @staticmethod
    def resolve_commune_code(obj) -> str | None:
        return obj.commune.code if obj.commune_id else None


class OfficialOut(Schema):
    id: int
    username: str
    full_name: str
    position: str
    agency_code: str
    roles: list[str]

    @staticmethod
    def resolve_agency_code(obj) -> str:
        return obj.agency.code

    @staticmethod
    def resolve_roles(obj) -> list[str]:
        return sorted(g.name for g in obj.groups.all())


class ErrorOut(Schema):
    detail: str
