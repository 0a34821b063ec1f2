"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``.

Written by hand as data, next to the views it describes; the test suite runs schemathesis
against it, so a view that drifts from this document fails the build.
"""

from __future__ import annotations

from typing import Any

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema_name: str, description: str, headers: dict | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": _ref(schema_name)}},
    }
    if headers:
        response["headers"] = headers
    return response


def _body(schema_name: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": _ref(schema_name)}}}


CHALLENGE = {"WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}}
BAD_REQUEST = _json(
    "Error", "The body is not the JSON object this operation expects (`invalid_request`)."
)
TOO_LARGE = _json("Error", "The body is larger than `MAX_CONTENT_LENGTH` (`too_large`).")
UNAUTHENTICATED = _json(
    "Error",
    "No usable access token. Without an Authorization header the challenge carries no error "
    "code (RFC 6750, section 3.1); a malformed header gives `invalid_request`, an expired, "
    "forged or revoked-account token `invalid_token`.",
    CHALLENGE,
)
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
# The answer of an endpoint behind ``recent_auth_required``.
STALE_SIGN_IN = _json(
    "Error",
    "No usable access token (as for every call), or the token's sign-in is older than "
    "`RECENT_AUTH_MAX_AGE` seconds: `insufficient_user_authentication`, with the RFC 9470 "
    'challenge `Bearer error="insufficient_user_authentication", max_age="600"`. Sign in '
    "again for a fresh token.",
    CHALLENGE,
)

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {
                "type": "string",
                "description": "A machine-readable code: `invalid_request`, `invalid_token`, "
                "`invalid_grant`, `mfa_required`, `insufficient_user_authentication`, "
                "`unauthorized`, `not_found`, "
                "`method_not_allowed`, `too_large`, `rate_limited`.",
            },
            "message": {"type": "string", "description": "A sentence for people."},
        },
    },
    "TokenRequest": {
        "type": "object",
        "required": ["email", "password"],
        "properties": {
            "email": {"type": "string", "minLength": 1, "example": "person@example.com"},
            "password": {"type": "string", "minLength": 1, "format": "password"},
        },
    },
    "MfaRequired": {
        "type": "object",
        "required": ["error", "mfa_token", "message"],
        "properties": {
            "error": {"type": "string", "enum": ["mfa_required"]},
            "mfa_token": {
                "type": "string",
                "description": "Send it with a code to `/api/auth/token/mfa` within 5 minutes.",
            },
            "message": {"type": "string"},
        },
    },
    "MfaTokenRequest": {
        "type": "object",
        "required": ["mfa_token", "code"],
        "properties": {
            "mfa_token": {"type": "string", "minLength": 1},
            "code": {
                "type": "string",
                "minLength": 1,
                "description": "The 6-digit code from the authenticator app, or a recovery code.",
            },
        },
    },
    "RefreshTokenRequest": {
        "type": "object",
        "required": ["refresh_token"],
        "properties": {"refresh_token": {"type": "string", "minLength": 1}},
    },
    "TokenResponse": {
        "type": "object",
        "required": ["access_token", "refresh_token", "token_type", "expires_in"],
        "properties": {
            "access_token": {"type": "string", "description": "Send as `Authorization: Bearer`."},
            "refresh_token": {
                "type": "string",
                "description": "Keep it; trade it at "
                "`/api/auth/refresh` when the access token expires.",
            },
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_in": {
                "type": "integer",
                "minimum": 0,
                "description": "Seconds until the access token expires.",
            },
        },
    },
    "RefreshResponse": {
        "type": "object",
        "required": ["access_token", "refresh_token", "token_type", "expires_in"],
        "properties": {
            "access_token": {"type": "string"},
            "refresh_token": {
                "type": ["string", "null"],
                "description": "The new refresh token; the one sent is no longer current. "
                "`null` when the sent token was the previous one, shown again "
                "within the grace window (a parallel refresh already replaced "
                "it), or when rotation is off: keep the newest one you hold.",
            },
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_in": {"type": "integer", "minimum": 0},
        },
    },
    "Me": {
        "type": "object",
        "required": ["id", "email", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "email": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "Session": {
        "type": "object",
        "required": ["id", "created_at", "last_seen_at", "user_agent", "ip", "current"],
        "properties": {
            "id": {"type": "string"},
            "created_at": {
                "type": "string",
                "format": "date-time",
                "description": "Sign-in time.",
            },
            "last_seen_at": {
                "type": "string",
                "format": "date-time",
                "description": "Last refresh (or sign-in).",
            },
            "user_agent": {"type": "string", "description": "As sent at sign-in."},
            "ip": {"type": "string", "description": "Address at sign-in."},
            "current": {
                "type": "boolean",
                "description": "The session of the access token making this call.",
            },
        },
    },
    "Export": {
        "type": "object",
        "required": ["format", "exported_at", "account"],
        "description": "Everything stored about the account, secrets left out (no password "
        "hash, no token, key, code or their hashes). Besides `account`, one list per table "
        "that references the account: `sessions`, `activity`, `mail_links`, and any other.",
        "properties": {
            "format": {"type": "string", "enum": ["gatehouse-export/1"]},
            "exported_at": {"type": "string", "format": "date-time"},
            "account": {"type": "object"},
            "sessions": {"type": "array", "items": {"type": "object"}},
            "activity": {"type": "array", "items": {"type": "object"}},
            "mail_links": {"type": "array", "items": {"type": "object"}},
        },
        "additionalProperties": {"type": "array", "items": {"type": "object"}},
    },
    "SessionList": {
        "type": "object",
        "required": ["sessions"],
        "properties": {"sessions": {"type": "array", "items": _ref("Session")}},
    },
}

PATHS: dict[str, Any] = {
    "/api/auth/token": {
        "post": {
            "operationId": "createToken",
            "summary": "Sign in with email and password",
            "description": "Starts a persistent login session (it ends after "
            "`REFRESH_TOKEN_TTL` seconds without a refresh, or `SESSION_MAX_AGE` "
            "after sign-in). Failed attempts are throttled per address and per "
            "email, sharing one budget with the login form.",
            "security": [],
            "requestBody": _body("TokenRequest"),
            "responses": {
                "200": _json("TokenResponse", "Signed in."),
                "400": BAD_REQUEST,
                "413": TOO_LARGE,
                "401": {
                    "description": "Wrong email or password (`invalid_grant`, the same answer "
                    "for both); or the password was right and the account has a second step "
                    "(`mfa_required`, with an `mfa_token` for `/api/auth/token/mfa`).",
                    "headers": CHALLENGE,
                    "content": {JSON: {"schema": {"anyOf": [_ref("MfaRequired"), _ref("Error")]}}},
                },
                "403": _json(
                    "Error",
                    "The password was right but the email address is not "
                    "confirmed yet, and the site requires it "
                    "(`email_not_confirmed`).",
                ),
                "429": _json(
                    "Error",
                    "Too many failed attempts (`rate_limited`).",
                    {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
                ),
            },
        },
    },
    "/api/auth/token/mfa": {
        "post": {
            "operationId": "createTokenSecondStep",
            "summary": "Finish a sign-in that answered `mfa_required`",
            "description": "The `mfa_token` works once and for 5 minutes; a code from the "
            "authenticator app is accepted once, a recovery code is spent. Wrong codes are "
            "throttled per account (`MFA_LIMIT_PER_ACCOUNT`) and per address.",
            "security": [],
            "requestBody": _body("MfaTokenRequest"),
            "responses": {
                "200": _json("TokenResponse", "Signed in."),
                "400": BAD_REQUEST,
                "413": TOO_LARGE,
                "401": _json(
                    "Error",
                    "The `mfa_token` is unknown or expired, or the code is wrong or was used "
                    "already (`invalid_grant`).",
                    CHALLENGE,
                ),
                "429": _json(
                    "Error",
                    "Too many wrong codes (`rate_limited`).",
                    {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
                ),
            },
        },
    },
    "/api/auth/refresh": {
        "post": {
            "operationId": "refreshToken",
            "summary": "Trade a refresh token for a new access token",
            "description": "Each use replaces the refresh token (rotation). The previous token, "
            "shown again within `REFRESH_REUSE_GRACE` seconds, gets an access "
            "token and `refresh_token: null`; any other replaced token is taken "
            "as stolen and ends the whole session.",
            "security": [],
            "requestBody": _body("RefreshTokenRequest"),
            "responses": {
                "200": _json("RefreshResponse", "A new access token (and refresh token)."),
                "400": BAD_REQUEST,
                "413": TOO_LARGE,
                "401": _json(
                    "Error",
                    "The refresh token is invalid, expired, revoked or reused (`invalid_grant`).",
                    CHALLENGE,
                ),
            },
        },
    },
    "/api/auth/logout": {
        "post": {
            "operationId": "logout",
            "summary": "End the refresh token's session",
            "description": "Idempotent: an unknown, expired or already ended token also gets "
            "204 and changes nothing. Access tokens already issued stay valid "
            "until they expire (at most `ACCESS_TOKEN_TTL` seconds).",
            "security": [],
            "requestBody": _body("RefreshTokenRequest"),
            "responses": {
                "204": {"description": "The session is ended (or there was none to end)."},
                "400": BAD_REQUEST,
                "413": TOO_LARGE,
            },
        },
    },
    "/api/me": {
        "get": {
            "operationId": "me",
            "summary": "The signed-in account",
            "security": BEARER,
            "responses": {
                "200": _json("Me", "The account."),
                "401": UNAUTHENTICATED,
            },
        },
        "delete": {
            "operationId": "deleteMe",
            "summary": "Delete the account",
            "description": "Deletes the account and everything stored about it in one "
            "transaction; every session ends at once, its access tokens included (through "
            "the revocation list), and a goodbye mail goes to the address, which can sign "
            "up again.",
            "security": BEARER,
            "responses": {
                "204": {"description": "The account is deleted."},
                "401": STALE_SIGN_IN,
            },
        },
    },
    "/api/me/export": {
        "get": {
            "operationId": "exportMe",
            "summary": "Download everything stored about the account",
            "description": "One JSON document, sent as an attachment "
            "(`Content-Disposition: attachment`). Throttled per account "
            "(`EXPORT_LIMIT`, shared with the account page's download).",
            "security": BEARER,
            "responses": {
                "200": _json("Export", "The account's data."),
                "401": STALE_SIGN_IN,
                "429": _json(
                    "Error",
                    "Too many exports (`rate_limited`).",
                    {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
                ),
            },
        },
    },
    "/api/sessions": {
        "get": {
            "operationId": "listSessions",
            "summary": "The account's active login sessions, newest first",
            "security": BEARER,
            "responses": {
                "200": _json("SessionList", "Sessions that can still be refreshed."),
                "401": UNAUTHENTICATED,
            },
        },
    },
    "/api/sessions/{sid}": {
        "delete": {
            "operationId": "endSession",
            "summary": "End one of the account's sessions",
            "description": "The session's refresh tokens stop working at once; its access "
            "tokens run out within `ACCESS_TOKEN_TTL` seconds.",
            "security": BEARER,
            "parameters": [
                {
                    "name": "sid",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1},
                    "description": "A session id from `GET /api/sessions`.",
                }
            ],
            "responses": {
                "204": {"description": "The session is ended."},
                "401": _json(
                    "Error",
                    "No usable access token (as for every call), or the token's sign-in is "
                    "older than `RECENT_AUTH_MAX_AGE` seconds and the session is not the "
                    "caller's own: `insufficient_user_authentication`, with the RFC 9470 "
                    'challenge `Bearer error="insufficient_user_authentication", '
                    'max_age="600"`. Sign in again for a fresh token.',
                    CHALLENGE,
                ),
                "404": _json(
                    "Error",
                    "No active session of this account has this id "
                    "(`not_found`); other accounts' sessions look the same.",
                ),
            },
        },
    },
    "/api/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1.",
                    "content": {JSON: {"schema": {"type": "object"}}},
                },
            },
        },
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Gatehouse JSON API",
        "version": "1.0.0",
        "description": "Bearer-token access for scripts and apps, on the same login sessions "
        "as the website. The API reads no cookies and sets none, so it needs no "
        'CSRF token. Errors are JSON objects `{"error", "message"}`; every '
        "401 carries a `WWW-Authenticate: Bearer` challenge.",
    },
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "The access token from `/api/auth/token` or `/api/auth/refresh`.",
            },
        },
        "headers": {
            "WWW-Authenticate": {
                "description": "A Bearer challenge (RFC 6750).",
                "required": True,
                "schema": {"type": "string"},
            },
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "required": True,
                "schema": {"type": "integer"},
            },
        },
    },
}


def openapi_document() -> dict[str, Any]:
    return DOCUMENT
