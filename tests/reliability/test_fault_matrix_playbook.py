"""Fault matrix, playbook level: playbooks/configure_sso.yml (role saml_sso) for one org under each fault.

Transient → the run succeeds, the org ends exactly as after a clean run, a warning per retry is visible in the
task results.  Permanent → the org fails with a message naming the cause, the provider untouched or fully
written (emulator state + backup files), no traceback anywhere in the output.  Every run's output, log and
ansible-runner artifacts are scanned for the secrets in use.
"""

import glob
import json
import os
import re

import pytest

from conftest import CONFIGURE, make_cert, role_group_vars, role_host_vars, run_playbook
from faults import HTML_PROXY_502, HTML_PROXY_LOGIN, MALFORMED_JSON, ExpireWhenFired, drain, fired_count, is_retry_warning
from test_fault_matrix_modules import providers_of

CERT, _KEY = make_cert("playbook-matrix-idp.example")
PROVIDER = dict(type="okta", issuer_uri="https://idp.pb.example/entity", sso_target_uri="https://idp.pb.example/sso",
                certificates=[CERT], relying_party_identifier="genesys.cloud.reliability")
TOKEN = r"^/oauth/token$"
LIST = r"^/api/v2/identityproviders$"
ANY_IDP = r"^/api/v2/identityproviders"
OKTA = r"^/api/v2/identityproviders/okta$"
TOKEN_FORMAT = (r"(?<![A-Za-z0-9_\-+/=])(?=[A-Za-z0-9_\-]*[a-z])(?=[A-Za-z0-9_\-]*[A-Z])"
                r"(?=[A-Za-z0-9_\-]*[0-9])[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_\-+/=])")
TOKENS_ME = r"^/api/v2/tokens/me$"

# name, kind, rule (method, path, fields) or special, role vars, cause regex for permanent faults
ROWS = [
    ("429 with Retry-After", "transient", ("POST", TOKEN, dict(status=429, retry_after=1, count=2)), {}, None),
    ("429 without Retry-After", "transient", ("GET", ANY_IDP, dict(status=429, count=2)), {}, None),
    ("500", "permanent", ("PUT", OKTA, dict(status=500, count=1)), {}, r"\b500\b|internal.server.error"),
    ("502", "transient", ("GET", TOKENS_ME, dict(status=502, count=1)), {}, None),
    ("503", "transient", ("PUT", OKTA, dict(status=503, count=2)), {}, None),
    ("504", "transient", ("GET", ANY_IDP, dict(status=504, count=1)), {}, None),
    ("connection reset", "transient", ("PUT", OKTA, dict(reset=True, count=1)), {}, None),
    ("slow response past timeout", "transient", ("GET", ANY_IDP, dict(delay_ms=2200, count=1)),
     {"saml_sso_timeout": 1.5}, None),
    ("404 right after a write", "transient", ("GET", OKTA, dict(not_found_after_write_ms=1500)), {}, None),
    ("expired token mid-run", "transient", "expire", {}, None),
    ("malformed JSON body", "permanent", ("GET", ANY_IDP, dict(status=200, body=MALFORMED_JSON, count=1)), {},
     r"json|pars|malformed|unexpected|not valid|invalid (response|answer|body)"),
    ("HTML error page from a proxy (502, transient)", "transient",
     ("GET", ANY_IDP, dict(status=502, content_type="text/html", body=HTML_PROXY_502, count=1)), {}, None),
    ("HTML page instead of JSON (proxy login)", "permanent",
     ("GET", ANY_IDP, dict(status=200, content_type="text/html", body=HTML_PROXY_LOGIN, count=1)), {},
     r"html|json|pars|unexpected|not valid|proxy|invalid (response|answer|body)"),
    ("429 storm beyond retries", "permanent", ("PUT", OKTA, dict(status=429, retry_after=1)), {"saml_sso_retries": 1},
     r"\b429\b|rate.limit|too.many"),
]

CLEAN_ORG = "rel-f16"


def _org(i):
    return "rel-f%02d" % (i + 1)


@pytest.fixture(scope="module")
def matrix_run(emulator, tmp_path_factory):
    """ONE playbook run over 16 orgs: org i gets fault row i, the last org none (the clean run to compare with)."""
    emu = emulator
    emu.reset()
    tmp = tmp_path_factory.mktemp("playbook-matrix")
    hosts = {}
    rules = {}
    watchers = {}
    for i, (name, kind, rule, role_vars, cause) in enumerate(ROWS):
        org = _org(i)
        hosts[org] = dict(role_host_vars(org), **role_vars)
        if rule == "expire":
            watchers[org] = ExpireWhenFired(emu, org, "GET", LIST)
            rules[org] = [watchers[org].rule["id"]]
        else:
            method, path, fields = rule
            rules[org] = [emu.add_fault(org=org, method=method, path=path, **fields)["id"]]
    hosts[CLEAN_ORG] = role_host_vars(CLEAN_ORG)
    seq0 = emu.last_seq()
    states_before = dict((org, providers_of(emu, org)) for org in hosts)
    group = role_group_vars(emu, PROVIDER, tmp / "backups")
    try:
        run = run_playbook(CONFIGURE, hosts, group_vars=group, workdir=str(tmp / "run"))
    finally:
        for watcher in watchers.values():
            watcher.stop()
    fired = dict((org, fired_count(emu, ids)) for org, ids in rules.items())
    drain(emu, [i for ids in rules.values() for i in ids])
    emu.clear_faults()
    data = dict(run=run, fired=fired, watchers=watchers, before=states_before, tmp=tmp, seq0=seq0,
                after=dict((org, providers_of(emu, org)) for org in hosts),
                requests=emu.requests(since=seq0), state=emu.state())
    emu.reset()
    return data


def _final_message(run, org):
    msgs = []
    for _h, task, _a, event, res in run.task_results(host=org):
        if event == "runner_on_failed" and res.get("msg"):
            msgs.append("%s: %s" % (task, res["msg"]))
    return "\n".join(msgs)


def test_clean_org_of_the_matrix_run(matrix_run, figures):
    run = matrix_run["run"]
    assert CLEAN_ORG not in run.failed_hosts(), _final_message(run, CLEAN_ORG)
    assert matrix_run["after"][CLEAN_ORG]["providers"].get("okta"), "the clean org was not configured"
    assert not [w for w in run.warnings(host=CLEAN_ORG, marker="-%s:" % CLEAN_ORG) if is_retry_warning(w)]
    figures.add("playbook_matrix", dict(orgs=len(ROWS) + 1, seconds=round(run.seconds, 1)))


def test_matrix_run_leaks_no_secret(matrix_run, secret_scan):
    run = matrix_run["run"]
    for org in list(matrix_run["after"]):
        secret_scan.add_client("%s-admin" % org, "%s-admin-secret-Zq9" % org)
        secret_scan.add_client("%s-bot1" % org, "%s-bot1-secret-Xk7" % org)
    secret_scan.add_pattern(TOKEN_FORMAT, "emulator access token format (secrets.token_urlsafe(32))")
    run.scan_everything(secret_scan)
    for path in glob.glob(str(matrix_run["tmp"] / "backups" / "**" / "*"), recursive=True):
        if os.path.isfile(path):
            secret_scan.scan_path(path)
    secret_scan.scan_text(json.dumps(matrix_run["requests"]), "emulator request log")
    secret_scan.scan_text(json.dumps(matrix_run["state"]), "emulator state dump")
    assert len(secret_scan.scanned) > 10


@pytest.mark.parametrize("index", range(len(ROWS)), ids=[r[0].replace(" ", "_") for r in ROWS])
def test_playbook_under_fault(matrix_run, figures, index):
    name, kind, rule, role_vars, cause = ROWS[index]
    org = _org(index)
    run = matrix_run["run"]
    clean = matrix_run["after"][CLEAN_ORG]
    before = matrix_run["before"][org]
    after = matrix_run["after"][org]
    fired = matrix_run["fired"][org]
    watcher = matrix_run["watchers"].get(org)
    warnings = [w for w in run.warnings(host=org, marker="-%s:" % org) if is_retry_warning(w)]
    message = _final_message(run, org)
    ok = False
    try:
        assert "Traceback" not in run.stdout and "Traceback" not in run.log
        assert fired >= 1, "the fault never fired"
        if watcher:
            assert watcher.expired >= 1, "no token was expired mid-run (%s)" % watcher.error
        if kind == "transient":
            assert org not in run.failed_hosts(), message
            assert after == clean
            if rule == "expire":
                assert any("401" in w for w in warnings), warnings
            elif "not_found_after_write_ms" not in str(rule):
                # >=: under load a slow row may also time out a healthy request, which is retried (and warned) too
                assert len(warnings) >= fired, "one warning per retry: %d warning(s), %d fault(s)\n%s" % (
                    len(warnings), fired, "\n".join(warnings))
        else:
            assert org in run.failed_hosts(), "a permanent fault must fail the org"
            assert message, "the failure carries no msg"
            assert re.search(cause, message, re.I), message
            assert after in (before, clean), "the provider is half-written: %s" % after
        ok = True
    finally:
        writes = [r for r in matrix_run["requests"] if r.get("org") == org and r["method"] in ("PUT", "POST", "DELETE")
                  and r["path"].startswith("/api/v2")]
        figures.add("fault_matrix", dict(target="playbook configure_sso.yml", fault=name, kind=kind, ok=ok,
                                         retries=len(warnings), fired=fired, seconds=round(run.seconds, 1),
                                         outcome=("ok, %d write(s)" % len(writes)) if org not in run.failed_hosts()
                                         else ("failed: %s" % message[-90:]).replace("|", "/").replace("\n", " ")))
