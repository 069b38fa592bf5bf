"""Bad input: hypothesis feeds every module hostile options; each must fail cleanly, naming the option, before any
request, without an exception.

Modules run in-process exactly as their action plugins run them (``GenesysActionBase.run_core``).  Every
HTTP request is intercepted at the transport (``HTTPAdapter.send``): a hostile input that reaches the network
is a failure even if it would have been refused by the server; the emulator's request log for the org is
checked too.  ``test_hostile_input_end_to_end`` proves the same through ``ansible-playbook``.
"""

import json
import os
import re

import pytest
import requests.adapters
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import hostile
from conftest import connection, make_cert, run_core, run_playbook

CERT, _KEY = make_cert("bad-input-idp.example")
ORG = "rel-bad"
EXAMPLES = int(os.environ.get("RELIABILITY_HYPOTHESIS_EXAMPLES", "120"))


class RequestAttempted(Exception):
    """Raised by the transport guard: a request left the module for a hostile input."""


@pytest.fixture
def no_network(monkeypatch, emulator):
    """Requests to the emulator go through (its log then shows whether one arrived); any other host is refused
    and recorded here, before a connection is made (a hostile URL must never reach the network)."""
    attempts = []

    real_send = requests.adapters.HTTPAdapter.send

    def guard(self, request, *args, **kwargs):
        if request.url.startswith(emulator.url + "/"):
            return real_send(self, request, *args, **kwargs)
        attempts.append("%s %s" % (request.method, request.url))
        raise RequestAttempted("request sent: %s %s" % (request.method, request.url))

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", guard)
    return attempts


# -- baselines: valid option sets that DO reach the network (proved by test_baselines_reach_the_network) ----------
def _conn(emu):
    return connection(emu, ORG)


def base_token(emu):
    return dict(_conn(emu), include_organization=True)


def base_check(emu):
    c = connection(emu, ORG, client="bot1")
    return dict(api_url=c["api_url"], login_url=c["login_url"], ca_path=c["ca_path"],
                clients=[dict(client_id=c["client_id"], client_secret=c["client_secret"],
                              probe_paths=["/api/v2/organizations/me"])],
                expect=dict(grant_type="CLIENT-CREDENTIALS"))


def base_idp(emu):
    return dict(_conn(emu), type="okta", issuer_uri="https://idp.bad.example/entity",
                sso_target_uri="https://idp.bad.example/sso", certificates=[CERT], enabled=True)


def base_idp_custom(emu):
    return dict(_conn(emu), type="custom", name="Corp IdP", issuer_uri="https://idp.bad.example/entity",
                sso_target_uri="https://idp.bad.example/sso", certificates=[CERT])


def base_info(emu):
    return dict(_conn(emu), include_organization=True)


BASES = {"genesys_token": base_token, "genesys_oauth_check": base_check, "genesys_identity_provider": base_idp,
         "genesys_identity_provider_info": base_info}


# -- mutations: (option names the message may name, strategy, apply(args, value)) ----------------------------------
def _set(key):
    def apply(args, value):
        args[key] = value
    return apply


def _set_url(key):
    def apply(args, value):
        args[key] = value
        if key == "api_url":
            args.pop("login_url", None)
    return apply


def _region(args, value):
    args.pop("api_url", None)
    args.pop("login_url", None)
    args["region"] = value


def _certs(args, value):
    args["certificates"] = [value]


def _certs_mixed(args, value):
    args["certificates"] = [CERT, value]


def _metadata(args, value):
    for key in ("issuer_uri", "sso_target_uri", "certificates"):
        args.pop(key, None)
    args["idp_metadata"] = value


def _client_entry(key):
    def apply(args, value):
        args["clients"][0][key] = value
    return apply


def _probe(args, value):
    args["clients"][0]["probe_paths"] = [value]


BAD_REGIONS = st.one_of(st.sampled_from(["", "us-east-9", "mars-north-1", "us_east", "eu", "..", "us-east-1/../../",
                                         "api.mypurecloud.com/x"]),
                        hostile.UNICODE_JUNK.filter(lambda t: "." not in t))
BAD_TIMEOUTS = st.sampled_from([-1, 0, -0.5, "nan", "-inf", "inf"])
MISSING_FILES = st.sampled_from(["/nonexistent/ca.pem", "/etc/hostname", "/proc/self/status"])
BAD_PROBES = st.sampled_from(["https://evil.example/steal", "http://127.0.0.1:9/x", "//evil.example/x", "", " ",
                              "/api/v2/organizations/me\r\nX-Injected: 1", "/api/v2/%2e%2e/%2e%2e/oauth/clients",
                              "/api/v2/users%2f..%2f..%2fx", "/api/v2/%2E/x"])
EMPTY = st.sampled_from(["", " ", "\t"])
BAD_ENUM = st.one_of(st.sampled_from(["", "POST", "urn:oasis:names:tc:SAML:2.0:bindings:SOAP", "email",
                                      "urn:oasis:names:tc:SAML:1.1:nameid-format:phone"]),
                     st.text(min_size=1, max_size=20).filter(lambda t: t.strip().lower() not in (
                         "http-post", "http-redirect", "post", "redirect", "emailaddress", "unspecified",
                         "persistent", "transient", "entity", "kerberos", "x509subjectname",
                         "windowsdomainqualifiedname")))
HUGE_LOGO = st.sampled_from(["PHN2Zz4=" * 4000, "A" * 600000])


def connection_mutations():
    return {
        "api_url": (("api_url",), hostile.bad_urls(allow_empty=False), _set_url("api_url")),
        "login_url": (("login_url",), hostile.bad_urls(allow_empty=False), _set_url("login_url")),
        "region": (("region",), BAD_REGIONS, _region),
        "timeout": (("timeout",), BAD_TIMEOUTS, _set("timeout")),
        "ca_path": (("ca_path",), MISSING_FILES, _set("ca_path")),
        "validate_certs": (("validate_certs",), hostile.wrong_type_for("bool"), _set("validate_certs")),
        "retries": (("retries",), hostile.wrong_type_for("int"), _set("retries")),
    }


def mutations(module):
    out = {}
    if module != "genesys_oauth_check":
        out.update(connection_mutations())
        out["client_secret"] = (("client_secret",), EMPTY, _set("client_secret"))
        out["client_id"] = (("client_id",), EMPTY, _set("client_id"))
    else:
        conn = connection_mutations()
        for key in ("api_url", "login_url", "timeout", "ca_path", "validate_certs", "region"):
            out[key] = conn[key]
        out["clients.client_secret"] = (("client_secret", "clients"), EMPTY, _client_entry("client_secret"))
        out["clients.client_id"] = (("client_id", "clients"), EMPTY, _client_entry("client_id"))
        out["clients.wrong"] = (("clients",), hostile.wrong_type_for("list"), _set("clients"))
        out["clients.probe_paths"] = (("probe_paths", "clients"), BAD_PROBES, _probe)
        out["probe_paths"] = (("probe_paths",), BAD_PROBES, lambda a, v: (a["clients"][0].pop("probe_paths"),
                                                                          a.__setitem__("probe_paths", [v])))
        out["expect"] = (("expect",), hostile.wrong_type_for("dict"), _set("expect"))
        out["expect.min_token_lifetime"] = (("min_token_lifetime", "expect"), hostile.wrong_type_for("int"),
                                            lambda a, v: a["expect"].__setitem__("min_token_lifetime", v))
        out["fail_on_error"] = (("fail_on_error",), hostile.wrong_type_for("bool"), _set("fail_on_error"))
    if module == "genesys_token":
        out["grant_type"] = (("grant_type",), hostile.bad_type_names(), _set("grant_type"))
        out["include_organization"] = (("include_organization",), hostile.wrong_type_for("bool"),
                                       _set("include_organization"))
        out["password"] = (("password", "username"), st.just(""), lambda a, v: a.update(grant_type="password",
                                                                                 username="u@x.example", password=v))
        out["org_name"] = (("org_name", "assertion"), EMPTY,
                           lambda a, v: a.update(grant_type="saml2_bearer", assertion="PHNhbWw+PC9zYW1sPg==", org_name=v))
    if module == "genesys_identity_provider":
        out["type"] = (("type",), hostile.bad_type_names(), _set("type"))
        out["state"] = (("state",), hostile.bad_type_names(), _set("state"))
        out["sso_target_uri"] = (("sso_target_uri",), hostile.bad_urls(), _set("sso_target_uri"))
        out["issuer_uri"] = (("issuer_uri",), EMPTY, _set("issuer_uri"))
        out["certificates"] = (("certificates",), hostile.bad_certificates(), _certs)
        out["certificates.mixed"] = (("certificates",), hostile.bad_certificates(), _certs_mixed)
        out["certificates.wrong"] = (("certificates",), hostile.wrong_type_for("list"), _set("certificates"))
        out["idp_metadata"] = (("idp_metadata",), hostile.bad_metadata(), _metadata)
        out["idp_metadata_url"] = (("idp_metadata_url",), hostile.bad_urls(),
                                   lambda a, v: (_metadata(a, None), a.pop("idp_metadata"),
                                                 a.__setitem__("idp_metadata_url", v)))
        out["sso_binding"] = (("sso_binding",), BAD_ENUM, _set("sso_binding"))
        out["name_identifier_format"] = (("name_identifier_format",), BAD_ENUM, _set("name_identifier_format"))
        out["logo_image_data"] = (("logo_image_data",), HUGE_LOGO, _set("logo_image_data"))
        out["custom name"] = (("name",), EMPTY, lambda a, v: (a.update(base_idp_custom_args(a)), a.__setitem__("name", v)))
        for key in ("enabled", "sign_authn_requests", "backup", "force", "allow_expired_certificates"):
            out[key] = ((key,), hostile.wrong_type_for("bool"), _set(key))
        out["certificate_expiry_warn_days"] = (("certificate_expiry_warn_days",), hostile.wrong_type_for("int"),
                                               _set("certificate_expiry_warn_days"))
        out["consistency_timeout"] = (("consistency_timeout",), hostile.wrong_type_for("float"),
                                      _set("consistency_timeout"))
        out["option of another type"] = (("auto_provision_users", "endpoint_compression", "pureengage", "generic"),
                                         st.sampled_from(["auto_provision_users", "endpoint_compression"]),
                                         lambda a, v: a.__setitem__(v, True))
        out["restore_from"] = (("restore_from",), MISSING_FILES,
                               lambda a, v: (a.clear(), a.update(_conn_from(a, v))))
    if module == "genesys_identity_provider_info":
        out["type"] = (("type",), hostile.bad_type_names(), _set("type"))
        out["expiring_within_days"] = (("expiring_within_days",), hostile.wrong_type_for("int"),
                                       _set("expiring_within_days"))
        out["include_organization"] = (("include_organization",), hostile.wrong_type_for("bool"),
                                       _set("include_organization"))
    return out


_EMU = {}


def base_idp_custom_args(args):
    return dict(type="custom", name="Corp IdP")


def _conn_from(args, restore_path):
    conn = dict((k, v) for k, v in _EMU["conn"].items())
    conn["restore_from"] = restore_path
    return conn


# how a message may name an option in words
PHRASES = {"restore_from": ("backup file",), "idp_metadata_url": ("IdP metadata from", "metadata URL")}


def _names_option(msg, names):
    """The message names the option: as written, or in words (``idp_metadata`` as "IdP metadata")."""
    for name in names:
        if any(phrase in msg for phrase in PHRASES.get(name, ())):
            return True
        if re.search(r"(?<![a-z_])%s(?![a-z_])" % re.escape(name), msg):
            return True
        if "_" in name and re.search(r"(?<![a-z])%s(?![a-z])" % re.escape(name.replace("_", " ")), msg, re.I):
            return True
    return False


def check_refused(module, args, names, attempts, emu):
    """Run one hostile input; return a description of what went wrong, or None when it was refused cleanly."""
    before = len(attempts)
    seq0 = emu.last_seq()
    try:
        result = run_core(module, args)
    except RequestAttempted as exc:
        return "sent a request instead of refusing: %s" % exc
    except Exception as exc:  # a traceback in a real run
        return "raised %s: %s" % (type(exc).__name__, str(exc)[:300])
    if len(attempts) > before:
        return "sent a request (%s) and then %s" % (attempts[before], "failed" if result.failed else "succeeded")
    arrived = emu.requests(since=seq0)
    if arrived:
        return "sent a request instead of refusing: %s %s reached the emulator (HTTP %s)" % (
            arrived[0]["method"], arrived[0]["path"], arrived[0]["status"])
    text = json.dumps(result, default=str)
    if "Traceback" in text:
        return "traceback in the result"
    if not result.failed:
        return "accepted the hostile value (no failure)"
    msg = str(result.get("msg") or "")
    if not msg:
        return "failed without msg"
    if not _names_option(msg, names):
        return "failure does not name %s: %s" % ("/".join(names), msg[:300])
    return None


def _module_cases():
    for module in BASES:
        yield pytest.param(module, id=module)


@pytest.mark.parametrize("module", list(_module_cases()))
def test_baselines_reach_the_network(emulator, module):
    """Control: the un-mutated option sets are valid and do send requests (so 'no request' below means something)."""
    emulator.reset()
    result = run_core(module, BASES[module](emulator))
    assert not result.failed, result.get("msg")
    assert emulator.requests(org=ORG), "the baseline sent nothing"
    emulator.reset()


@pytest.mark.parametrize("module", list(_module_cases()))
def test_hostile_options_fail_cleanly(emulator, module, no_network, figures):
    emulator.reset()
    _EMU["conn"] = _conn(emulator)
    muts = mutations(module)
    problems = {}
    tried = {"n": 0}

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(st.data())
    def run(data):
        keys = data.draw(st.lists(st.sampled_from(sorted(muts)), min_size=1, max_size=2, unique=True), label="options")
        args = BASES[module](emulator)
        names = []
        for key in keys:
            opt_names, strategy, apply = muts[key]
            value = data.draw(strategy, label=key)
            try:
                apply(args, value)
            except (TypeError, KeyError, AttributeError):  # two mutations that cannot combine
                assume(False)
            names.extend(opt_names)
        tried["n"] += 1
        problem = check_refused(module, args, names, no_network, emulator)
        if problem:
            sample = dict((k, (v[:80] + "...") if isinstance(v, str) and len(v) > 80 else v) for k, v in args.items()
                          if k not in ("client_secret",))
            problems.setdefault("%s: %s" % ("+".join(keys), problem.split(":")[0]), (problem, sample))

    run()
    figures.count("bad_input", module, tried["n"])
    figures.count("bad_input_requests", "n", sum(1 for p in problems.values() if "request" in p[0]))
    figures.count("bad_input_tracebacks", "n", sum(1 for p in problems.values() if p[0].startswith("raised")))
    figures.count("bad_input_problems", module, len(problems))
    assert not problems, "%d kind(s) of hostile input not refused cleanly:\n%s" % (
        len(problems), "\n".join("- %s\n    %s\n    args: %s" % (k, v[0][:400], json.dumps(v[1], default=str)[:600])
                                 for k, v in sorted(problems.items())))


def test_hostile_input_end_to_end(emulator, secret_scan, figures, tmp_path):
    """The same through ansible-playbook: a hostile certificate and a non-https target fail the task cleanly,
    name the option, no request reaches the emulator, no traceback, no secret in the output."""
    emulator.reset()
    conn = _conn(emulator)
    secret_scan.add_client(conn["client_id"], conn["client_secret"])
    playbook = tmp_path / "hostile.yml"
    playbook.write_text("""
- hosts: all
  gather_facts: false
  tasks:
    - name: Hostile certificate
      genesyscloud.sso.genesys_identity_provider:
        api_url: "{{ emu_url }}"
        login_url: "{{ emu_url }}"
        ca_path: "{{ emu_ca }}"
        client_id: "{{ cid }}"
        client_secret: "{{ csecret }}"
        type: okta
        issuer_uri: https://idp.bad.example/entity
        sso_target_uri: "{{ target }}"
        certificates: ["{{ cert }}"]
      ignore_errors: true
      register: hostile
    - name: Record
      ansible.builtin.set_stats:
        data: {hostile_msg: "{{ hostile.msg | default('') }}", hostile_failed: "{{ hostile.failed | default(false) }}"}
""")
    cases = [("truncated certificate", "https://idp.bad.example/sso", CERT[:200], "certificates"),
             ("non-https sso_target_uri", "http://idp.bad.example/sso", CERT, "sso_target_uri")]
    for case, target, cert, option in cases:
        seq0 = emulator.last_seq()
        run = run_playbook(str(playbook), {ORG: {}}, extravars=dict(emu_url=emulator.url, emu_ca=emulator.ca_path,
                                                                     cid=conn["client_id"], csecret=conn["client_secret"],
                                                                     target=target, cert=cert),
                           verbosity=4, workdir=str(tmp_path / case.replace(" ", "_")))
        run.scan_everything(secret_scan)
        results = [(e, r) for h, t, a, e, r in run.task_results() if t == "Hostile certificate"]
        assert results, run.stdout[-2000:]
        event, res = results[0]
        assert event == "runner_on_failed", res
        assert option in res.get("msg", ""), res.get("msg")
        assert "Traceback" not in run.stdout
        api = [r for r in emulator.requests(since=seq0) if r.get("org") == ORG]
        assert api == [], api
        figures.add("bad_input_e2e", dict(case=case, outcome="failed cleanly: %s" % res["msg"][:100]))
