"""A small but real OpenID Connect provider for the tests, built from Authlib's server
parts: an authorization server with the authorization-code grant, the OpenID Connect code
extension (ID tokens signed with an RSA key made at start) and PKCE (required), a
discovery document, a JWKS and an end-session endpoint. It runs in a thread on loopback.

The authorize endpoint signs in ``chosen`` (one of ``users``) without asking, as a provider
does for someone already signed in there. Variants for the tests: ``signing_key`` (sign
with another key than the JWKS publishes) and ``tamper`` (claims laid over the ID token's,
e.g. another ``aud``, an ``exp`` in the past, another ``nonce``).
"""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import AuthorizationCodeMixin, UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, request
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

KID = "test-key-1"


def new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig", "alg": "RS256"})


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in {"openid", "email", "profile"})

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict[str, Any]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class Provider:
    """The provider and its knobs; ``start()`` serves it at ``issuer``."""

    def __init__(self, client_id: str = "portal",
                 client_secret: str = "s3cret-for-tests") -> None:  # noqa: S107 (a test's)
        self.key = new_key()
        self.signing_key = self.key
        self.client = Client(client_id, client_secret, [])
        self.users: dict[str, dict[str, Any]] = {}
        self.chosen = ""
        self.tamper: dict[str, Any] = {}
        self.codes: dict[str, Code] = {}
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests = 0
        self.logouts: list[dict[str, str]] = []
        self.issuer = ""
        self.app = self._make_app()

    def reset(self) -> None:
        self.signing_key = self.key
        self.users.clear()
        self.chosen = ""
        self.tamper = {}
        self.codes.clear()
        self.authorize_requests.clear()
        self.token_requests = 0
        self.logouts.clear()

    def add_user(self, sub: str, email: str, *, verified: bool = True,
                 name: str = "") -> None:
        self.users[sub] = {"sub": sub, "email": email, "email_verified": verified,
                           "name": name or email.split("@")[0].title()}
        self.chosen = sub

    # ------------------------------------------------------------ the server

    def _make_app(self) -> Flask:
        provider = self
        app = Flask("test_oidc_provider")
        app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = False

        class Grant(AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]  # noqa: S105

            def save_authorization_code(self, code: str, req: Any) -> None:
                payload = req.payload
                provider.codes[code] = Code(
                    code=code, client_id=payload.client_id, redirect_uri=payload.redirect_uri,
                    scope=payload.scope, user=req.user, nonce=payload.data.get("nonce"),
                    code_challenge=payload.data.get("code_challenge"),
                    code_challenge_method=payload.data.get("code_challenge_method"))

            def query_authorization_code(self, code: str, client: Any) -> Code | None:
                row = provider.codes.get(code)
                return row if row and row.client_id == client.get_client_id() else None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> dict[str, Any]:
                return authorization_code.user

        class OpenID(OpenIDCode):
            def exists_nonce(self, nonce: str, req: Any) -> bool:
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client: Any) -> Any:
                return provider.signing_key

            def get_client_algorithm(self, client: Any) -> str:
                return "RS256"

            def get_encode_header(self, client: Any) -> dict[str, str]:
                return {"alg": "RS256", "kid": KID}

            def get_client_claims(self, client: Any) -> dict[str, Any]:
                return {"iss": provider.issuer, "aud": [client.get_client_id()],
                        "exp": int(time.time()) + 300}

            def generate_user_info(self, user: dict[str, Any], scope: str) -> UserInfo:
                info = UserInfo(sub=user["sub"])
                if "email" in scope:
                    info.update(email=user["email"], email_verified=user["email_verified"])
                if "profile" in scope:
                    info["name"] = user["name"]
                info.update(provider.tamper)  # laid over everything: the altered claims
                return info

        server = AuthorizationServer(
            app, query_client=lambda cid: provider.client if cid == provider.client.client_id
            else None, save_token=lambda token, req: None)
        server.register_grant(Grant, [OpenID(require_nonce=True), CodeChallenge(required=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            base = provider.issuer
            return jsonify({
                "issuer": base, "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token", "jwks_uri": f"{base}/jwks",
                "end_session_endpoint": f"{base}/logout",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"]})

        @app.get("/jwks")
        def jwks() -> Any:
            return jsonify({"keys": [provider.key.as_dict(private=False)]})

        @app.get("/authorize")
        def authorize() -> Any:
            provider.authorize_requests.append(request.args.to_dict())
            user = provider.users.get(provider.chosen)
            try:
                grant = server.get_consent_grant(end_user=user)
            except OAuth2Error as error:
                return jsonify(error=error.error), 400
            return server.create_authorization_response(grant=grant, grant_user=user)

        @app.post("/token")
        def token() -> Any:
            provider.token_requests += 1
            return server.create_token_response()

        @app.get("/logout")
        def logout() -> Any:
            provider.logouts.append(request.args.to_dict())
            return "signed out"

        return app

    def start(self) -> None:
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
