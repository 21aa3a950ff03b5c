from django.core.checks import run_checks


def _ids() -> set[str]:
    return {message.id for message in run_checks() if message.id and message.id.startswith("accounts.")}


def test_the_vneid_login_settings_are_checked(settings):
    settings.VNEID_OIDC_ISSUER = ""
    settings.VNEID_OIDC_CLIENT_ID = ""
    settings.VNEID_OIDC_CLIENT_SECRET = ""
    assert _ids() == set()
    settings.VNEID_OIDC_ISSUER = "https://vneid.example"
    assert _ids() == {"accounts.W001"}
    settings.VNEID_OIDC_CLIENT_ID, settings.VNEID_OIDC_CLIENT_SECRET = "id", "secret"
    assert _ids() == set()
    settings.DEBUG = False
    settings.VNEID_OIDC_ISSUER = "http://vneid.example"
    assert "accounts.E002" in _ids()
    settings.VNEID_OIDC_ISSUER = "vneid.example"
    assert "accounts.E001" in _ids()


def test_one_time_code_limits_are_checked(settings):
    settings.ACCOUNT_OTP_TTL_SECONDS = 30
    settings.ACCOUNT_OTP_MAX_ATTEMPTS = 0
    assert {"accounts.E003", "accounts.E004"} <= _ids()
