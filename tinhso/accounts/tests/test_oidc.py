"""Logging in with VNeID through OpenID Connect, against the provider's stand-in running as a real process
(conftest.py): the browser's trip is followed redirect by redirect, from the login page to the provider
and back."""

from __future__ import annotations

import base64
import hashlib
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tinhso.accounts import oidc
from tinhso.accounts.models import ExternalIdentity, Role, User
from tinhso.accounts.tests import factories
from tinhso.accounts.tests.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    Provider,
    _NoRedirect,
    start_provider,
    stop_provider,
)
from tinhso.core.http import OutboundError, request_json

pytestmark = pytest.mark.django_db

START = "/accounts/vneid/start/"
DEFAULT_NATIONAL_ID = "001090012345"


def _to_provider(client, vneid: Provider, *, next_url: str = "/") -> str:
    """Press "Đăng nhập bằng VNeID": the authorization URL the browser is sent to."""
    res = client.post(START, {"next": next_url})
    assert res.status_code == 302
    assert res["Location"].startswith(f"{vneid.issuer}/authorize?")
    return str(res["Location"])


def _back_from_provider(client, vneid: Provider, *, next_url: str = "/") -> str:
    """The provider consents and sends the browser back: the callback URL it redirects to."""
    status, location = vneid.visit(_to_provider(client, vneid, next_url=next_url))
    assert status == 302
    assert location.startswith(REDIRECT_URI + "?")
    return location


def _logged_in(client) -> User | None:
    user = client.get("/").context["user"]
    return user if user.is_authenticated else None


def test_a_first_vneid_login_creates_the_citizen_and_lands_on_the_page_asked_for(
    client, vneid, reference_data
):
    callback = _back_from_provider(client, vneid, next_url="/procedures/")
    res = client.get(callback, follow=True)
    assert res.redirect_chain[-1] == ("/procedures/", 302)
    user = res.context["user"]
    assert user.is_authenticated
    assert (user.national_id, user.full_name, user.phone) == (
        DEFAULT_NATIONAL_ID,
        "Nguyễn Văn An",
        "0912345678",
    )
    assert user.kind == User.Kind.CITIZEN and user.has_role(Role.CITIZEN)
    assert str(user.date_of_birth) == "1990-05-17"
    assert user.national_id_verified and not user.has_usable_password()
    assert ExternalIdentity.objects.get(provider="vneid").user == user


def test_the_authorization_request_carries_state_nonce_and_a_pkce_challenge(client, vneid, reference_data):
    query = parse_qs(urlsplit(_to_provider(client, vneid)).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert "openid" in query["scope"][0].split()
    assert query["code_challenge_method"] == ["S256"]
    pending = client.session["vneid_pending"][query["state"][0]]
    assert pending["nonce"] == query["nonce"][0]
    digest = hashlib.sha256(pending["verifier"].encode()).digest()
    assert query["code_challenge"] == [base64.urlsafe_b64encode(digest).rstrip(b"=").decode()]


def test_an_account_made_at_the_counter_is_found_by_national_id_and_linked_once(
    client, vneid, reference_data
):
    officer = factories.official(roles=(Role.COUNTER_OFFICER,))
    citizen = factories.citizen(national_id=DEFAULT_NATIONAL_ID, phone="0987654321", actor=officer)
    assert citizen.national_id_verified
    client.get(_back_from_provider(client, vneid))
    assert _logged_in(client) == citizen
    client.post("/accounts/logout/")

    # The next login finds the account by the provider's subject, even with other details there.
    vneid.control(identity={"national_id": "", "name": "Tên Khác"})
    client.get(_back_from_provider(client, vneid))
    assert _logged_in(client) == citizen
    assert User.objects.filter(national_id=DEFAULT_NATIONAL_ID).count() == 1
    assert ExternalIdentity.objects.filter(user=citizen).count() == 1
    citizen.refresh_from_db()
    assert citizen.phone == "0987654321"  # the account's details are not overwritten


def test_a_self_registered_account_is_linked_when_vneid_knows_the_same_phone(client, vneid, reference_data):
    citizen = factories.citizen(national_id=DEFAULT_NATIONAL_ID, phone="0912345678")
    assert not citizen.national_id_verified
    client.get(_back_from_provider(client, vneid))
    assert _logged_in(client) == citizen
    citizen.refresh_from_db()
    assert citizen.national_id_verified


def test_an_account_registered_with_someone_elses_id_is_not_handed_their_vneid_login(
    client, vneid, reference_data
):
    """Sign-up checks the ID number's structure, not whose it is: a stranger's account with this number
    and the stranger's phone must not receive the real person's VNeID login."""
    squatter = factories.citizen(national_id=DEFAULT_NATIONAL_ID, phone="0987654321")
    res = client.get(_back_from_provider(client, vneid))
    assert res.status_code == 403
    assert "đăng ký với một số điện thoại khác số trên VNeID" in res.content.decode()
    assert _logged_in(client) is None
    assert not ExternalIdentity.objects.exists()
    squatter.refresh_from_db()
    assert not squatter.national_id_verified


def test_a_phone_number_already_anothers_is_left_out_of_the_new_account(client, vneid, reference_data):
    factories.citizen(phone="0912345678")
    client.get(_back_from_provider(client, vneid))
    user = _logged_in(client)
    assert user is not None and user.national_id == DEFAULT_NATIONAL_ID and user.phone is None


def test_an_officials_account_is_not_opened_through_vneid(client, vneid, reference_data):
    official = factories.official()
    User.objects.filter(pk=official.pk).update(national_id=DEFAULT_NATIONAL_ID)
    res = client.get(_back_from_provider(client, vneid))
    assert res.status_code == 403
    assert "Tài khoản cán bộ không đăng nhập bằng VNeID" in res.content.decode()
    assert _logged_in(client) is None
    assert not ExternalIdentity.objects.exists()


def test_the_claims_can_come_from_the_userinfo_endpoint(client, vneid, reference_data):
    vneid.control(tamper="no_national_id")  # the ID token lacks the number; userinfo has it
    client.get(_back_from_provider(client, vneid))
    user = _logged_in(client)
    assert user is not None and user.national_id == DEFAULT_NATIONAL_ID


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("signature", "Signature verification failed"),
        ("nonce", "nonce does not match"),
        ("audience", "Audience doesn't match"),
        ("issuer", "Invalid issuer"),
        ("expired", "Signature has expired"),
        ("alg_none", "algorithm 'none' not accepted"),
        ("kid", "a key the provider does not publish"),
    ],
)
def test_a_faulty_id_token_is_refused(client, vneid, reference_data, caplog, tamper, reason):
    vneid.control(tamper=tamper)
    res = client.get(_back_from_provider(client, vneid))
    assert res.status_code == 400
    assert reason in caplog.text
    assert "Không xác minh được kết quả đăng nhập từ VNeID" in res.content.decode()
    assert _logged_in(client) is None
    assert not User.objects.filter(national_id=DEFAULT_NATIONAL_ID).exists()


def test_a_replayed_code_is_refused(client, vneid, reference_data, caplog):
    first = _back_from_provider(client, vneid)
    client.get(first)
    assert _logged_in(client) is not None
    client.post("/accounts/logout/")

    # The same callback again: its state was used up.
    res = client.get(first)
    assert res.status_code == 400 and "đã hết hạn hoặc đã dùng" in res.content.decode()
    # The old code under a fresh state: the provider refuses a code used once.
    fresh_state = parse_qs(urlsplit(_to_provider(client, vneid)).query)["state"][0]
    old_code = parse_qs(urlsplit(first).query)["code"][0]
    res = client.get(f"{REDIRECT_URI}?{urlencode({'code': old_code, 'state': fresh_state})}")
    assert res.status_code == 400
    assert "code already used" in caplog.text
    assert _logged_in(client) is None


def test_a_code_is_bound_to_the_browser_that_started_the_login(client, vneid, reference_data):
    """An attacker's own code, slipped into a victim's browser (login CSRF), matches no state there."""
    attacker = client.__class__()
    callback = _back_from_provider(attacker, vneid)
    res = client.get(callback)
    assert res.status_code == 400
    assert _logged_in(client) is None


def test_a_wrong_pkce_verifier_is_refused(client, vneid, reference_data, caplog):
    callback = _back_from_provider(client, vneid)
    session = client.session
    state = parse_qs(urlsplit(callback).query)["state"][0]
    session["vneid_pending"][state]["verifier"] = "x" * 64
    session.save()
    assert client.get(callback).status_code == 400
    assert "PKCE verification failed" in caplog.text
    assert _logged_in(client) is None


def test_refusing_consent_at_the_provider_says_so(client, vneid, reference_data):
    state = parse_qs(urlsplit(_to_provider(client, vneid)).query)["state"][0]
    res = client.get(f"{REDIRECT_URI}?{urlencode({'error': 'access_denied', 'state': state})}")
    assert res.status_code == 400
    assert "không đồng ý chia sẻ thông tin" in res.content.decode()


def test_the_provider_refuses_a_wrong_client_secret_and_a_wrong_verifier(vneid):
    _, location = vneid.visit(
        f"{vneid.issuer}/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": CLIENT_ID,
                "redirect_uri": REDIRECT_URI,
                "scope": "openid",
                "state": "s",
                "nonce": "n",
                "code_challenge": oidc.pkce_challenge("v" * 50),
                "code_challenge_method": "S256",
            }
        )
    )
    code = parse_qs(urlsplit(location).query)["code"][0]
    config = oidc.OidcSettings(vneid.issuer, CLIENT_ID, "sai", "openid", "so_dinh_danh", 5)
    with pytest.raises(oidc.OidcError, match="401"):
        oidc.code_exchange(code=code, redirect_uri=REDIRECT_URI, code_verifier="v" * 50, config=config)
    config = oidc.OidcSettings(vneid.issuer, CLIENT_ID, CLIENT_SECRET, "openid", "so_dinh_danh", 5)
    with pytest.raises(oidc.OidcError, match="invalid_grant"):
        oidc.code_exchange(code=code, redirect_uri=REDIRECT_URI, code_verifier="w" * 50, config=config)


def test_the_provider_never_redirects_to_an_unregistered_address(vneid):
    status, location = vneid.visit(
        f"{vneid.issuer}/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": CLIENT_ID,
                "redirect_uri": "https://attacker.example/cb",
                "scope": "openid",
                "state": "s",
                "code_challenge": "c",
                "code_challenge_method": "S256",
            }
        )
    )
    assert (status, location) == (400, "")


def test_the_provider_publishes_its_configuration_and_keys(vneid):
    document = request_json("GET", f"{vneid.issuer}/.well-known/openid-configuration").data
    assert document["issuer"] == vneid.issuer
    assert "S256" in document["code_challenge_methods_supported"]
    keys = request_json("GET", document["jwks_uri"]).data["keys"]
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and "d" not in keys[0]
    with pytest.raises(OutboundError) as exc:
        request_json("GET", document["userinfo_endpoint"], headers={"Authorization": "Bearer nope"})
    assert exc.value.status == 401


def test_a_provider_that_is_down_gives_a_clear_message(client, vneid, settings, reference_data):
    settings.VNEID_OIDC_ISSUER = "http://127.0.0.1:9"  # nothing listens there
    res = client.post(START)
    assert res.status_code == 503
    assert "không kết nối được với VNeID" in res.content.decode()


def test_without_settings_the_vneid_login_is_off_and_hidden(client, settings, reference_data):
    settings.VNEID_OIDC_ISSUER = ""
    page = client.get("/accounts/login/").content.decode()
    assert "Đăng nhập bằng VNeID" not in page
    assert client.post(START).status_code == 404
    assert client.get("/accounts/vneid/callback/?code=x&state=y").status_code == 404


def test_with_settings_the_login_page_shows_the_vneid_button(client, vneid, reference_data):
    page = client.get("/accounts/login/").content.decode()
    assert 'data-testid="vneid-login"' in page
    assert f'action="{START}"' in page


def test_starting_a_vneid_login_needs_a_csrf_token(vneid, reference_data):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(START).status_code == 403
    assert strict.get(START).status_code == 405


def test_the_provider_can_ask_for_consent_with_a_form():
    process, issuer = start_provider("--consent", "form")
    try:
        query = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "state": "s",
            "code_challenge": oidc.pkce_challenge("v" * 50),
            "code_challenge_method": "S256",
        }
        with urllib.request.urlopen(f"{issuer}/authorize?{urlencode(query)}", timeout=5) as page:  # noqa: S310
            assert 'name="decision" value="allow"' in page.read().decode()
        provider = Provider(issuer=issuer)
        for decision, expected in (("deny", "error=access_denied"), ("allow", "code=")):
            request = urllib.request.Request(  # noqa: S310
                f"{issuer}/authorize", data=urlencode({**query, "decision": decision}).encode(), method="POST"
            )
            opener = urllib.request.build_opener(_NoRedirect())
            try:
                opener.open(request, timeout=5)
            except urllib.error.HTTPError as exc:
                with exc:
                    assert exc.code == 302 and expected in exc.headers["Location"]
        assert provider.control()["tamper"] == ""
    finally:
        stop_provider(process)
