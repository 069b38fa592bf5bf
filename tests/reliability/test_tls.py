"""TLS: an untrusted certificate is refused by default with a message naming ``ca_path``; a hostname mismatch is
refused; ``validate_certs: false`` works and warns.  Every module, in-process as the action plugin runs it, plus
the whole playbook once."""

import os
import re

import pytest

from conftest import CONFIGURE, connection, make_cert, role_group_vars, role_host_vars, run_core, run_playbook
from tls_proxy import TLSProxy

ORG = "rel-tls"
CERT, _KEY = make_cert("tls-idp.example")


def _args(module, emu, **conn):
    if module == "genesys_oauth_check":
        c = connection(emu, ORG, client="bot1", **conn)
        c.pop("access_token", None)
        return c
    args = connection(emu, ORG, **conn)
    if module == "genesys_identity_provider":
        args.update(type="okta", issuer_uri="https://idp.tls.example/entity", sso_target_uri="https://idp.tls.example/sso",
                    certificates=[CERT])
    return args


MODULES = ["genesys_token", "genesys_oauth_check", "genesys_identity_provider", "genesys_identity_provider_info"]


@pytest.fixture
def clean_env(monkeypatch):
    for var in ("GENESYSCLOUD_CA_PATH", "GENESYSCLOUD_API_URL", "GENESYSCLOUD_LOGIN_URL"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def mismatch_proxy(emu, tmp_path):
    """Our own CA + a server certificate for 127.0.0.1 only, in front of the emulator."""
    proxy = TLSProxy(str(tmp_path), emu.url, emu.ca_path, dns_names=(), ip_addresses=("127.0.0.1",))
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.mark.parametrize("module", MODULES)
def test_untrusted_certificate_is_refused_naming_ca_path(emu, module, clean_env, figures):
    args = _args(module, emu)
    args.pop("ca_path")
    result = run_core(module, args)
    ok = bool(result.failed and re.search(r"\bca_path\b", result.get("msg", "")))
    figures.add("tls", dict(case="untrusted certificate, %s" % module, expected="refused, names ca_path", ok=ok,
                            msg=str(result.get("msg", ""))[:110].replace("|", "/")))
    assert result.failed, "a certificate of an unknown CA was accepted"
    assert re.search(r"\bca_path\b", result["msg"]), result["msg"]
    assert re.search(r"certificate|TLS|SSL", result["msg"], re.I)
    assert emu.writes(org=ORG) == []


@pytest.mark.parametrize("module", MODULES)
def test_validate_certs_false_works_and_warns(emu, module, clean_env, figures):
    args = _args(module, emu, validate_certs=False)
    args.pop("ca_path")
    result = run_core(module, args)
    warned = [w for w in result.get("warnings", []) if "validate_certs" in w]
    figures.add("tls", dict(case="validate_certs: false, %s" % module, expected="works, warns", ok=bool(
        not result.failed and warned), msg=(warned or [""])[0][:110]))
    assert not result.failed, result.get("msg")
    assert warned, result.get("warnings")


def test_hostname_mismatch_is_refused(emu, mismatch_proxy, clean_env, figures):
    # positive control: through the proxy, by the name its certificate holds, with its CA: works
    good = run_core("genesys_token", dict(connection(emu, ORG, include_organization=True),
                                          api_url=mismatch_proxy.url("127.0.0.1"), login_url=mismatch_proxy.url("127.0.0.1"),
                                          ca_path=mismatch_proxy.ca_path))
    assert not good.failed, good.get("msg")
    assert good["organization"]["short_name"] == ORG
    # the same server and CA by a name the certificate does not hold: refused
    bad = run_core("genesys_token", dict(connection(emu, ORG), api_url=mismatch_proxy.url("localhost"),
                                         login_url=mismatch_proxy.url("localhost"), ca_path=mismatch_proxy.ca_path))
    figures.add("tls", dict(case="hostname mismatch (cert for 127.0.0.1, URL https://localhost)", expected="refused",
                            ok=bool(bad.failed), msg=str(bad.get("msg", ""))[:110].replace("|", "/")))
    assert bad.failed, "a certificate for another host name was accepted"
    assert re.search(r"hostname|host name|match|certificate", bad["msg"], re.I), bad["msg"]


def test_untrusted_certificate_through_the_playbook(emu, tmp_path, clean_env, secret_scan, figures):
    group = role_group_vars(emu, dict(type="okta", issuer_uri="https://idp.tls.example/entity",
                                      sso_target_uri="https://idp.tls.example/sso", certificates=[CERT]),
                            tmp_path / "backups")
    group.pop("saml_sso_ca_path")
    env = dict((k, v) for k, v in os.environ.items() if k.startswith("GENESYSCLOUD_"))
    assert not env
    run = run_playbook(CONFIGURE, {ORG: role_host_vars(ORG)}, group_vars=group, workdir=str(tmp_path / "run"))
    secret_scan.add_client("%s-admin" % ORG, "%s-admin-secret-Zq9" % ORG)
    run.scan_everything(secret_scan)
    messages = [res.get("msg", "") for _h, _t, _a, e, res in run.task_results(host=ORG) if e == "runner_on_failed"]
    ok = run.failed_hosts() == [ORG] and any("ca_path" in m for m in messages)
    figures.add("tls", dict(case="untrusted certificate, playbook configure_sso.yml", expected="org fails, names ca_path",
                            ok=ok, msg=(messages or [""])[-1][:110].replace("|", "/")))
    assert run.failed_hosts() == [ORG]
    assert any("ca_path" in m for m in messages), messages
    assert "Traceback" not in run.stdout
    assert emu.writes(org=ORG) == []
