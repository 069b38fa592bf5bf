"""Platform API cross-cutting rules: auth, headers, error bodies, limits, content types, tokens/me, orgs, clients."""

import time

from conftest import ADMIN, BOT, ORG, SHORT, Client, assert_error


def test_missing_token_is_authentication_required(http):
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        resp = http.request("GET", "/api/v2/organizations/me", headers=headers)
        assert_error(resp, 401, "authentication.required")


def test_unknown_token_is_bad_credentials(http):
    body = assert_error(http.request("GET", "/api/v2/identityproviders", token="not-a-token"), 401, "bad.credentials")
    assert body["message"] == "Invalid login credentials."


def test_expired_token_is_bad_credentials(http):
    token = http.token(SHORT)  # accessTokenValiditySeconds 1
    assert http.request("GET", "/api/v2/organizations/me", token=token).status_code == 200
    time.sleep(1.2)
    assert_error(http.request("GET", "/api/v2/organizations/me", token=token), 401, "bad.credentials")


def test_expire_tokens_control(emu, http):
    token = http.token(BOT)
    other = Client(emu).token(("beta-admin", "beta-secret"))
    assert emu.expire_tokens(org=ORG)["expired"] >= 1
    assert_error(http.request("GET", "/api/v2/tokens/me", token=token), 401, "bad.credentials")
    assert http.request("GET", "/api/v2/tokens/me", token=other).status_code == 200
    emu.expire_tokens()
    assert_error(http.request("GET", "/api/v2/tokens/me", token=other), 401, "bad.credentials")


def test_disabled_client_tokens_stop_working(emu, http):
    emu.reset()
    token = http.token(BOT)
    emu.patch_client(ORG, BOT[0], state="disabled")
    assert_error(http.request("GET", "/api/v2/tokens/me", token=token), 401, "bad.credentials")
    assert http.token_response(BOT).status_code == 401
    emu.patch_client(ORG, BOT[0], state="active")
    assert http.request("GET", "/api/v2/tokens/me", token=token).status_code == 200
    emu.patch_client(ORG, BOT[0], secret="rotated")
    assert http.token_response(BOT).status_code == 401
    assert http.token_response((BOT[0], "rotated")).status_code == 200
    emu.reset()


def test_headers_on_every_response(http):
    token = http.token(ADMIN)
    for resp in (http.request("GET", "/api/v2/organizations/me", token=token),
                 http.request("GET", "/api/v2/identityproviders/okta", token=token),
                 http.request("GET", "/api/v2/organizations/me"),
                 http.token_response(("x", "y"))):
        assert len(resp.headers["ININ-Correlation-Id"]) == 36
        for name in ("inin-ratelimit-allowed", "inin-ratelimit-count", "inin-ratelimit-reset"):
            assert int(resp.headers[name]) >= 0
    a = http.request("GET", "/api/v2/organizations/me", token=token)
    b = http.request("GET", "/api/v2/organizations/me", token=token)
    assert a.headers["ININ-Correlation-Id"] != b.headers["ININ-Correlation-Id"]
    assert int(b.headers["inin-ratelimit-count"]) == int(a.headers["inin-ratelimit-count"]) + 1
    assert a.headers["inin-ratelimit-allowed"] == "300"


def test_tokens_me_get_head_delete(http):
    token = http.token(ADMIN)
    body = http.request("GET", "/api/v2/tokens/me", token=token).json()
    assert body["organization"] == {"id": "5d3e1a2b-0000-4000-8000-000000000001", "name": "Acme Production"}
    assert body["homeOrganization"] == body["organization"]
    client = body["OAuthClient"]
    assert client["id"] == ADMIN[0] and client["authorizedGrantType"] == "CLIENT-CREDENTIALS"
    assert client["roleDivisions"] == [{"roleId": "3b7c0000-0000-4000-8000-000000000001", "divisionId": "*"}]
    assert client["organization"]["id"] == body["organization"]["id"]
    assert "secret" not in str(body).lower()
    head = http.request("HEAD", "/api/v2/tokens/me", token=token)
    assert head.status_code == 200 and head.content == b""
    resp = http.request("DELETE", "/api/v2/tokens/me", token=token)
    assert resp.status_code == 200 and resp.content == b""
    assert_error(http.request("GET", "/api/v2/tokens/me", token=token), 401, "bad.credentials")
    assert http.request("HEAD", "/api/v2/tokens/me", token=token).status_code == 401


def test_organizations_me(http):
    org = http.request("GET", "/api/v2/organizations/me", token=http.token(ADMIN)).json()
    assert org["thirdPartyOrgName"] == ORG and org["name"] == "Acme Production"
    assert org["id"] == "5d3e1a2b-0000-4000-8000-000000000001" and org["domain"] == "mypurecloud.ie"
    assert org["selfUri"] == "/api/v2/organizations/" + org["id"]
    beta = http.request("GET", "/api/v2/organizations/me", token=http.token(("beta-admin", "beta-secret"))).json()
    assert beta["thirdPartyOrgName"] == "beta-org" and beta["id"] != org["id"]


def test_oauth_clients_never_expose_secrets(http):
    token = http.token(ADMIN)
    resp = http.request("GET", "/api/v2/oauth/clients", token=token)
    listing = resp.json()
    assert listing["total"] == 9 and listing["pageNumber"] == 1
    assert "secret" not in resp.text and "-secret" not in resp.text
    one = http.request("GET", "/api/v2/oauth/clients/pw-client", token=token).json()
    assert one["authorizedGrantType"] == "PASSWORD" and one["scope"] == ["identity-providers"]
    assert "secret" not in one
    assert_error(http.request("GET", "/api/v2/oauth/clients/beta-admin", token=token), 404, "client.not.found")


def test_body_too_large_is_413(http):
    token = http.token(ADMIN)
    big = b'{"name": "' + b"x" * 512001 + b'"}'
    assert_error(http.request("PUT", "/api/v2/identityproviders/okta", token=token, data=big,
                              headers={"Content-Type": "application/json"}), 413, "request.entity.too.large")
    # chunked (no Content-Length) is measured too
    assert_error(http.request("PUT", "/api/v2/identityproviders/okta", token=token, data=iter([big[:300000], big[300000:]]),
                              headers={"Content-Type": "application/json"}), 413, "request.entity.too.large")


def test_wrong_content_type_is_415(http):
    token = http.token(ADMIN)
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        assert_error(http.request("PUT", "/api/v2/identityproviders/okta", token=token, data=b'{"a": 1}',
                                  headers={"Content-Type": ctype}), 415, "unsupported.media.type")
    resp = http.request("POST", "/api/v2/identityproviders", token=token, data=b'{"name": 1',
                        headers={"Content-Type": "application/json; charset=UTF-8"})
    assert_error(resp, 400, "bad.request")


def test_malformed_json_is_400(http):
    token = http.token(ADMIN)
    for raw in (b"{bad", b'{"name": "x",}', b"\xff\xfe", b"nul"):
        assert_error(http.request("PUT", "/api/v2/identityproviders/okta", token=token, data=raw,
                                  headers={"Content-Type": "application/json"}), 400, "bad.request")


def test_unknown_paths_and_methods(http):
    token = http.token(ADMIN)
    assert_error(http.request("GET", "/api/v2/users/me", token=token), 404, "not.found")
    assert_error(http.request("PATCH", "/api/v2/identityproviders/okta", token=token, json={}), 404, "not.found")
    # unknown paths still need a token, like the real API
    assert_error(http.request("GET", "/api/v2/users/me"), 401, "authentication.required")
