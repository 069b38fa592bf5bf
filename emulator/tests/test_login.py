"""POST /oauth/token: grants, client authentication, error bodies, token rate limit."""

import pytest

from conftest import ADMIN, BOT, DISABLED, ORG, ORG2, PASSWORD_CLIENT, SAML_CLIENT, SHORT, USER


def oauth_error(resp, status, error):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error"] == error
    assert body["description"] == body["error_description"]
    assert resp.headers["ININ-Correlation-Id"]
    return body


def test_client_credentials_basic_auth(http):
    resp = http.token_response(ADMIN)
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 86400
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["inin-ratelimit-allowed"] == "300"
    assert int(resp.headers["inin-ratelimit-count"]) >= 1


def test_client_credentials_form_fields(http):
    resp = http.token_response(BOT, basic=False)
    assert resp.status_code == 200
    me = http.request("GET", "/api/v2/tokens/me", token=resp.json()["access_token"]).json()
    assert me["OAuthClient"]["id"] == BOT[0]


def test_expires_in_is_client_validity(http):
    assert http.token_response(SHORT).json()["expires_in"] == 1


@pytest.mark.parametrize("creds", [(ADMIN[0], "wrong"), ("unknown", "x"), ("", "")])
def test_bad_client_is_invalid_client(http, creds):
    body = oauth_error(http.token_response(creds), 401, "invalid_client")
    assert body == {"error": "invalid_client", "description": "authentication failed",
                    "error_description": "authentication failed"}


def test_no_credentials_at_all(http):
    resp = http.session.post(http.url + "/oauth/token", data={"grant_type": "client_credentials"},
                             verify=http.emu.ca_path)
    oauth_error(resp, 401, "invalid_client")


def test_disabled_client_refused(http):
    body = oauth_error(http.token_response(DISABLED), 401, "invalid_client")
    assert "disabled" in body["description"]


def test_unsupported_grant_type(http):
    oauth_error(http.token_response(ADMIN, grant="authorization_code", code="x"), 400, "unsupported_grant_type")
    oauth_error(http.token_response(ADMIN, grant="refresh_token", refresh_token="x"), 400, "unsupported_grant_type")


def test_missing_grant_type(http):
    resp = http.session.post(http.url + "/oauth/token", data={"x": "1"}, auth=ADMIN, verify=http.emu.ca_path)
    oauth_error(resp, 400, "invalid_request")


def test_non_form_body_refused(http):
    resp = http.session.post(http.url + "/oauth/token", json={"grant_type": "client_credentials"}, auth=ADMIN,
                             verify=http.emu.ca_path)
    oauth_error(resp, 400, "invalid_request")


def test_grant_must_match_client_grant_type(http):
    oauth_error(http.token_response(PASSWORD_CLIENT), 400, "unauthorized_client")
    oauth_error(http.token_response(ADMIN, grant="password", username=USER[0], password=USER[1]), 400,
                "unauthorized_client")


def test_password_grant(http):
    resp = http.token_response(PASSWORD_CLIENT, grant="password", username=USER[0], password=USER[1])
    assert resp.status_code == 200, resp.text
    me = http.request("GET", "/api/v2/tokens/me", token=resp.json()["access_token"]).json()
    assert me["OAuthClient"]["authorizedGrantType"] == "PASSWORD"
    assert me["OAuthClient"]["scope"] == ["identity-providers"]
    oauth_error(http.token_response(PASSWORD_CLIENT, grant="password", username=USER[0], password="bad"), 400,
                "invalid_grant")
    oauth_error(http.token_response(PASSWORD_CLIENT, grant="password", username="who@x", password=USER[1]), 400,
                "invalid_grant")


def test_saml2_bearer_grant(emu, http, idp):
    emu.reset()
    admin = http.token(ADMIN)
    resp = http.request("PUT", "/api/v2/identityproviders/okta", token=admin,
                        json={"name": "Okta", "issuerURI": idp.entity_id, "ssoTargetURI": idp.sso_url,
                              "certificates": [idp.certificate_b64], "relyingPartyIdentifier": "urn:acme"})
    assert resp.status_code == 200, resp.text
    grant = "urn:ietf:params:oauth:grant-type:saml2-bearer"
    assertion = idp.signed_assertion(USER[0], ORG, audience="urn:acme")
    resp = http.token_response(SAML_CLIENT, grant=grant, orgName=ORG, assertion=assertion)
    assert resp.status_code == 200, resp.text
    me = http.request("GET", "/api/v2/tokens/me", token=resp.json()["access_token"])
    assert me.status_code == 200 and me.json()["OAuthClient"]["authorizedGrantType"] == "SAML2-BEARER"
    # wrong org name, bad audience, foreign signer, unknown user, client of another grant type
    oauth_error(http.token_response(SAML_CLIENT, grant=grant, orgName=ORG2, assertion=assertion), 400, "invalid_grant")
    bad_aud = idp.signed_assertion(USER[0], ORG, audience="urn:other")
    body = oauth_error(http.token_response(SAML_CLIENT, grant=grant, orgName=ORG, assertion=bad_aud), 400,
                       "invalid_grant")
    assert "Audience" in body["description"]
    from genesys_emulator.saml_idp import TestIdP
    forged = idp.signed_assertion(USER[0], ORG, audience="urn:acme", signer=TestIdP())
    body = oauth_error(http.token_response(SAML_CLIENT, grant=grant, orgName=ORG, assertion=forged), 400,
                       "invalid_grant")
    assert "signature" in body["description"]
    stranger = idp.signed_assertion("mallory@acme.example", ORG, audience="urn:acme")
    oauth_error(http.token_response(SAML_CLIENT, grant=grant, orgName=ORG, assertion=stranger), 400, "invalid_grant")
    oauth_error(http.token_response(SAML_CLIENT, grant=grant, assertion=assertion), 400, "invalid_request")
    oauth_error(http.token_response(ADMIN, grant=grant, orgName=ORG, assertion=assertion), 400, "unauthorized_client")
    # a disabled provider is no longer trusted
    resp = http.request("PUT", "/api/v2/identityproviders/okta", token=admin,
                        json={"name": "Okta", "issuerURI": idp.entity_id, "certificates": [idp.certificate_b64],
                              "disabled": True})
    assert resp.status_code == 200
    oauth_error(http.token_response(SAML_CLIENT, grant=grant, orgName=ORG, assertion=assertion), 400, "invalid_grant")
