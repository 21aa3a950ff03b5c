"""A local stand-in for VNeID's OpenID Connect provider, as a real process, for development and tests:
`python -m tinhso.accounts.oidc_standin --port 8026 --client-id tinhso --client-secret s3cret
--redirect-uri http://127.0.0.1:8000/accounts/vneid/callback/`.

No Django; the standard library plus PyJWT and cryptography (the project's own dependencies). It behaves as
a strict provider would:

- `GET /.well-known/openid-configuration`: discovery (issuer = `http://HOST:PORT`), code flow only, PKCE
  S256, client_secret_basic and client_secret_post.
- `GET /jwks`: the public half of an RSA key (2048 bits) made at start, with its `kid`.
- `GET /authorize`: checks `client_id`, `redirect_uri` (exactly one of those registered; never redirects
  elsewhere: a 400 page instead), `response_type=code`, `scope` with `openid`, a `code_challenge` with
  method S256 (PKCE is required) and a `state`. Errors past the redirect URI check go back to it as
  `error=…&state=…`. With `--consent auto` (default) it consents at once as the configured identity and
  redirects with a code; with `--consent form` it shows a small form with the identity (editable) and a
  consent button (`POST /authorize`).
- `POST /token` (form-encoded): client authentication (Basic or in the body), `grant_type=authorization_code`,
  the code (60 s, single use: a second use is refused and revokes the access token issued with the first,
  RFC 6749 §4.1.2), the same `redirect_uri`, and `code_verifier` whose SHA-256 is the challenge. Answers
  `{"access_token", "token_type": "Bearer", "expires_in", "id_token", "scope"}`; the ID token is RS256
  with `iss`, `sub`, `aud`, `exp`, `iat`, `auth_time`, `nonce`, `name`, `birthdate`, `phone_number` and
  the personal identification number under `so_dinh_danh` (`--national-id-claim`; VNeID's own claim names
  are not public: see tinhso/accounts/oidc.py).
- `GET /userinfo` with `Authorization: Bearer <access token>`: the same claims as JSON.
- `POST /control` (JSON, for tests): `{"identity": {...}}` replaces the identity claims consented as;
  `{"tamper": "signature" | "nonce" | "audience" | "issuer" | "expired" | "alg_none" | "kid" |
  "no_national_id" | ""}` makes the next ID tokens faulty that way; `{"reset": true}` restores both.
- `GET /health`.

It prints one line, `oidc-standin listening on http://HOST:PORT`, once it accepts connections; `--port 0`
(the default) takes a free port, which that line names.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import secrets
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

DEFAULT_CLIENT_ID = "tinhso"
DEFAULT_CLIENT_SECRET = "standin-secret"  # noqa: S105 - a local test provider's well-known secret
DEFAULT_NATIONAL_ID_CLAIM = "so_dinh_danh"
CODE_SECONDS = 60
TOKEN_SECONDS = 300
ID_TOKEN_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024
TAMPERS = frozenset(
    {"", "signature", "nonce", "audience", "issuer", "expired", "alg_none", "kid", "no_national_id"}
)

# The identity consented as unless told otherwise: a valid structure (Hà Nội 001, male, born 1990).
DEFAULT_IDENTITY: dict[str, str] = {
    "sub": "vneid-0001",
    "name": "Nguyễn Văn An",
    "national_id": "001090012345",
    "phone_number": "0912345678",
    "birthdate": "1990-05-17",
}


def _b64url_sha256(value: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode("ascii")).digest()).rstrip(b"=").decode()


class ProviderState:
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        redirect_uris: list[str],
        consent: str,
        national_id_claim: str,
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = set(redirect_uris)
        self.consent = consent
        self.national_id_claim = national_id_claim
        self.lock = threading.Lock()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        # A second key, never published: the "signature" tamper signs with it under the published kid.
        self.foreign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.identity = dict(DEFAULT_IDENTITY)
        self.tamper = ""

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "phone"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "sub",
                "name",
                "birthdate",
                "phone_number",
                self.national_id_claim,
            ],
        }

    def claims_of(self, identity: dict[str, str]) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "sub": identity["sub"],
            "name": identity.get("name", ""),
            "birthdate": identity.get("birthdate", ""),
            "phone_number": identity.get("phone_number", ""),
        }
        if identity.get("national_id"):
            claims[self.national_id_claim] = identity["national_id"]
        return claims

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            **self.claims_of(grant["identity"]),
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "auth_time": grant["auth_time"],
            "exp": now + ID_TOKEN_SECONDS,
            "nonce": grant["nonce"],
        }
        tamper = self.tamper
        key: Any = self.key
        headers = {"kid": self.kid}
        if tamper == "nonce":
            claims["nonce"] = "another-" + secrets.token_urlsafe(8)
        elif tamper == "audience":
            claims["aud"] = "another-client"
        elif tamper == "issuer":
            claims["iss"] = "https://impostor.example"
        elif tamper == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        elif tamper == "signature":
            key = self.foreign_key
        elif tamper == "kid":
            headers = {"kid": "unpublished-key"}
        elif tamper == "no_national_id":
            claims.pop(self.national_id_claim, None)
        if tamper == "alg_none":
            return jwt.encode(claims, "", algorithm="none", headers=headers)
        return jwt.encode(claims, key, algorithm="RS256", headers=headers)


class ProviderServer(ThreadingHTTPServer):
    daemon_threads = True
    state: ProviderState

    def __init__(self, address: tuple[str, int], *, quiet: bool = False) -> None:
        super().__init__(address, Handler)
        self.quiet = quiet


class Handler(BaseHTTPRequestHandler):
    server: ProviderServer
    server_version = "oidc-standin/1"

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    # --- routing ----------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        state = self.server.state
        if parts.path == "/.well-known/openid-configuration":
            self._json(200, state.discovery())
        elif parts.path == "/jwks":
            self._json(200, state.jwks())
        elif parts.path == "/authorize":
            self._authorize(_single(parse_qs(parts.query)), consent_given=False)
        elif parts.path == "/userinfo":
            self._userinfo()
        elif parts.path == "/health":
            self._json(200, {"status": "ok"})
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        raw = self._body()
        if raw is None:
            return
        if path == "/token":
            self._token(_single(parse_qs(raw.decode("utf-8", "replace"))))
        elif path == "/authorize":
            self._authorize(_single(parse_qs(raw.decode("utf-8", "replace"))), consent_given=True)
        elif path == "/control":
            self._control(raw)
        else:
            self._json(404, {"error": "not_found"})

    # --- endpoints --------------------------------------------------------------------------------------

    def _authorize(self, params: dict[str, str], *, consent_given: bool) -> None:
        state = self.server.state
        redirect_uri = params.get("redirect_uri", "")
        if params.get("client_id") != state.client_id:
            self._page(400, "Unknown client_id.")
            return
        if redirect_uri not in state.redirect_uris:
            self._page(400, "redirect_uri is not registered for this client.")
            return
        back: dict[str, str] = {"state": params["state"]} if params.get("state") else {}
        problem = ""
        if params.get("response_type") != "code":
            problem = "unsupported_response_type"
        elif "openid" not in params.get("scope", "").split():
            problem = "invalid_scope"
        elif not params.get("state"):
            problem = "invalid_request"
        elif not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
            problem = "invalid_request"  # PKCE with S256 is required
        if problem:
            self._redirect(redirect_uri, {"error": problem, **back})
            return
        if state.consent == "form" and not consent_given:
            self._consent_form(params)
            return
        if consent_given and params.get("decision") == "deny":
            self._redirect(redirect_uri, {"error": "access_denied", **back})
            return
        with state.lock:
            identity = dict(state.identity)
        if consent_given:
            for field in ("sub", "name", "national_id", "phone_number", "birthdate"):
                if params.get(field):
                    identity[field] = params[field]
        code = secrets.token_urlsafe(32)
        with state.lock:
            state.codes[code] = {
                "client_id": state.client_id,
                "redirect_uri": redirect_uri,
                "code_challenge": params["code_challenge"],
                "nonce": params.get("nonce", ""),
                "scope": params.get("scope", ""),
                "identity": identity,
                "auth_time": int(time.time()),
                "expires": time.monotonic() + CODE_SECONDS,
                "used": False,
                "access_token": None,
            }
        self._redirect(redirect_uri, {"code": code, **back})

    def _token(self, form: dict[str, str]) -> None:
        state = self.server.state
        client_id, secret = self._client_credentials(form)
        if not (
            client_id == state.client_id
            and secret is not None
            and secrets.compare_digest(secret.encode(), state.client_secret.encode())
        ):
            self._json(401, {"error": "invalid_client"}, {"WWW-Authenticate": 'Basic realm="oidc-standin"'})
            return
        if form.get("grant_type") != "authorization_code":
            self._json(400, {"error": "unsupported_grant_type"})
            return
        with state.lock:
            grant = state.codes.get(form.get("code", ""))
            if grant is None or grant["expires"] < time.monotonic():
                self._json(400, {"error": "invalid_grant", "error_description": "unknown or expired code"})
                return
            if grant["used"]:
                # A replayed code: refuse, and withdraw what the first use obtained (RFC 6749 §4.1.2).
                if grant["access_token"]:
                    state.access_tokens.pop(grant["access_token"], None)
                self._json(400, {"error": "invalid_grant", "error_description": "code already used"})
                return
            grant["used"] = True
        if form.get("redirect_uri") != grant["redirect_uri"]:
            self._json(400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"})
            return
        verifier = form.get("code_verifier", "")
        if not verifier or not secrets.compare_digest(_b64url_sha256(verifier), grant["code_challenge"]):
            self._json(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
            return
        access_token = secrets.token_urlsafe(32)
        with state.lock:
            grant["access_token"] = access_token
            state.access_tokens[access_token] = {
                "identity": grant["identity"],
                "expires": time.monotonic() + TOKEN_SECONDS,
            }
            id_token = state.id_token(grant)
        self._json(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": TOKEN_SECONDS,
                "id_token": id_token,
                "scope": grant["scope"],
            },
            {"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def _userinfo(self) -> None:
        state = self.server.state
        header = self.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        with state.lock:
            grant = state.access_tokens.get(token)
        if grant is None or grant["expires"] < time.monotonic():
            self._json(401, {"error": "invalid_token"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return
        self._json(200, state.claims_of(grant["identity"]))

    def _control(self, raw: bytes) -> None:
        state = self.server.state
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            self._json(400, {"error": "body is not JSON"})
            return
        with state.lock:
            if data.get("reset"):
                state.identity = dict(DEFAULT_IDENTITY)
                state.tamper = ""
            if "identity" in data:
                state.identity = {**DEFAULT_IDENTITY, **data["identity"]}
            if "tamper" in data:
                if data["tamper"] not in TAMPERS:
                    self._json(400, {"error": f"tamper must be one of {sorted(TAMPERS)}"})
                    return
                state.tamper = data["tamper"]
            answer = {"identity": state.identity, "tamper": state.tamper}
        self._json(200, answer)

    # --- plumbing ---------------------------------------------------------------------------------------

    def _client_credentials(self, form: dict[str, str]) -> tuple[str | None, str | None]:
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                decoded = base64.b64decode(header[6:], validate=True).decode("utf-8")
            except ValueError:
                return None, None
            client_id, _, secret = decoded.partition(":")
            return unquote(client_id), unquote(secret)
        return form.get("client_id"), form.get("client_secret")

    def _consent_form(self, params: dict[str, str]) -> None:
        state = self.server.state
        with state.lock:
            identity = dict(state.identity)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
            if k not in identity
        )
        fields = "".join(
            f'<p><label>{html.escape(k)} <input name="{html.escape(k)}" value="{html.escape(v)}"></label></p>'
            for k, v in identity.items()
        )
        self._page(
            200,
            f"<h1>VNeID (stand-in)</h1><p>{html.escape(params['client_id'])} asks to know who you are.</p>"
            f'<form method="post" action="/authorize">{hidden}{fields}'
            '<button name="decision" value="allow">Allow</button> '
            '<button name="decision" value="deny">Deny</button></form>',
            escape=False,
        )

    def _body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self._json(413 if length > 0 else 400, {"error": "bad Content-Length"})
            return None
        return self.rfile.read(length)

    def _redirect(self, uri: str, params: dict[str, str]) -> None:
        separator = "&" if urlsplit(uri).query else "?"
        self.send_response(302)
        self.send_header("Location", f"{uri}{separator}{urlencode(params)}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _page(self, status: int, text: str, *, escape: bool = True) -> None:
        content = html.escape(text) if escape else text
        body = f"<!doctype html><meta charset=utf-8><title>VNeID stand-in</title>{content}".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _single(parsed: dict[str, list[str]]) -> dict[str, str]:
    return {k: v[0] for k, v in parsed.items() if v}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument("--redirect-uri", action="append", default=[], help="registered; repeatable")
    parser.add_argument("--consent", choices=["auto", "form"], default="auto")
    parser.add_argument("--national-id-claim", default=DEFAULT_NATIONAL_ID_CLAIM)
    parser.add_argument("--identity", default="", help="JSON object of identity claims to consent as")
    parser.add_argument("--quiet", action="store_true", help="no request log on stderr")
    args = parser.parse_args(argv)

    server = ProviderServer((args.host, args.port), quiet=args.quiet)
    issuer = f"http://{args.host}:{server.server_port}"
    server.state = ProviderState(
        issuer=issuer,
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=args.redirect_uri,
        consent=args.consent,
        national_id_claim=args.national_id_claim,
    )
    if args.identity:
        server.state.identity = {**DEFAULT_IDENTITY, **json.loads(args.identity)}
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    print(f"oidc-standin listening on {issuer}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
