"""Fault matrix, module level: every emulator fault against every module, run in-process as the action plugin runs.

Transient faults → success, the same end state (and the same answer) as a clean run, one warning per retry.
Permanent faults → a clean failure whose ``msg`` names the cause, the provider untouched or fully written
(state + backup file), never an exception/traceback.
"""

import glob
import json
import os
import re
import time

import pytest

from conftest import connection, make_cert, run_core
from faults import FAULTS, WRITE_FAULTS, ExpireWhenFired, drain, fired_count, is_retry_warning

CERT, _KEY = make_cert("fault-matrix-idp.example")
ISSUER = "https://idp.fault.example/entity"
TARGET = "https://idp.fault.example/sso/saml"


def _token_args(emu, org, tmp):
    return connection(emu, org, include_organization=True)


def _check_args(emu, org, tmp):
    args = connection(emu, org, client="bot1")
    args["expect"] = dict(organization_name=org, grant_type="CLIENT-CREDENTIALS", state="active")
    return args


def _idp_args(emu, org, tmp, backup=True):
    args = connection(emu, org)
    args.update(type="okta", issuer_uri=ISSUER, sso_target_uri=TARGET, certificates=[CERT], enabled=True,
                consistency_timeout=10.0)
    if backup:
        args.update(backup=True, backup_dir=str(tmp))
    return args


def _info_args(emu, org, tmp):
    return connection(emu, org, include_organization=True)


def _prepare_info(emu, org):
    """The info module reads: give it a provider to read."""
    r = run_core("genesys_identity_provider", _idp_args(emu, org, None, backup=False))
    assert not r.failed, r
    emu.clear_requests()


MODULES = {
    "genesys_token": dict(org="rel-token", args=_token_args, primary=("POST", r"^/oauth/token$"),
                          api=("GET", r"^/api/v2/organizations/me$"), mid_run=None, prepare=None),
    "genesys_oauth_check": dict(org="rel-check", args=_check_args, primary=("GET", r"^/api/v2/tokens/me$"),
                                mid_run=("GET", r"^/api/v2/tokens/me$"), prepare=None),
    "genesys_identity_provider": dict(org="rel-idp", args=_idp_args, primary=("GET", r"^/api/v2/identityproviders"),
                                      write=("PUT", r"^/api/v2/identityproviders/okta$"),
                                      read=("GET", r"^/api/v2/identityproviders/okta$"),
                                      mid_run=("GET", r"^/api/v2/"), prepare=None),
    "genesys_identity_provider_info": dict(org="rel-info", args=_info_args, primary=("GET", r"^/api/v2/identityproviders"),
                                           mid_run=("GET", r"^/api/v2/"), prepare=_prepare_info),
}

VOLATILE = {"access_token", "expires_at", "expires_in", "latency_ms", "latency", "elapsed", "seconds", "warnings",
            "invocation", "backup_file", "journal_file", "lock_waited", "correlation_id", "date_modified", "dateModified", "retries", "requests",
            "request_count", "retry_count", "days_left", "certificate_days_left", "api_requests", "id", "selfUri"}


def stable(value):
    """The answer of a module with per-run values (tokens, latencies, warnings, file names) removed."""
    if isinstance(value, dict):
        return dict((k, stable(v)) for k, v in value.items() if k not in VOLATILE)
    if isinstance(value, list):
        return [stable(v) for v in value]
    if isinstance(value, str):
        return re.sub(r"\b\d+(\.\d+)? ?(ms|s)\b", "<time>", value)
    return value


def providers_of(emu, org):
    for entry in emu.state()["orgs"]:
        if entry["name"] == org:
            return stable(dict(providers=entry["providers"], custom=entry["custom"]))
    raise KeyError(org)


_CLEAN = {}


def clean_run(emu, module, tmp):
    """The module's answer and the org's providers after a clean run (cached per worker)."""
    if module not in _CLEAN:
        conf = MODULES[module]
        if conf["prepare"]:
            conf["prepare"](emu, conf["org"])
        result = run_core(module, conf["args"](emu, conf["org"], tmp))
        assert not result.failed, result
        assert not result.get("warnings"), result.get("warnings")
        _CLEAN[module] = (stable(result), providers_of(emu, conf["org"]))
        emu.reset()
    return _CLEAN[module]


def _cases():
    for module, conf in MODULES.items():
        for fault in FAULTS:
            yield pytest.param(module, fault, id="%s-%s" % (module, fault.name.replace(" ", "_")))
        if "write" in conf:
            for fault in WRITE_FAULTS:
                yield pytest.param(module, fault, id="%s-%s" % (module, fault.name.replace(" ", "_")))


@pytest.mark.parametrize("module,fault", list(_cases()))
def test_module_under_fault(emu, module, fault, tmp_path, figures, secret_scan):
    conf = MODULES[module]
    org = conf["org"]
    clean_answer, clean_state = clean_run(emu, module, tmp_path / "clean")
    if conf["prepare"]:
        conf["prepare"](emu, org)
    before = providers_of(emu, org)
    args = conf["args"](emu, org, tmp_path)
    if fault.timeout:
        args["timeout"] = fault.timeout
    if fault.retries is not None:
        args["retries"] = fault.retries
    seq0 = emu.last_seq()

    watcher = None
    rule_ids = []
    if fault.special == "expire":
        if conf["mid_run"]:
            watcher = ExpireWhenFired(emu, org, *conf["mid_run"])
            rule_ids.append(watcher.rule["id"])
        else:
            # the token module's own mid-run case: it is handed a token that has expired since
            token = run_core("genesys_token", connection(emu, org))["access_token"]
            secret_scan.add(token, "access token")
            emu.expire_tokens(org=org)
            args["access_token"] = token
            args["grant_type"] = "token"
    else:
        method, path = conf[fault.target] if fault.target in conf else conf["primary"]
        rule = emu.add_fault(org=org, method=method, path=path, **fault.rule)
        rule_ids.append(rule["id"])

    start = time.monotonic()
    try:
        result = run_core(module, args)  # an exception here is a traceback: the test fails
    finally:
        if watcher:
            watcher.stop()
    seconds = time.monotonic() - start
    fired = fired_count(emu, rule_ids)
    drain(emu, rule_ids)
    if fault.special == "expire" and not rule_ids:
        fired = sum(1 for r in emu.requests(since=seq0) if r["status"] == 401)  # an expired token has no org
    emu.clear_faults()
    after = providers_of(emu, org)
    warnings = [w for w in result.get("warnings", []) if is_retry_warning(w)]
    text = json.dumps(result, default=str)

    # nothing secret in what the task returns, ever
    for value in (args.get("client_secret"), args.get("access_token")):
        if value:
            secret_scan.add(value, "secret given to %s" % module)
    if result.get("access_token"):
        secret_scan.add(result["access_token"], "token minted by %s" % module)
    masked = dict(result)
    masked.pop("access_token", None)  # genesys_token returns it on purpose (the task result is censored)
    secret_scan.scan_text(json.dumps(masked, default=str), "%s result under %s" % (module, fault.name))
    for backup in glob.glob(os.path.join(str(tmp_path), "**", "*.json"), recursive=True):
        secret_scan.scan_path(backup)

    assert "Traceback" not in text
    assert fired >= 1, "the fault never fired: the matrix row proves nothing"
    if watcher is not None:
        assert watcher.expired >= 1, "no token was live when the fault fired (%s)" % watcher.error
    ok = False
    try:
        if fault.kind == "transient":
            assert not result.failed, result.get("msg")
            if fault.special == "expire" and module == "genesys_token":
                keys = ("organization", "api_url", "login_url", "token_type", "changed")
                assert dict((k, stable(result).get(k)) for k in keys) == dict((k, clean_answer.get(k)) for k in keys)
            else:
                assert stable(result) == clean_answer
            assert after == clean_state
            if fault.special == "expire":
                assert any("401" in w for w in warnings), warnings
            elif "not_found_after_write_ms" not in fault.rule:
                assert len(warnings) == fired, (warnings, fired)
        else:
            assert result.failed, "a permanent fault must fail the task"
            assert result.get("msg"), result
            assert fault.cause.search(result["msg"]), result["msg"]
            # the provider is untouched or fully written, never half-written
            assert after in (before, clean_state), (before, after)
            if conf.get("write") and after != before:
                assert after == clean_state
            for backup in glob.glob(os.path.join(str(tmp_path), "**", "*.json"), recursive=True):
                with open(backup) as handle:
                    data = json.load(handle)
                assert "Traceback" not in json.dumps(data)
        ok = True
    finally:
        writes = [r for r in emu.requests(org=org, since=seq0) if r["method"] in ("PUT", "POST", "DELETE")
                  and r["path"].startswith("/api/v2")]
        figures.add("fault_matrix", dict(target=module, fault=fault.name, kind=fault.kind, ok=ok,
                                         retries=len(warnings), fired=fired, seconds=round(seconds, 2),
                                         outcome=("ok, %d write(s)" % len(writes)) if not result.failed
                                         else ("failed: " + str(result.get("msg"))[:90]).replace("|", "/")
                                         .replace("\n", " ")))


def test_clean_runs_succeed_without_warnings(emu, tmp_path):
    """The baseline itself: every module succeeds without a warning on a healthy emulator (see clean_run)."""
    _CLEAN.clear()
    for module in MODULES:
        answer, _state = clean_run(emu, module, tmp_path / module)
        assert answer.get("failed") is not True


@pytest.mark.parametrize("body,content_type", [
    ("<html><body>Proxy login required</body></html>", "text/html"),
    ('{"id": "okta", "issuerURI": ', "application/json"),
], ids=["html-proxy-page", "truncated-json"])
def test_unreadable_read_never_leads_to_a_write(emu, body, content_type, tmp_path):
    """A 200 whose body is not the provider (a proxy page, truncated JSON) must not be taken for 'no provider'.

    Otherwise the module PUTs an object built without the current fields and wipes what the user did not set
    (here ``sloURI``) — the write-the-whole-object rule of issue 5 broken by a transport fault.
    """
    org = "rel-idp"
    first = _idp_args(emu, org, tmp_path, backup=False)
    first["slo_uri"] = "https://idp.fault.example/slo"
    assert not run_core("genesys_identity_provider", first).failed
    before = providers_of(emu, org)
    assert before["providers"]["okta"]["sloURI"] == "https://idp.fault.example/slo"
    seq0 = emu.last_seq()
    emu.add_fault(org=org, method="GET", path=r"^/api/v2/identityproviders", status=200, content_type=content_type,
                  body=body, count=1)
    second = _idp_args(emu, org, tmp_path, backup=False)
    second["issuer_uri"] = "https://idp.fault.example/entity-2"
    result = run_core("genesys_identity_provider", second)
    writes = emu.writes(org=org, since=seq0)
    assert providers_of(emu, org) == before, "the provider was rewritten from an unreadable answer"
    assert writes == [], writes
    assert result.failed and result.get("msg")
    assert re.search(r"json|pars|unexpected|not valid|html|proxy|invalid (response|answer|body)", result["msg"], re.I)


def test_failed_write_leaves_provider_and_a_usable_backup(emu, tmp_path, figures):
    """A permanent fault on the write of an existing provider: the provider is untouched, the backup written before
    the attempt holds exactly the previous provider, the failure tells where it is, and restore_from brings it back."""
    org = "rel-idp"
    first = _idp_args(emu, org, tmp_path, backup=False)
    first["slo_uri"] = "https://idp.fault.example/slo"
    assert not run_core("genesys_identity_provider", first).failed
    before = providers_of(emu, org)
    raw_before = [o for o in emu.state()["orgs"] if o["name"] == org][0]["providers"]["okta"]
    emu.add_fault(org=org, method="PUT", path=r"^/api/v2/identityproviders/okta$", status=500, count=1)
    second = _idp_args(emu, org, tmp_path / "backups")
    second["issuer_uri"] = "https://idp.fault.example/entity-2"
    result = run_core("genesys_identity_provider", second)
    emu.clear_faults()
    assert result.failed and re.search(r"\b500\b", result["msg"]), result.get("msg")
    assert providers_of(emu, org) == before
    backups = glob.glob(os.path.join(str(tmp_path / "backups"), "**", "*.json"), recursive=True)
    assert len(backups) == 1, backups
    with open(backups[0]) as handle:
        saved = json.load(handle)["provider"]
    for key in ("issuerURI", "ssoTargetURI", "sloURI", "certificates"):
        assert saved.get(key) == raw_before.get(key), key
    restored = run_core("genesys_identity_provider", dict(connection(emu, org), restore_from=backups[0]))
    assert not restored.failed, restored.get("msg")
    assert providers_of(emu, org) == before
    assert result.get("backup_file") == backups[0], "the failed task does not say where the backup of the provider is"
