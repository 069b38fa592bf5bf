"""The login service's token endpoint and the token's own API (``/api/v2/tokens/me``)."""

import base64
import binascii
import datetime
import hmac

from starlette.responses import Response

from .. import saml as saml_check
from ..errors import OAUTH_HEADERS, OAuthError
from ..routing import RouteList, json_response
from ._entities import org_entity, role_divisions

ROUTES = RouteList()

SUPPORTED_GRANTS = {
    "client_credentials": "CLIENT-CREDENTIALS",
    "password": "PASSWORD",
    "urn:ietf:params:oauth:grant-type:saml2-bearer": "SAML2-BEARER",
}


@ROUTES("POST", "/oauth/token")
async def oauth_token(rc):
    store = rc.store
    fields = rc.form(OAuthError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"))
    client_id = secret = None
    auth = rc.headers.get("authorization", "")
    if auth[:6].lower() == "basic ":
        try:
            client_id, secret = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8").split(":", 1)
        except (binascii.Error, ValueError):
            client_id = secret = None
    else:
        client_id, secret = fields.get("client_id"), fields.get("client_secret")
    org, client = store.client(client_id) if client_id else (None, None)
    if client is None or secret is None or not hmac.compare_digest(client["secret"].encode(), secret.encode()):
        raise OAuthError(401, "invalid_client", "authentication failed")
    allowed, count, reset, limit = store.hit("login:" + client["id"], store.token_rate_limit)
    rc.rl = (limit, count, reset)
    if not allowed:
        raise OAuthError(400, "invalid_request",
                         "rate limit exceeded; the client may request at most %d tokens per minute, retry in %d "
                         "seconds" % (limit, reset))
    if client["state"] != "active":
        raise OAuthError(401, "invalid_client", "client is %s" % client["state"])
    grant = fields.get("grant_type")
    if not grant:
        raise OAuthError(400, "invalid_request", "missing grant_type")
    if grant not in SUPPORTED_GRANTS:
        raise OAuthError(400, "unsupported_grant_type", "unsupported grant type: %s" % grant[:80])
    if SUPPORTED_GRANTS[grant] != client["grant_type"]:
        raise OAuthError(400, "unauthorized_client",
                         "the client is not authorized for this grant type (client grant type: %s)"
                         % client["grant_type"])
    user = None
    if grant == "password":
        entry = org["users"].get((fields.get("username") or "").lower())
        if entry is None or not hmac.compare_digest(entry["password"].encode(),
                                                    (fields.get("password") or "").encode()):
            raise OAuthError(400, "invalid_grant", "authentication failed")
        user = entry["email"]
    elif SUPPORTED_GRANTS[grant] == "SAML2-BEARER":
        org_name = fields.get("orgName")
        if not org_name:
            raise OAuthError(400, "invalid_request", "missing orgName")
        if org_name != org["name"]:
            raise OAuthError(400, "invalid_grant", "orgName does not match the client's organization")
        try:
            result = saml_check.verify(store, fields.get("assertion"), expect_org=org_name,
                                       acs_url=saml_check.endpoint_urls(rc)[0],
                                       token_url=saml_check.endpoint_urls(rc)[1])
        except saml_check.SamlError as err:
            raise OAuthError(400, "invalid_grant", "assertion rejected: %s" % err.reason) from None
        user = result["email"]
    token, ttl = store.issue_token(org, client, user)
    rc.user = user
    return json_response({"access_token": token, "token_type": "bearer", "expires_in": ttl}, headers=OAUTH_HEADERS)


@ROUTES("GET", "/api/v2/tokens/me")
async def tokens_me(rc):
    org, client = rc.current()
    oclient = {
        "id": client["id"],
        "name": client["name"],
        "dateCreated": client["date_created"],
        "dateModified": client["date_modified"],
        "authorizedGrantType": client["grant_type"],
        "roleDivisions": role_divisions(client),
        "state": client["state"],
        "organization": org_entity(org),
    }
    if client["grant_type"] != "CLIENT-CREDENTIALS":
        oclient["scope"] = client.get("scope") or []
    rec = rc.store.tokens[rc.token]
    body = {
        "organization": org_entity(org),
        "homeOrganization": org_entity(org),
        "authorizedScope": client.get("scope") or [],
        "dateTokenIdles": datetime.datetime.fromtimestamp(rec["expires"], datetime.timezone.utc)
        .strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "OAuthClient": oclient,
    }
    return json_response(body)


@ROUTES("HEAD", "/api/v2/tokens/me")
async def tokens_me_head(rc):  # pylint: disable=unused-argument
    return Response(status_code=200)


@ROUTES("DELETE", "/api/v2/tokens/me")
async def tokens_me_delete(rc):
    rc.store.revoke(rc.token)
    return Response(status_code=200)
