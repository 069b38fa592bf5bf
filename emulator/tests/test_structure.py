"""The emulator's structure as a contract (in-process, no server): one route table without duplicates in which
every route is reachable, one error function whose shape every error answer has, and provider writes whose
bookkeeping (snapshot, last_write, state file, lag shadows) runs exactly once, in the store's provider methods."""

import asyncio
import base64
import json

import pytest
from pydantic import ValidationError as PydanticValidationError

from conftest import ADMIN, BETA_ADMIN, NOPERM, ORG, ORG2, seed
from genesys_emulator import errors, providers, routes
from genesys_emulator import variants as variants_mod
from genesys_emulator.app import Emulator
from genesys_emulator.routing import Route, RouteTable
from genesys_emulator.saml import SamlError
from genesys_emulator.store import Store
from genesys_emulator.validation import ValidationError

OKTA = {"name": "Okta", "issuerURI": "https://idp.example/entity", "ssoTargetURI": "https://idp.example/sso"}
ERROR_KEYS = {"message", "code", "status", "contextId", "details", "errors"}
FORM = ("content-type", "application/x-www-form-urlencoded")


def call(emu, method, path, body=b"", headers=(), query=b""):
    """One request through the ASGI app: (status, headers dict, body bytes)."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers = list(headers) + [("content-type", "application/json")]
    elif isinstance(body, str):
        body = body.encode()
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
    scope = {"type": "http", "method": method, "path": path, "query_string": query, "scheme": "https",
             "server": ("127.0.0.1", 8443), "client": ("127.0.0.1", 1), "root_path": "",
             "headers": [(k.encode(), v.encode()) for k, v in [("host", "127.0.0.1:8443")] + list(headers)]}
    asyncio.run(emu(scope, receive, send))
    start = sent[0]
    return (start["status"], {k.decode(): v.decode() for k, v in start["headers"]},
            b"".join(m.get("body", b"") for m in sent[1:]))


def token(emu, client):
    basic = base64.b64encode(("%s:%s" % client).encode()).decode()
    status, _, body = call(emu, "POST", "/oauth/token", "grant_type=client_credentials",
                           [("authorization", "Basic " + basic), FORM])
    assert status == 200, body
    return json.loads(body)["access_token"]


@pytest.fixture()
def emulator():
    return Emulator(Store(seed()))


def bearer(tok):
    return [("authorization", "Bearer " + tok)]


# every route of the table: (request, expected status, answer shape). "error" / "oauth" / "saml": a bad request
# the handler refuses; "ok": a route with no input to refuse (reached, 200).
ROUTE_CASES = {
    ("POST", "/oauth/token"): (dict(path="/oauth/token", body="grant_type=client_credentials"), 400, "oauth"),
    ("GET", "/api/v2/tokens/me"): (dict(path="/api/v2/tokens/me", auth="admin"), 200, "ok"),
    ("HEAD", "/api/v2/tokens/me"): (dict(path="/api/v2/tokens/me", auth="admin"), 200, "ok"),
    ("DELETE", "/api/v2/tokens/me"): (dict(path="/api/v2/tokens/me", auth="admin"), 200, "ok"),
    ("POST", "/saml"): (dict(path="/saml", body="SAMLResponse=x"), 415, "saml"),
    ("GET", "/api/v2/identityproviders"): (dict(path="/api/v2/identityproviders", auth="noperm"), 403, "error"),
    ("POST", "/api/v2/identityproviders"): (dict(path="/api/v2/identityproviders", auth="admin", body=[1]), 400,
                                            "error"),
    ("GET", "/api/v2/identityproviders/{key}"): (dict(path="/api/v2/identityproviders/okta", auth="admin"), 404,
                                                 "error"),
    ("PUT", "/api/v2/identityproviders/{key}"): (dict(path="/api/v2/identityproviders/okta", auth="admin",
                                                      body={"name": "no issuer"}), 400, "error"),
    ("DELETE", "/api/v2/identityproviders/{key}"): (dict(path="/api/v2/identityproviders/okta", auth="admin"),
                                                    404, "error"),
    ("GET", "/api/v2/organizations/me"): (dict(path="/api/v2/organizations/me", auth="admin"), 200, "ok"),
    ("GET", "/api/v2/oauth/clients"): (dict(path="/api/v2/oauth/clients", auth="noperm"), 403, "error"),
    ("GET", "/api/v2/oauth/clients/{client_id}"): (dict(path="/api/v2/oauth/clients/nope", auth="admin"), 404,
                                                   "error"),
    ("GET", "/api/v2/authorization/roles/{role_id}"): (dict(path="/api/v2/authorization/roles/r", auth="beta"),
                                                       404, "error"),
    ("GET", "/_emulator/health"): (dict(path="/_emulator/health"), 200, "ok"),
    ("GET", "/_emulator/requests"): (dict(path="/_emulator/requests", query=b"since=x"), 400, "error"),
    ("DELETE", "/_emulator/requests"): (dict(path="/_emulator/requests"), 200, "ok"),
    ("POST", "/_emulator/faults"): (dict(path="/_emulator/faults", body={"nope": 1}), 400, "error"),
    ("GET", "/_emulator/faults"): (dict(path="/_emulator/faults"), 200, "ok"),
    ("DELETE", "/_emulator/faults"): (dict(path="/_emulator/faults"), 200, "ok"),
    ("DELETE", "/_emulator/faults/{fault_id}"): (dict(path="/_emulator/faults/fault-9"), 404, "error"),
    ("POST", "/_emulator/reset"): (dict(path="/_emulator/reset"), 200, "ok"),
    ("GET", "/_emulator/variants"): (dict(path="/_emulator/variants"), 200, "ok"),
    ("POST", "/_emulator/variants"): (dict(path="/_emulator/variants", body={"nope": 1}), 400, "error"),
    ("DELETE", "/_emulator/variants"): (dict(path="/_emulator/variants"), 200, "ok"),
    ("GET", "/_emulator/state"): (dict(path="/_emulator/state"), 200, "ok"),
    ("GET", "/_emulator/config"): (dict(path="/_emulator/config"), 200, "ok"),
    ("PATCH", "/_emulator/config"): (dict(path="/_emulator/config", body={"nope": 1}), 400, "error"),
    ("POST", "/_emulator/orgs"): (dict(path="/_emulator/orgs", body="5"), 400, "error"),
    ("PATCH", "/_emulator/orgs/{name}/clients/{client_id}"): (dict(path="/_emulator/orgs/x/clients/y", body={}),
                                                              404, "error"),
    ("POST", "/_emulator/orgs/{name}/clients"): (dict(path="/_emulator/orgs/x/clients", body={}), 404, "error"),
    ("POST", "/_emulator/tokens/expire"): (dict(path="/_emulator/tokens/expire", body={"org": "x"}), 404, "error"),
}


def test_route_table_has_no_duplicate_and_holds_every_route_file():
    table = routes.build_table()
    assert len(table.keys()) == len(set(table.keys()))
    assert len(table.routes) == sum(len(module.ROUTES) for module in routes.FILES)
    first = table.routes[0]
    with pytest.raises(ValueError, match="duplicate route POST /oauth/token"):
        table.add(Route(first.method, first.pattern, first.handler))
    with pytest.raises(ValueError, match="duplicate route"):
        RouteTable([Route("GET", "/x/{a}", first.handler), Route("GET", "/x/{a}", first.handler)])


def test_every_route_has_a_case_and_a_path_only_its_own_route_matches():
    table = routes.build_table()
    assert set(ROUTE_CASES) == set(table.keys()), "a route without a case in ROUTE_CASES (or a case too many)"
    for (method, pattern), (request, _, _) in ROUTE_CASES.items():
        route, _ = table.match(method, request["path"])
        assert route is not None and route.key == (method, pattern), (method, request["path"])
        others = [r.key for r in table.routes if r.method == method and r.key != (method, pattern) and (
            r.pattern == request["path"] if r.regex is None else r.regex.match(request["path"]))]
        assert others == [], "ambiguous routes for %s %s: %s" % (method, request["path"], others)


def test_every_route_is_reached_and_errors_have_the_one_shape(emulator):
    reached = []

    def spy(route):
        async def handler(rc, **params):
            reached.append(route.key)
            return await route.handler(rc, **params)
        return Route(route.method, route.pattern, handler)
    emulator.routes = RouteTable([spy(r) for r in emulator.routes.routes])
    tokens = {"admin": token(emulator, ADMIN), "noperm": token(emulator, NOPERM), "beta": token(emulator, BETA_ADMIN)}
    for key, (request, status, shape) in ROUTE_CASES.items():
        if key == ("POST", "/_emulator/reset"):
            continue   # would revoke the tokens of the cases after it: run last
        headers = bearer(tokens[request["auth"]]) if request.get("auth") else []
        if key[1] in ("/oauth/token", "/saml"):
            headers.append(("content-type", "text/plain"))
        del reached[:]
        got, hdrs, body = call(emulator, key[0], request["path"], request.get("body", b""), headers,
                               request.get("query", b""))
        assert reached == [key], (key, reached)
        assert got == status, (key, body)
        if shape == "error":
            data = json.loads(body)
            assert ERROR_KEYS <= set(data) and data["status"] == status, (key, data)
            assert data["contextId"] == hdrs["inin-correlation-id"]
        elif shape == "oauth":
            assert set(json.loads(body)) == {"error", "description", "error_description"}
            assert hdrs["cache-control"] == "no-store"
        elif shape == "saml":
            assert set(json.loads(body)) == {"result", "code", "reason"}
        if key == ("DELETE", "/api/v2/tokens/me"):
            tokens["admin"] = token(emulator, ADMIN)
    del reached[:]
    assert call(emulator, "POST", "/_emulator/reset")[0] == 200 and reached == [("POST", "/_emulator/reset")]


def test_router_misses_use_the_error_function(emulator):
    """A known pattern with a method it does not serve: 404 ErrorBody on the API (like an unknown path), 405 on
    the control plane (its FastAPI past); a control path with a trailing slash is redirected."""
    admin = token(emulator, ADMIN)
    for key, (request, _, _) in ROUTE_CASES.items():
        path = request["path"]
        status, hdrs, body = call(emulator, "OPTIONS", path, headers=bearer(admin))
        data = json.loads(body)
        assert set(data) == ERROR_KEYS and data["contextId"] == hdrs["inin-correlation-id"], key
        if path.startswith("/_emulator"):
            assert (status, data["code"]) == (405, "method.not.allowed"), key
        else:
            assert (status, data["code"], data["message"]) == (
                404, "not.found", "The requested resource was not found: %s" % path), key
    status, hdrs, _ = call(emulator, "GET", "/_emulator/health/")
    assert status == 307 and hdrs["location"] == "https://127.0.0.1:8443/_emulator/health"
    assert call(emulator, "GET", "/_emulator/nothing")[0] == 404


@pytest.mark.parametrize("exc,status,body", [
    (errors.ApiError(404, entityId="x"), 404,
     {"message": "The requested resource was not found.", "code": "not.found", "status": 404, "contextId": "cid",
      "details": [], "errors": [], "entityId": "x"}),
    (ValidationError("missing.issuer.uri", "issuerURI"), 400,
     {"message": "An issuer URI is required.", "code": "missing.issuer.uri", "status": 400, "contextId": "cid",
      "details": [{"errorCode": "missing.issuer.uri", "fieldName": "issuerURI"}], "errors": []}),
    (errors.OAuthError(401, "invalid_client", "authentication failed"), 401,
     {"error": "invalid_client", "description": "authentication failed", "error_description": "authentication failed"}),
    (SamlError(403, "invalid.signature", "no"), 403, {"result": "failure", "code": "invalid.signature", "reason": "no"}),
    (KeyError("secret detail"), 500,
     {"message": errors.STATUS_CODES[500][1], "code": "internal.server.error", "status": 500, "contextId": "cid",
      "details": [], "errors": []}),
])
def test_error_parts(exc, status, body):
    got_status, raw, headers = errors.error_parts(exc, "cid")
    assert (got_status, json.loads(raw)) == (status, body)
    assert headers == (errors.OAUTH_HEADERS if isinstance(exc, errors.OAuthError) else {})
    assert errors.is_expected(exc) is (status != 500)


def test_pydantic_errors_are_invalid_value():
    repo = Store(seed()).providers
    with pytest.raises(PydanticValidationError) as info:
        repo.parse("okta", {"name": "x", "issuerURI": "y", "disabled": "maybe"})
    status, raw, _ = errors.error_parts(info.value, "cid")
    data = json.loads(raw)
    details = [{"errorCode": "invalid.value", "fieldName": "disabled"}]
    assert (status, data["code"], data["details"]) == (400, "invalid.value", details)


# ---- provider writes: the bookkeeping runs once, in the store's provider methods ----------------------------
class Counts:
    def __init__(self, monkeypatch, store):
        self.saves = 0
        self.snapshots = 0
        self.store = store
        repo = store.providers
        real_save, real_snapshot = store.save, repo._snapshot   # pylint: disable=protected-access

        def save():
            self.saves += 1
            real_save()

        def snapshot(org, key):
            self.snapshots += 1
            return real_snapshot(org, key)
        monkeypatch.setattr(store, "save", save)
        monkeypatch.setattr(repo, "_snapshot", snapshot)

    def __call__(self):
        return self.saves, self.snapshots


@pytest.fixture()
def lagged(monkeypatch):
    store = Store(seed())
    store.providers.variants = variants_mod.merge(variants_mod.DEFAULTS, {"read_lag_s": 60, "listing_lag_s": 60})
    return store, Counts(monkeypatch, store)


def test_each_provider_write_does_its_bookkeeping_once(lagged):
    store, counts = lagged
    repo, org = store.providers, store.orgs[ORG]
    before = org["last_write"]
    repo.put(org, "okta", dict(OKTA))
    assert counts() == (1, 1) and org["last_write"] > before
    assert set(repo.read_shadow) == set(repo.list_shadow) == {(ORG, "okta")}
    assert repo.read_shadow[(ORG, "okta")][1] is None   # readers still see "not configured" during the lag
    created = repo.create(org, {"name": "Corp", "issuerURI": "https://corp.example"})
    assert counts() == (2, 2) and (ORG, created["id"]) in repo.read_shadow
    repo.put(org, created["id"], {"name": "Corp 2", "issuerURI": "https://corp.example"})
    assert counts() == (3, 3)
    assert repo.read_shadow[(ORG, created["id"])][1] is None   # what readers saw before: the creation still lags
    assert repo.delete(org, created["id"]) is None and repo.delete(org, "okta") == {}
    assert counts() == (5, 5)
    assert len(repo.read_shadow) == len(repo.list_shadow) == 2


def test_a_refused_provider_write_does_no_bookkeeping(lagged, monkeypatch):
    store, counts = lagged
    repo = store.providers
    org, beta = store.orgs[ORG], store.orgs[ORG2]
    with pytest.raises(ValidationError):
        repo.put(org, "okta", {"name": "no issuer"})
    with pytest.raises(errors.ApiError):
        repo.put(org, "no-such-custom-id", dict(OKTA))
    with pytest.raises(errors.ApiError):
        repo.delete(org, "okta")
    monkeypatch.setattr(providers, "MAX_PROVIDERS", 0)
    with pytest.raises(errors.ApiError, match="maximum number of 0"):
        repo.create(org, {"name": "Corp", "issuerURI": "https://corp.example"})
    with pytest.raises(errors.ApiError, match="maximum number of 0"):
        repo.put(org, "okta", dict(OKTA))
    repo.variants = dict(repo.variants, refuse_last_provider_delete=True)
    custom = next(iter(beta["custom"]))
    beta["providers"]["okta"]["data"]["disabled"] = True
    with pytest.raises(errors.ApiError, match="last enabled"):
        repo.delete(beta, custom)
    assert counts() == (0, 0) and repo.read_shadow == {} and repo.list_shadow == {}
    assert org["last_write"] == beta["last_write"] == 0.0


def test_write_routes_go_through_the_store_once_each(emulator, monkeypatch):
    writes = []
    real = providers.ProviderRepository._write   # pylint: disable=protected-access

    def counting(self, org, key, change):
        writes.append(key)
        return real(self, org, key, change)
    monkeypatch.setattr(providers.ProviderRepository, "_write", counting)
    admin = bearer(token(emulator, ADMIN))
    emulator.variants = variants_mod.merge(emulator.variants, {"listing_lag_s": 60})
    counts = Counts(monkeypatch, emulator.store)
    base = "/api/v2/identityproviders"
    assert call(emulator, "PUT", base + "/okta", OKTA, admin)[0] == 200
    status, _, body = call(emulator, "POST", base, {"name": "Corp", "issuerURI": "https://corp.example"}, admin)
    custom = json.loads(body)["id"]
    assert call(emulator, "PUT", base + "/" + custom, {"name": "C", "issuerURI": "https://c.example"}, admin)[0] == 200
    assert call(emulator, "GET", base, headers=admin)[0] == 200
    assert call(emulator, "GET", base + "/okta", headers=admin)[0] == 200
    assert call(emulator, "PUT", base + "/okta", {"name": "no issuer"}, admin)[0] == 400
    assert call(emulator, "DELETE", base + "/" + custom, headers=admin)[0] == 204
    assert call(emulator, "DELETE", base + "/okta", headers=admin)[0] == 200
    assert status == 200 and writes == ["okta", custom, custom, custom, "okta"]
    assert counts() == (5, 5)   # one state-file save and one snapshot per write, none for reads or refusals
