"""Logging in with VNeID (the national electronic identity, *định danh điện tử*) through OpenID Connect.

The authorization code flow (OpenID Connect Core 1.0 §3.1) with PKCE (RFC 7636, S256), `state` against
cross-site request forgery and `nonce` against replayed ID tokens:

1. `authorization_request()` makes a fresh state, nonce and code verifier (kept in the person's session by
   the view) and the provider's authorization URL to send the browser to.
2. The provider sends the browser back with `code` and `state`; the view checks the state against the
   session (once), and `code_exchange()` trades the code at the token endpoint (client id and secret in an
   HTTP Basic header, the code verifier, the same redirect URI) for an ID token.
3. `id_token_verify()` checks the ID token's RS256 signature against the provider's published keys (JWKS,
   fetched again once when a token names a key not seen yet: the provider rotated its keys), then `iss`,
   `aud` (and `azp` when there are several audiences), `exp`, `iat` and `nonce`.

Configuration (settings, from the environment): `VNEID_OIDC_ISSUER`, `VNEID_OIDC_CLIENT_ID`,
`VNEID_OIDC_CLIENT_SECRET`; the login is off while any is empty. Endpoints come from
`<issuer>/.well-known/openid-configuration`, whose `issuer` must be the configured one (§4.3 of OpenID
Connect Discovery). The discovery document and the keys are kept in the cache for an hour.

Claims: `sub` (the provider's stable id of the person), `name`, `phone_number`, `birthdate` (standard), and
the 12-digit personal identification number under `VNEID_OIDC_NATIONAL_ID_CLAIM` (default
`so_dinh_danh`). VNeID's claim names for relying parties are not public; `so_dinh_danh` follows the term on
the CCCD card (*số định danh cá nhân*) and is a setting so a deployment can match the provider's contract.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import jwt
from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import constant_time_compare

from tinhso.core.http import USER_AGENT, OutboundError, is_retryable_status, request_json

logger = logging.getLogger(__name__)

PROVIDER = "vneid"
ALGORITHMS = ["RS256"]
CACHE_SECONDS = 3600
# Clocks of two machines differ; a minute of slack on exp / iat.
LEEWAY_SECONDS = 60
_MAX_TOKEN_RESPONSE_BYTES = 256 * 1024


class OidcError(Exception):
    """The login could not be completed. `retryable`: the provider was unreachable or busy (trying again
    later may help), as opposed to a refused or forged answer."""

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    national_id_claim: str
    timeout: float


def oidc_settings() -> OidcSettings:
    return OidcSettings(
        issuer=str(getattr(settings, "VNEID_OIDC_ISSUER", "")).rstrip("/"),
        client_id=str(getattr(settings, "VNEID_OIDC_CLIENT_ID", "")),
        client_secret=str(getattr(settings, "VNEID_OIDC_CLIENT_SECRET", "")),
        scopes=str(getattr(settings, "VNEID_OIDC_SCOPES", "openid profile phone")),
        national_id_claim=str(getattr(settings, "VNEID_OIDC_NATIONAL_ID_CLAIM", "so_dinh_danh")),
        timeout=float(getattr(settings, "VNEID_OIDC_TIMEOUT", 10)),
    )


def vneid_enabled() -> bool:
    config = oidc_settings()
    return bool(config.issuer and config.client_id and config.client_secret)


# --- The provider's published configuration and keys ------------------------------------------------------


def _get_json(url: str, config: OidcSettings, what: str, headers: dict[str, str] | None = None) -> Any:
    try:
        return request_json("GET", url, headers=headers, timeout=config.timeout).data
    except OutboundError as exc:
        raise OidcError(f"{what}: {exc}", retryable=exc.retryable) from exc


def discovery(config: OidcSettings | None = None) -> dict[str, Any]:
    config = config or oidc_settings()
    key = f"oidc:discovery:{config.issuer}"
    document = cache.get(key)
    if document is None:
        document = _get_json(f"{config.issuer}/.well-known/openid-configuration", config, "discovery")
        if not isinstance(document, dict):
            raise OidcError("discovery: not a JSON object")
        if str(document.get("issuer", "")).rstrip("/") != config.issuer:
            raise OidcError("discovery: the document names another issuer")
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(field), str):
                raise OidcError(f"discovery: no {field}")
        cache.set(key, document, CACHE_SECONDS)
    return dict(document)


def _jwks(config: OidcSettings, *, refresh: bool = False) -> jwt.PyJWKSet:
    key = f"oidc:jwks:{config.issuer}"
    data = None if refresh else cache.get(key)
    if data is None:
        data = _get_json(discovery(config)["jwks_uri"], config, "jwks")
        cache.set(key, data, CACHE_SECONDS)
    try:
        return jwt.PyJWKSet.from_dict(data)
    except (jwt.PyJWTError, TypeError, ValueError) as exc:
        raise OidcError(f"jwks: unusable key set ({exc})") from exc


def _signing_key(config: OidcSettings, kid: str | None) -> jwt.PyJWK:
    for refresh in (False, True):
        keys = [k for k in _jwks(config, refresh=refresh).keys if k.public_key_use in (None, "sig")]
        matching = [k for k in keys if k.key_id == kid] if kid else keys
        if len(matching) == 1 or (matching and kid):
            return matching[0]
    raise OidcError("id token: signed with a key the provider does not publish")


# --- The flow ---------------------------------------------------------------------------------------------


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


def authorization_request(*, redirect_uri: str, config: OidcSettings | None = None) -> AuthorizationRequest:
    config = config or oidc_settings()
    endpoint = discovery(config)["authorization_endpoint"]
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": redirect_uri,
            "scope": config.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if urlsplit(endpoint).query else "?"
    return AuthorizationRequest(f"{endpoint}{separator}{query}", state, nonce, verifier)


def _post_form(url: str, fields: dict[str, str], headers: dict[str, str], timeout: float) -> Any:
    """POST application/x-www-form-urlencoded (which the token endpoint requires, RFC 6749 §4.1.3) and
    decode the JSON answer. `core.http.request_json` sends JSON bodies only; this follows its rules: http(s)
    only, a timeout, no redirects followed, a bounded answer, `OutboundError` with `retryable`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundError("not an http(s) URL", retryable=False)
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=urlencode(fields).encode("ascii"), method="POST"
    )
    request.add_header("User-Agent", USER_AGENT)
    request.add_header("Accept", "application/json")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    for name, value in headers.items():
        request.add_header(name, value)
    opener = urllib.request.build_opener(_NoRedirect())
    started = time.monotonic()
    try:
        with opener.open(request, timeout=timeout) as response:
            raw = response.read(_MAX_TOKEN_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        body = exc.read(2000).decode("utf-8", "replace")
        exc.close()
        raise OutboundError(
            f"HTTP {exc.code}", retryable=is_retryable_status(exc.code), status=exc.code, body=body
        ) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise OutboundError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
    finally:
        logger.info("outbound POST %s in %.0f ms", parts.hostname, (time.monotonic() - started) * 1000)
    if len(raw) > _MAX_TOKEN_RESPONSE_BYTES:
        raise OutboundError("the token response is too large", retryable=False)
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise OutboundError("the token response is not JSON", retryable=False) from exc


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


def code_exchange(
    *, code: str, redirect_uri: str, code_verifier: str, config: OidcSettings | None = None
) -> dict[str, Any]:
    """The token endpoint's answer (with `id_token`) for this authorization code."""
    config = config or oidc_settings()
    # client_secret_basic: id and secret form-encoded, then joined and base64-encoded (RFC 6749 §2.3.1).
    basic = base64.b64encode(
        f"{quote(config.client_id, safe='')}:{quote(config.client_secret, safe='')}".encode()
    ).decode("ascii")
    try:
        answer = _post_form(
            discovery(config)["token_endpoint"],
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            },
            {"Authorization": f"Basic {basic}"},
            config.timeout,
        )
    except OutboundError as exc:
        raise OidcError(f"token endpoint: {exc} {exc.body[:200]}".strip(), retryable=exc.retryable) from exc
    if not isinstance(answer, dict) or not isinstance(answer.get("id_token"), str):
        raise OidcError("token endpoint: no id_token in the answer")
    return answer


def id_token_verify(id_token: str, *, nonce: str, config: OidcSettings | None = None) -> dict[str, Any]:
    """The ID token's claims, once its signature, issuer, audience, times and nonce are right."""
    config = config or oidc_settings()
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise OidcError(f"id token: malformed ({exc})") from exc
    if header.get("alg") not in ALGORITHMS:
        raise OidcError(f"id token: algorithm {header.get('alg')!r} not accepted")
    key = _signing_key(config, header.get("kid"))
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key=key,
            algorithms=ALGORITHMS,
            audience=config.client_id,
            issuer=config.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.PyJWTError as exc:
        raise OidcError(f"id token: {exc}") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != config.client_id:
        raise OidcError("id token: several audiences and azp is not this client")
    if not constant_time_compare(str(claims.get("nonce", "")), nonce):
        raise OidcError("id token: nonce does not match this login")
    return claims


def userinfo(access_token: str, *, config: OidcSettings | None = None) -> dict[str, Any]:
    config = config or oidc_settings()
    endpoint = discovery(config).get("userinfo_endpoint")
    if not endpoint:
        return {}
    data = _get_json(endpoint, config, "userinfo", headers={"Authorization": f"Bearer {access_token}"})
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class VneidPerson:
    subject: str
    national_id: str
    full_name: str
    phone: str
    birthdate: str


def person_from_tokens(
    tokens: dict[str, Any], *, nonce: str, config: OidcSettings | None = None
) -> VneidPerson:
    """Verify the ID token and read the person from it; claims it lacks are asked of the userinfo endpoint
    (whose `sub` must be the ID token's, OpenID Connect Core §5.3.2)."""
    config = config or oidc_settings()
    claims = id_token_verify(tokens["id_token"], nonce=nonce, config=config)
    if not claims.get(config.national_id_claim) and isinstance(tokens.get("access_token"), str):
        extra = userinfo(tokens["access_token"], config=config)
        if extra.get("sub") != claims["sub"]:
            raise OidcError("userinfo: another subject than the ID token's")
        claims = {**extra, **claims, config.national_id_claim: extra.get(config.national_id_claim)}
    return VneidPerson(
        subject=str(claims["sub"]),
        national_id=str(claims.get(config.national_id_claim) or ""),
        full_name=str(claims.get("name") or ""),
        phone=str(claims.get("phone_number") or ""),
        birthdate=str(claims.get("birthdate") or ""),
    )
