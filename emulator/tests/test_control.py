"""/_emulator/ control endpoints: fault rules, request log, reset, state dump, orgs/clients, state file."""

import json
import os
import time

import pytest
import requests

from conftest import ADMIN, BOT, ORG, ORG2, Client, assert_error, seed
from genesys_emulator.testing import EmulatorError, EmulatorProcess

OKTA = {"name": "Okta", "issuerURI": "https://idp.example/e", "ssoTargetURI": "https://idp.example/sso"}


@pytest.fixture()
def admin(fresh, http):
    return http.token(ADMIN)


def test_fault_status_with_retry_after_and_count(emu, http, admin):
    rule = emu.add_fault(method="PUT", path="^/api/v2/identityproviders/", status=503, retry_after=2, count=2)
    assert rule["id"] and rule["fired"] == 0 and rule["status"] == 503
    for _ in range(2):
        resp = http.request("PUT", "/api/v2/identityproviders/okta", token=admin, json=OKTA)
        assert_error(resp, 503, "service.unavailable")
        assert resp.headers["Retry-After"] == "2"
    assert http.request("PUT", "/api/v2/identityproviders/okta", token=admin, json=OKTA).status_code == 200
    assert emu.faults()[0]["fired"] == 2
    # GET is not matched by a PUT rule
    assert http.request("GET", "/api/v2/identityproviders/okta", token=admin).status_code == 200


def test_fault_429_and_html_and_custom_body(emu, http, admin):
    emu.add_fault(path="organizations/me", status=429, retry_after=1, count=1)
    resp = http.request("GET", "/api/v2/organizations/me", token=admin)
    assert_error(resp, 429, "too.many.requests.retry.after")
    assert resp.headers["Retry-After"] == "1"
    emu.add_fault(path="organizations/me", status=502, content_type="text/html", count=1)
    resp = http.request("GET", "/api/v2/organizations/me", token=admin)
    assert resp.status_code == 502 and resp.headers["Content-Type"].startswith("text/html") and b"<html>" in resp.content
    emu.add_fault(path="organizations/me", status=500, body={"weird": True}, count=1)
    resp = http.request("GET", "/api/v2/organizations/me", token=admin)
    assert resp.status_code == 500 and resp.json() == {"weird": True}
    assert http.request("GET", "/api/v2/organizations/me", token=admin).status_code == 200


def test_fault_on_token_endpoint_by_client(emu, http):
    emu.reset()
    emu.add_fault(path="^/oauth/token$", client_id=BOT[0], status=503, count=1)
    assert http.token_response(ADMIN).status_code == 200
    assert http.token_response(BOT).status_code == 503
    assert http.token_response(BOT).status_code == 200


def test_fault_by_org(emu, http, admin):
    emu.add_fault(org=ORG2, status=500)
    assert http.request("GET", "/api/v2/organizations/me", token=admin).status_code == 200
    beta = http.token_response(("beta-admin", "beta-secret"))
    assert beta.status_code == 500


def test_fault_delay(emu, http, admin):
    emu.add_fault(path="organizations/me", delay_ms=300, count=1)
    start = time.monotonic()
    resp = http.request("GET", "/api/v2/organizations/me", token=admin)
    assert resp.status_code == 200 and time.monotonic() - start >= 0.3
    start = time.monotonic()
    http.request("GET", "/api/v2/organizations/me", token=admin)
    assert time.monotonic() - start < 0.3


def test_fault_reset_closes_connection(emu, http, admin):
    emu.add_fault(path="organizations/me", reset=True, count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(http.url + "/api/v2/organizations/me", headers={"Authorization": "Bearer " + admin},
                     verify=emu.ca_path, timeout=10)
    assert http.request("GET", "/api/v2/organizations/me", token=admin).status_code == 200
    entry = [e for e in emu.requests() if e["path"] == "/api/v2/organizations/me"][0]
    assert entry["status"] == 0 and entry["fault"]


def test_not_found_after_write(emu, http, admin):
    emu.add_fault(not_found_after_write_ms=400)
    # no write yet: GET is answered normally (and the rule does not fire)
    assert_error(http.request("GET", "/api/v2/identityproviders/okta", token=admin), 404, "not.found")
    assert emu.faults()[0]["fired"] == 0
    assert http.request("PUT", "/api/v2/identityproviders/okta", token=admin, json=OKTA).status_code == 200
    assert_error(http.request("GET", "/api/v2/identityproviders/okta", token=admin), 404, "not.found")
    # the listing is not a provider path
    assert http.request("GET", "/api/v2/identityproviders", token=admin).json()["total"] == 1
    time.sleep(0.5)
    assert http.request("GET", "/api/v2/identityproviders/okta", token=admin).status_code == 200


def test_after_write_arms_the_rule(emu, http, admin):
    emu.add_fault(method="GET", path="organizations/me", status=503, after_write=True, count=1)
    assert http.request("GET", "/api/v2/organizations/me", token=admin).status_code == 200
    assert http.request("PUT", "/api/v2/identityproviders/okta", token=admin, json=OKTA).status_code == 200
    assert http.request("GET", "/api/v2/organizations/me", token=admin).status_code == 503
    assert http.request("GET", "/api/v2/organizations/me", token=admin).status_code == 200


def test_probability(emu, http, admin):
    emu.add_fault(path="organizations/me", status=503, probability=0.0)
    assert all(http.request("GET", "/api/v2/organizations/me", token=admin).status_code == 200 for _ in range(10))
    emu.clear_faults()
    emu.add_fault(path="organizations/me", status=503, probability=0.5)
    statuses = [http.request("GET", "/api/v2/organizations/me", token=admin).status_code for _ in range(60)]
    assert 5 < statuses.count(503) < 55
    emu.clear_faults()
    assert emu.faults() == []


@pytest.mark.parametrize("rule", [{"bogus": 1}, {"status": "x"}, {"path": "(", "status": 500},
                                  {"probability": 2, "status": 500}, {"method": "GET"}, {"reset": 1}])
def test_bad_fault_rules(emu, rule):
    with pytest.raises(EmulatorError, match="400"):
        emu.add_fault(**rule)


def test_delete_one_fault(emu, http):
    rule = emu.add_fault(status=500)
    resp = requests.delete(emu.url + "/_emulator/faults/" + rule["id"], verify=emu.ca_path, timeout=10)
    assert resp.status_code == 200 and emu.faults() == []
    resp = requests.delete(emu.url + "/_emulator/faults/" + rule["id"], verify=emu.ca_path, timeout=10)
    assert_error(resp, 404, "not.found")


def test_request_log(emu, http, admin):
    emu.clear_requests()
    http.request("PUT", "/api/v2/identityproviders/okta?x=1", token=admin, json=OKTA)
    http.request("GET", "/api/v2/identityproviders/okta", token=admin)
    http.token_response(BOT)
    http.token_response((ADMIN[0], "wrong-secret-value"))
    log = emu.requests()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("PUT", "/api/v2/identityproviders/okta", 200), ("GET", "/api/v2/identityproviders/okta", 200),
        ("POST", "/oauth/token", 200), ("POST", "/oauth/token", 401)]
    for entry in log:
        assert {"seq", "time", "method", "path", "status", "org", "client", "latency_ms"} <= set(entry)
        assert entry["org"] == ORG
    assert [e["client"] for e in log] == [ADMIN[0], ADMIN[0], BOT[0], ADMIN[0]]
    text = json.dumps(log)
    for secret in (admin, "bot-secret", "admin-secret", "wrong-secret-value", "issuerURI"):
        assert secret not in text
    assert [e["seq"] for e in emu.requests(since=log[1]["seq"])] == [log[2]["seq"], log[3]["seq"]]
    assert emu.requests(org=ORG2) == []
    emu.clear_requests()
    assert emu.requests() == []


def test_latency_option_and_config(emu, http, admin):
    emu.config(latency_ms=200)
    try:
        start = time.monotonic()
        http.request("GET", "/api/v2/organizations/me", token=admin)
        assert time.monotonic() - start >= 0.2
        start = time.monotonic()
        emu.state()  # control endpoints are not delayed
        assert time.monotonic() - start < 0.2
    finally:
        emu.config(latency_ms=0)
    assert emu.config() == {"latency_ms": 0, "rate_limit_per_minute": 300, "token_rate_limit_per_minute": 300}


def test_reset_restores_seed(emu, http, admin):
    http.request("PUT", "/api/v2/identityproviders/okta", token=admin, json=OKTA)
    emu.add_fault(path="nothing-matches", status=500)
    emu.patch_client(ORG, BOT[0], state="disabled")
    emu.reset()
    assert emu.faults() == [] and emu.requests() == []
    assert_error(http.request("GET", "/api/v2/tokens/me", token=admin), 401, "bad.credentials")  # tokens cleared
    token = http.token(ADMIN)
    assert_error(http.request("GET", "/api/v2/identityproviders/okta", token=token), 404, "not.found")
    assert http.token_response(BOT).status_code == 200


def test_state_dump_has_no_secrets(emu, http, admin):
    http.token_response(BOT)
    state = emu.state()
    text = json.dumps(state)
    for secret in ("admin-secret", "bot-secret", "correct-horse", admin):
        assert secret not in text
    acme = [o for o in state["orgs"] if o["name"] == ORG][0]
    assert all(c["secret"] == "***" for c in acme["clients"])
    assert acme["users"] == [{"email": "alice@acme.example", "password": "***"}]
    assert acme["live_tokens"] >= 2
    beta = [o for o in state["orgs"] if o["name"] == ORG2][0]
    assert set(beta["providers"]) == {"okta", "purecloud"} and beta["custom"][0]["name"] == "Corp IdP"


def test_add_orgs_and_clients(emu, http):
    emu.reset()
    added = emu.add_orgs([{"name": "gamma", "clients": [{"id": "g-admin", "secret": "g-secret", "permissions": ["*"]}]}])
    assert added == {"added": ["gamma"]}
    token = http.token(("g-admin", "g-secret"))
    assert http.request("GET", "/api/v2/organizations/me", token=token).json()["thirdPartyOrgName"] == "gamma"
    with pytest.raises(EmulatorError, match="400"):
        emu.add_orgs([{"name": "gamma"}])
    with pytest.raises(EmulatorError, match="400"):
        emu.add_orgs([{"name": "delta", "clients": [{"id": "g-admin", "secret": "x"}]}])
    emu.add_client("gamma", id="g-pw", secret="s", grant_type="PASSWORD")
    with pytest.raises(EmulatorError, match="409"):
        emu.add_client("gamma", id="g-pw", secret="s")
    with pytest.raises(EmulatorError, match="404"):
        emu.patch_client("gamma", "nope", state="disabled")
    for bad in ({"state": "gone"}, {"grant_type": "x"}, {"permissions": "x"}, {"colour": 1},
                {"access_token_validity_seconds": 0}):
        with pytest.raises(EmulatorError, match="400"):
            emu.patch_client("gamma", "g-admin", **bad)
    emu.patch_client("gamma", "g-admin", permissions=["sso:provider:view"], access_token_validity_seconds=600)
    resp = http.token_response(("g-admin", "g-secret"))
    assert resp.json()["expires_in"] == 600
    assert_error(http.request("GET", "/api/v2/oauth/clients", token=resp.json()["access_token"]), 403,
                 "missing.any.permissions")
    emu.reset()
    assert http.token_response(("g-admin", "g-secret")).status_code == 401


def test_state_file_survives_restart(tmp_path):
    state_file = str(tmp_path / "state.json")
    okta_id = None
    with EmulatorProcess(seed=seed(), extra_args=["--state-file", state_file]) as emu:
        http = Client(emu)
        token = http.token(ADMIN)
        okta_id = http.request("PUT", "/api/v2/identityproviders/okta", token=token, json=OKTA).json()["id"]
        emu.patch_client(ORG, BOT[0], state="inactive")
        assert oct(os.stat(state_file).st_mode & 0o777) == "0o600"
    with EmulatorProcess(seed=seed(), extra_args=["--state-file", state_file]) as emu:
        http = Client(emu)
        assert_error(http.request("GET", "/api/v2/identityproviders/okta", token=token), 401, "bad.credentials")
        token = http.token(ADMIN)
        assert http.request("GET", "/api/v2/identityproviders/okta", token=token).json()["id"] == okta_id
        assert http.token_response(BOT).status_code == 401
        emu.reset()  # reset goes back to the seed, and rewrites the state file
        assert http.token_response(BOT).status_code == 200
    with open(state_file, encoding="utf-8") as handle:
        assert json.load(handle)["orgs"][ORG]["providers"] == {}


def test_lifetime_and_endpoint_file(tmp_path):
    emu = EmulatorProcess(state_dir=str(tmp_path), seed=seed(), extra_args=["--lifetime-seconds", "1.5"])
    emu.start()
    try:
        endpoint = json.loads((tmp_path / "endpoint.json").read_text())
        assert endpoint["url"] == emu.url and endpoint["pid"] == emu.pid
        assert endpoint["ca_path"] == str(tmp_path / "ca.pem") and os.path.exists(endpoint["ca_path"])
        emu.proc.wait(timeout=10)
        assert emu.proc.returncode == 0
        assert not (tmp_path / "endpoint.json").exists()
    finally:
        emu.stop()


def test_bad_seed_exits_with_error(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("orgs:\n  - name: x\n    clients:\n      - id: c\n        grant_type: NOPE\n")
    with pytest.raises(EmulatorError, match="exited"):
        EmulatorProcess(state_dir=str(tmp_path), seed=str(bad)).start()


def test_control_bad_query_and_unknown_paths(emu):
    resp = requests.get(emu.url + "/_emulator/requests", params={"since": "x"}, verify=emu.ca_path, timeout=10)
    assert_error(resp, 400, "bad.request")
    assert_error(requests.get(emu.url + "/_emulator/nothing", verify=emu.ca_path, timeout=10), 404, "not.found")
    assert_error(requests.put(emu.url + "/_emulator/reset", verify=emu.ca_path, timeout=10), 405, "method.not.allowed")
    health = requests.get(emu.url + "/_emulator/health", verify=emu.ca_path, timeout=10).json()
    assert health["status"] == "ok" and health["orgs"] == 2


def test_exits_with_its_parent(tmp_path):
    """An EmulatorProcess whose test process dies (e.g. killed) does not outlive it."""
    import subprocess
    import sys
    script = ("import sys, time; sys.path.insert(0, %r)\n"
              "from genesys_emulator.testing import EmulatorProcess\n"
              "emu = EmulatorProcess(state_dir=%r, seed={'orgs': [{'name': 'x'}]}).start()\n"
              "print(emu.pid, flush=True); time.sleep(60)\n") % (os.path.dirname(os.path.dirname(__file__)), str(tmp_path))
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        parent.kill()
        parent.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            os.kill(child, 9)
            pytest.fail("the emulator outlived its parent")
    finally:
        if parent.poll() is None:
            parent.kill()
