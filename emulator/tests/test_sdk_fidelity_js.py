"""Fidelity: the official JavaScript SDK (purecloud-platform-client-v2, pinned in js/package-lock.json) against the
emulator, and the same sequence through the official Python SDK, compared field by field.

``js/fidelity.mjs`` runs one sequence (login, tokens/me, organizations/me, OAuth clients, the okta provider's
put/get/list/delete, a custom provider's post/get/put/list/delete, a 404, a 400, a 403, a revoked token's 401
and a wrong secret's 401) using only the SDK's public API, and prints one JSON document. ``python_sequence``
below does the same calls through PureCloudPlatformClientV2 and builds the same document from what that SDK
returns (its models serialised back to the wire names with the SDK's own ``sanitize_for_serialization``). The
emulator is reset before each run, so both start from the seed. The differential test then makes "both
official SDKs talk to the emulator without a single difference" an assertion: every field of every step, and
the request log the emulator recorded for each run.

node and the SDK's node_modules come from `.ci/run` (apt-get install nodejs npm) and `make emulator-tests`
(npm ci in emulator/tests/js); when either is missing the tests here FAIL with the fix, they do not skip.
"""

import datetime
import importlib.metadata
import json
import os
import shutil
import subprocess
import tempfile

import pytest
import PureCloudPlatformClientV2 as pc
from PureCloudPlatformClientV2.rest import ApiException

from conftest import ADMIN, ORG, VIEWER
from test_sdk_fidelity import error_body, make_client

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")
SCRIPT = os.path.join(JS_DIR, "fidelity.mjs")
NODE_TIMEOUT_S = 120
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
# values that depend on the moment of the run, not on the SDK: checked to be datetimes, then compared as a label
TIME_DEPENDENT = ("dateTokenIdles",)


def pinned_sdk_version():
    with open(os.path.join(JS_DIR, "package-lock.json"), encoding="utf-8") as fh:
        return json.load(fh)["packages"]["node_modules/purecloud-platform-client-v2"]["version"]


def node_or_fail():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing (the JavaScript SDK fidelity test runs it): .ci/run installs it as root; "
                    "otherwise apt-get install nodejs npm, then make emulator-tests (npm ci in emulator/tests/js)",
                    pytrace=False)
    if not os.path.isfile(os.path.join(JS_DIR, "node_modules", "purecloud-platform-client-v2", "package.json")):
        pytest.fail("emulator/tests/js/node_modules is not installed: make emulator-tests (or: cd emulator/tests/js "
                    "&& npm ci --no-audit --no-fund)", pytrace=False)
    return node


def js_sequence(emu, idp):
    """Run js/fidelity.mjs against ``emu``; the emulator CA is trusted through NODE_EXTRA_CA_CERTS (TLS checks on)."""
    node = node_or_fail()
    with tempfile.TemporaryDirectory() as home:
        # a minimal environment: HOME is scratch (the SDK reads ~/.genesyscloudjavascript/config), no proxy
        # or NODE_OPTIONS of the caller's, the credentials in the environment (not on the command line)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "NODE_EXTRA_CA_CERTS": emu.ca_path,
               "FIDELITY_URL": emu.url, "FIDELITY_ADMIN_ID": ADMIN[0], "FIDELITY_ADMIN_SECRET": ADMIN[1],
               "FIDELITY_VIEWER_ID": VIEWER[0], "FIDELITY_VIEWER_SECRET": VIEWER[1],
               "FIDELITY_IDP_ISSUER": idp.entity_id, "FIDELITY_IDP_SSO_URL": idp.sso_url,
               "FIDELITY_IDP_CERT_B64": idp.certificate_b64}
        proc = subprocess.run([node, SCRIPT], cwd=JS_DIR, env=env, capture_output=True, text=True,
                              timeout=NODE_TIMEOUT_S, check=False)
    for secret in (ADMIN[1], VIEWER[1]):
        assert secret not in proc.stdout and secret not in proc.stderr
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


class Labels:
    """The same labelling as fidelity.mjs: ids the emulator chose and error contextIds, in order of first
    appearance, replaced wherever they occur in the document."""

    def __init__(self):
        self.labels = {}

    def register(self, kind, value):
        if isinstance(value, str) and value and value not in self.labels:
            n = sum(1 for name in self.labels.values() if name.startswith("<%s-" % kind)) + 1
            self.labels[value] = "<%s-%d>" % (kind, n)

    def relabel(self, text):
        for value, name in self.labels.items():
            text = text.replace(value, name)
        return text


def python_sequence(emu, idp):
    """The steps of js/fidelity.mjs through the Python SDK, as the same document."""
    labels = Labels()
    steps = []

    def login(name, creds):
        client = make_client(emu, creds)
        steps.append({"step": name, "ok": bool(client.access_token)})
        return client

    def ids(body):
        for entity in (body.get("entities") if isinstance(body, dict) and "entities" in body else [body]):
            labels.register("provider", entity.get("id") if isinstance(entity, dict) else None)
        return body

    def step(name, api, call, shape=lambda b: b):
        client = api.api_client
        try:
            result = call()
        except ApiException as exc:
            body = error_body(exc)
            labels.register("context", body.get("contextId"))
            steps.append({"step": name, "status": exc.status, "error": body,
                          "contextIdIsCorrelationId": bool(body.get("contextId"))
                          and body.get("contextId") == exc.headers.get("ININ-Correlation-Id")})
            return None
        body = client.sanitize_for_serialization(result)
        steps.append({"step": name, "status": client.last_response.status,
                      "body": None if body in (None, "") else shape(body)})
        return body

    admin = login("login admin", ADMIN)
    tokens, org, oauth = pc.TokensApi(admin), pc.OrganizationApi(admin), pc.OAuthApi(admin)
    idps = pc.IdentityProviderApi(admin)
    step("tokens me", tokens, tokens.get_tokens_me)
    step("organizations me", org, org.get_organizations_me)
    step("oauth clients", oauth, oauth.get_oauth_clients)
    step("oauth client missing", oauth, lambda: oauth.get_oauth_client("nope"))
    step("providers initial", idps, idps.get_identityproviders, ids)

    step("okta get absent", idps, idps.get_identityproviders_okta)
    okta = {"name": "Okta", "issuerURI": idp.entity_id, "ssoTargetURI": idp.sso_url,
            "certificates": [idp.certificate_b64], "relyingPartyIdentifier": "urn:acme", "disabled": False}
    step("okta put", idps, lambda: idps.put_identityproviders_okta(okta), ids)
    step("okta get", idps, idps.get_identityproviders_okta, ids)
    step("providers with okta", idps, idps.get_identityproviders, ids)
    step("okta delete", idps, idps.delete_identityproviders_okta)
    step("okta get deleted", idps, idps.get_identityproviders_okta)

    custom = {"name": "Corp", "issuerURI": idp.entity_id, "ssoTargetURI": idp.sso_url,
              "certificate": idp.certificate_b64, "certificates": [idp.certificate_b64], "endpointCompression": True,
              "nameIdentifierFormat": NAMEID_EMAIL}
    created = step("custom post", idps, lambda: idps.post_identityproviders(custom), ids)
    custom_id = (created or {}).get("id") or "not-created"
    step("custom get", idps, lambda: idps.get_identityprovider(custom_id), ids)
    step("custom put", idps, lambda: idps.put_identityprovider(custom_id, dict(custom, name="Corp renamed",
                                                                               disabled=True)), ids)
    step("providers with custom", idps, idps.get_identityproviders, ids)
    step("custom delete", idps, lambda: idps.delete_identityprovider(custom_id))
    step("custom get deleted", idps, lambda: idps.get_identityprovider(custom_id))

    step("generic put without name", idps, lambda: idps.put_identityproviders_generic({"issuerURI": "https://idp.example"}))
    viewer = pc.IdentityProviderApi(login("login viewer", VIEWER))
    step("viewer okta put", viewer, lambda: viewer.put_identityproviders_okta({"issuerURI": "https://idp.example"}))
    revoked = pc.TokensApi(login("login admin again", ADMIN))
    step("tokens me delete", revoked, revoked.delete_tokens_me)
    step("tokens me revoked", revoked, revoked.get_tokens_me)
    try:
        login("login wrong secret", (ADMIN[0], "wrong"))
    except ApiException as exc:
        steps.append({"step": "login wrong secret", "status": exc.status, "error": json.loads(exc.body)})
    doc = {"sdk": {"name": "PureCloudPlatformClientV2", "version": importlib.metadata.version("PureCloudPlatformClientV2")}, "steps": steps}
    return json.loads(labels.relabel(json.dumps(doc)))


def canonical(value, key=None):
    """Both SDKs' documents in one form: datetimes as UTC milliseconds (the Python SDK parses them into datetime
    and writes them back with isoformat, the JavaScript SDK hands over the wire string); run-time-dependent
    datetimes as a label once they parsed."""
    if isinstance(value, dict):
        return {k: canonical(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if key in TIME_DEPENDENT:
            return "<datetime>"
        return parsed.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


def flatten(value, path=""):
    if isinstance(value, dict):
        out = {path + "{}": sorted(value)} if path else {}
        for k, v in value.items():
            out.update(flatten(v, "%s.%s" % (path, k) if path else k))
        return out
    if isinstance(value, list):
        out = {path + "[]": len(value)}
        for i, v in enumerate(value):
            out.update(flatten(v, "%s[%d]" % (path, i)))
        return out
    return {path: value}


class _Absent:
    def __repr__(self):
        return "<absent>"


ABSENT = _Absent()


def differences(left, right):
    """Field-by-field differences of two documents: ``[(path, left value, right value)]`` (``ABSENT`` where one
    side has no such field)."""
    a, b = flatten(left), flatten(right)
    missing = ABSENT
    return [(p, a.get(p, missing), b.get(p, missing)) for p in sorted(set(a) | set(b))
            if a.get(p, missing) != b.get(p, missing)]


@pytest.fixture(scope="module")
def runs(emu, idp):
    """Both sequences, each on a freshly reset emulator; with each run's request log."""
    out = {}
    for name, sequence in (("js", js_sequence), ("python", python_sequence)):
        emu.reset()
        doc = sequence(emu, idp)
        log = emu.requests(org=ORG)
        out[name] = {"doc": doc, "log": log}
    return out


def steps_of(steps):
    """The steps of one document by name."""
    by_name = {s["step"]: s for s in steps}
    assert len(by_name) == len(steps), "step names are unique"
    return by_name


@pytest.fixture(scope="module")
def js(runs):
    return steps_of(runs["js"]["doc"]["steps"])


def test_the_pinned_sdk_ran(runs):
    assert runs["js"]["doc"]["sdk"] == {"name": "purecloud-platform-client-v2", "version": pinned_sdk_version()}


def test_logins_through_the_gateway(js):
    assert [js[n]["ok"] for n in ("login admin", "login viewer", "login admin again")] == [True, True, True]


def test_token_info_names_the_org_and_the_client(js):
    me = js["tokens me"]
    assert me["status"] == 200
    info = me["body"]
    assert info["organization"] == {"id": "5d3e1a2b-0000-4000-8000-000000000001", "name": "Acme Production"}
    assert info["OAuthClient"]["id"] == ADMIN[0]
    assert info["OAuthClient"]["authorizedGrantType"] == "CLIENT-CREDENTIALS"
    assert info["OAuthClient"]["roleDivisions"][0]["divisionId"] == "*"
    assert canonical(info["dateTokenIdles"], "dateTokenIdles") == "<datetime>"


def test_organizations_me(js):
    org = js["organizations me"]["body"]
    assert org["thirdPartyOrgName"] == ORG and org["domain"] == "mypurecloud.ie"
    assert org["productPlatform"] == "GenesysCloud"


def test_oauth_clients_listed_without_secrets(js):
    listing = js["oauth clients"]["body"]
    ids = {c["id"] for c in listing["entities"]}
    assert ADMIN[0] in ids and "bot-client" in ids
    assert all("secret" not in c for c in listing["entities"])
    missing = js["oauth client missing"]
    assert missing["status"] == 404 and missing["error"]["code"] == "client.not.found"


def test_okta_round_trip_echoes_the_certificate(js, idp):
    assert js["providers initial"]["body"]["entities"] == []
    absent = js["okta get absent"]
    assert absent["status"] == 404 and absent["error"]["code"] == "not.found"
    short = js["okta put"]
    assert short["status"] == 200
    assert short["body"] == {"id": "<provider-1>", "name": "Okta", "disabled": False,
                             "selfUri": "/api/v2/identityproviders/okta"}
    got = js["okta get"]["body"]
    assert got["issuerURI"] == idp.entity_id and got["ssoTargetURI"] == idp.sso_url
    assert got["certificates"] == [idp.certificate_b64] and "certificate" not in got
    assert got["relyingPartyIdentifier"] == "urn:acme" and got["id"] == "<provider-1>"
    listed = js["providers with okta"]["body"]["entities"]
    assert [e["issuerURI"] for e in listed if e["selfUri"] == "/api/v2/identityproviders/okta"] == [idp.entity_id]
    assert js["okta delete"]["status"] == 200
    assert js["okta get deleted"]["status"] == 404


def test_custom_provider_round_trip(js, idp):
    created = js["custom post"]
    assert created["status"] == 200
    assert created["body"]["id"] == "<provider-2>" and created["body"]["endpointCompression"] is True
    got = js["custom get"]["body"]
    assert got["name"] == "Corp" and got["certificate"] == idp.certificate_b64
    assert got["nameIdentifierFormat"] == NAMEID_EMAIL
    updated = js["custom put"]["body"]
    assert updated["name"] == "Corp renamed" and updated["disabled"] is True
    assert "<provider-2>" in {e["id"] for e in js["providers with custom"]["body"]["entities"]}
    assert js["custom delete"] == {"step": "custom delete", "status": 204, "body": None}
    gone = js["custom get deleted"]
    assert gone["status"] == 404 and gone["error"]["entityId"] == "<provider-2>"


def test_error_objects_carry_status_code_and_message(js):
    expected = {"oauth client missing": (404, "client.not.found"), "okta get absent": (404, "not.found"),
                "okta get deleted": (404, "not.found"), "custom get deleted": (404, "not.found"),
                "generic put without name": (400, "missing.provider.name"),
                "viewer okta put": (403, "missing.any.permissions"), "tokens me revoked": (401, "bad.credentials")}
    for name, (status, code) in expected.items():
        got = js[name]
        assert (got["status"], got["error"]["status"], got["error"]["code"]) == (status, status, code), name
        assert got["error"]["message"] and got["contextIdIsCorrelationId"] is True, name
        assert got["error"]["contextId"].startswith("<context-"), name
    details = js["generic put without name"]["error"]["details"]
    assert details == [{"errorCode": "missing.provider.name", "fieldName": "name"}]
    message = js["viewer okta put"]["error"]["message"]
    assert "sso:provider:add" in message and "sso:provider:edit" in message
    wrong = js["login wrong secret"]
    assert wrong["status"] == 401 and wrong["error"]["error"] == "invalid_client"


def test_no_token_or_secret_in_the_document(runs):
    text = json.dumps(runs["js"]["doc"])
    assert ADMIN[1] not in text and VIEWER[1] not in text
    assert "access_token" not in text and "Bearer" not in text


def test_both_sdks_see_the_emulator_without_a_single_difference(runs):
    js_doc, py_doc = (canonical(runs[n]["doc"]["steps"]) for n in ("js", "python"))
    assert [s["step"] for s in js_doc] == [s["step"] for s in py_doc]
    assert len(flatten(js_doc)) > 300  # every field of every step, not a summary
    diff = differences(steps_of(js_doc), steps_of(py_doc))
    assert diff == [], "\n".join("%s: js=%r python=%r" % d for d in diff[:40])


def request_rows(log):
    """The emulator's request log of one run as [method, path, status, client]; the custom provider's random id
    in paths labelled by order of first appearance, as in the documents."""
    labels = Labels()
    for entry in log:
        parts = entry["path"].split("/")
        if len(parts) == 5 and parts[:4] == ["", "api", "v2", "identityproviders"]:
            labels.register("id", parts[4])
    return json.loads(labels.relabel(json.dumps([[e["method"], e["path"], e["status"], e["client"]] for e in log])))


def test_both_sdks_send_the_same_requests(runs):
    js_rows, py_rows = (request_rows(runs[n]["log"]) for n in ("js", "python"))
    assert len(js_rows) >= 20
    assert js_rows == py_rows
