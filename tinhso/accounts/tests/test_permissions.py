import pytest
from django.core.exceptions import PermissionDenied

from tinhso.accounts.models import Role, User
from tinhso.accounts.selectors import agencies_visible_to, official_get_for_user, officials_visible_to
from tinhso.accounts.tests import factories

pytestmark = pytest.mark.django_db


def test_an_official_sees_the_officials_of_their_own_agency_only(reference_data):
    ha_giang_2 = factories.official(agency_prefix="000.00.30", roles=(Role.AGENCY_LEADER,))
    colleague = factories.official(agency_prefix="000.00.30")
    stranger = factories.official(agency_prefix="000.00.31")  # the neighbouring ward
    visible = set(officials_visible_to(ha_giang_2))
    assert visible == {ha_giang_2, colleague}
    with pytest.raises(PermissionDenied):
        official_get_for_user(ha_giang_2, stranger.pk)
    assert official_get_for_user(ha_giang_2, colleague.pk) == colleague


def test_the_officials_api_is_scoped_to_the_callers_agency(client, reference_data):
    me = factories.official(agency_prefix="000.00.04")  # Sở Tư pháp
    factories.official(agency_prefix="000.00.05")  # Sở Tài chính
    client.force_login(me)
    body = client.get("/api/officials").json()
    assert [o["username"] for o in body["items"]] == [me.username]
    assert {o["agency_code"] for o in body["items"]} == {"000.00.04.H60"}


def test_a_provincial_official_sees_the_agencies_below_the_committee(reference_data):
    provincial = factories.official(agency_prefix="000.00.00", roles=(Role.AGENCY_LEADER,))
    ward = factories.official(agency_prefix="000.00.30")
    assert agencies_visible_to(provincial).count() == 139
    assert list(agencies_visible_to(ward).values_list("code", flat=True)) == ["000.00.30.H60"]
    assert ward in officials_visible_to(provincial)


def test_a_citizen_sees_no_official_or_agency_data(client, reference_data):
    citizen = factories.citizen()
    factories.official()
    assert officials_visible_to(citizen).count() == 0
    assert agencies_visible_to(citizen).count() == 0
    client.force_login(citizen)
    assert client.get("/api/officials").json()["items"] == []


def test_the_officials_api_needs_a_login(client, reference_data):
    assert client.get("/api/officials").status_code == 401


def test_a_system_administrator_sees_every_agency(reference_data):
    admin = factories.official(agency_prefix="000.00.00", roles=(Role.SYSTEM_ADMIN,))
    other = factories.official(agency_prefix="000.00.31")
    assert other in officials_visible_to(admin)


def test_a_citizen_cannot_open_the_admin_even_when_marked_staff(client, reference_data):
    citizen = factories.citizen()
    User.objects.filter(pk=citizen.pk).update(is_staff=True, is_superuser=True)  # a mistake in the data
    client.force_login(citizen)
    res = client.get("/admin/")
    assert res.status_code == 302
    assert res["Location"].startswith("/admin/login/")
    assert client.get("/admin/accounts/user/").status_code == 302


def test_a_system_administrator_opens_the_admin(client, reference_data):
    admin = factories.official(agency_prefix="000.00.00", roles=(Role.SYSTEM_ADMIN,))
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/agency/").status_code == 200


def test_an_agency_leader_sees_only_their_agency_in_the_admin(client, reference_data):
    leader = factories.official(agency_prefix="000.00.30", roles=(Role.AGENCY_LEADER,))
    colleague = factories.official(agency_prefix="000.00.30", full_name="Đồng Nghiệp Cùng Phường")
    stranger = factories.official(agency_prefix="000.00.31", full_name="Người Phường Bên")
    leader.user_permissions.add(*_perms("view_user", "view_agency"))
    client.force_login(leader)
    page = client.get("/admin/accounts/user/").content.decode()
    assert colleague.username in page
    assert stranger.username not in page
    assert client.get(f"/admin/accounts/user/{stranger.pk}/change/").status_code in (302, 404)
    agencies = client.get("/admin/accounts/agency/").content.decode()
    assert "000.00.30.H60" in agencies
    assert "000.00.31.H60" not in agencies


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename__in=codenames)


def test_officials_must_belong_to_an_agency(reference_data):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="lac", kind=User.Kind.OFFICIAL, full_name="Cán Bộ Lạc")


def test_creating_an_official_writes_an_audit_entry(reference_data):
    from tinhso.core.models import AuditEntry

    official = factories.official(agency_prefix="000.00.04", roles=(Role.COUNTER_OFFICER,))
    entry = AuditEntry.objects.filter(event="user.created", target_id=str(official.pk)).get()
    assert entry.agency_code == "000.00.04.H60"
    assert entry.new is not None
    assert entry.new["roles"] == ["counter_officer"]


def test_moving_an_agency_rewrites_the_paths_of_its_subtree_and_is_audited(reference_data):
    from tinhso.accounts import services
    from tinhso.accounts.models import Agency
    from tinhso.core.models import AuditEntry

    justice = factories.agency("000.00.04")
    office = services.agency_create(
        code="000.01.04.H60",
        name="Phòng Hành chính tư pháp",
        kind=Agency.Kind.UNIT,
        parent=justice,
        actor=None,
    )
    team = services.agency_create(
        code="001.01.04.H60", name="Tổ hộ tịch", kind=Agency.Kind.UNIT, parent=office, actor=None
    )
    finance = factories.agency("000.00.05")
    services.agency_update(agency=office, parent=finance, actor=None)
    team.refresh_from_db()
    assert team.path.startswith(finance.path)
    assert list(Agency.objects.subtree_of(finance).values_list("code", flat=True)) == [
        "000.00.05.H60",
        "000.01.04.H60",
        "001.01.04.H60",
    ]
    moved = AuditEntry.objects.filter(event="agency.updated", target_id=str(office.pk)).get()
    assert moved.old == {"parent_id": justice.pk} and moved.new == {"parent_id": finance.pk}


def test_an_agency_cannot_be_moved_under_its_own_unit(reference_data):
    from django.core.exceptions import ValidationError

    from tinhso.accounts import services
    from tinhso.accounts.models import Agency

    justice = factories.agency("000.00.04")
    office = services.agency_create(
        code="000.01.04.H60",
        name="Phòng Hành chính tư pháp",
        kind=Agency.Kind.UNIT,
        parent=justice,
        actor=None,
    )
    with pytest.raises(ValidationError):
        services.agency_update(agency=justice, parent=office, actor=None)


def test_an_invalid_agency_code_is_refused_with_the_expected_format(reference_data):
    from django.core.exceptions import ValidationError

    from tinhso.accounts import services
    from tinhso.accounts.models import Agency

    with pytest.raises(ValidationError) as err:
        services.agency_create(code="H60-01", name="Sai mã", kind=Agency.Kind.UNIT, parent=None, actor=None)
    assert "000.00.00.H60" in str(err.value)


def test_changing_an_officials_roles_in_the_admin_is_audited(client, reference_data):
    from django.contrib.auth.models import Group

    from tinhso.core.audit import audit_verify
    from tinhso.core.models import AuditEntry

    admin = factories.official(agency_prefix="000.00.00", roles=(Role.SYSTEM_ADMIN,))
    target = factories.official(agency_prefix="000.00.30", roles=(Role.SPECIALIST,))
    client.force_login(admin)
    page = client.get(f"/admin/accounts/user/{target.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list | tuple)}
    data.update(
        {
            "agency": target.agency_id,
            "groups": [Group.objects.get(name=Role.DEPARTMENT_HEAD).pk],
            "user_permissions": [],
            "date_joined_0": target.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": target.date_joined.strftime("%H:%M:%S"),
            "is_active": "on",
        }
    )
    data.pop("last_login", None)
    data.pop("date_joined", None)
    data.pop("password", None)
    data.pop("is_staff", None)
    data.pop("is_superuser", None)
    res = client.post(f"/admin/accounts/user/{target.pk}/change/", data)
    assert res.status_code == 302, res.context["adminform"].form.errors if res.context else res
    entry = AuditEntry.objects.filter(event="user.updated", target_id=str(target.pk)).get()
    assert entry.old == {"roles": ["specialist"]}
    assert entry.new == {"roles": ["department_head"]}
    assert entry.actor_id == admin.pk
    assert audit_verify().ok
