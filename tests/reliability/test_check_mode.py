"""Check-mode fidelity: for every end-to-end scenario, ``--check --diff`` reports the same ``changed`` and ``diff``
as the real run that follows, and the check run sends no POST/PUT/DELETE.

Scenarios, one org each, in ONE check run and ONE real run of playbooks/configure_sso.yml (role saml_sso):
fresh org, converged org, one field changed, certificate rotation (add a new certificate beside the old one),
certificate rotation (remove the old one).  ``absent`` (the role only configures) runs the module through
a small playbook: check then real.
"""

import json

import pytest

from conftest import CONFIGURE, connection, make_cert, role_group_vars, role_host_vars, run_core, run_playbook
from test_fault_matrix_modules import providers_of

OLD, _K1 = make_cert("old-signing.idp.example")
NEW, _K2 = make_cert("new-signing.idp.example")
BASE = dict(type="okta", issuer_uri="https://idp.cm.example/entity", sso_target_uri="https://idp.cm.example/sso",
            certificates=[NEW], relying_party_identifier="genesys.cloud.reliability")


def _with(**changes):
    out = dict(BASE)
    out.update(changes)
    return out


# scenario: (org, provider already there (module options) or None, provider the role is given)
SCENARIOS = {
    "fresh org": ("rel-c01", None, BASE),
    "converged org": ("rel-c02", BASE, BASE),
    "change one field": ("rel-c03", _with(sso_target_uri="https://idp.cm.example/old-sso"), BASE),
    "rotate certificates (add new, keep old)": ("rel-c04", _with(certificates=[OLD]), _with(certificates=[NEW, OLD])),
    "rotate certificates (remove old)": ("rel-c05", _with(certificates=[NEW, OLD]), _with(certificates=[NEW])),
}
CONFIGURE_TASK = "Configure the SAML identity provider (steps 3-6)"
WRITES = ("POST", "PUT", "DELETE", "PATCH")


def _prepare(emu, org, options):
    if options is None:
        return
    args = dict(connection(emu, org), **options)
    result = run_core("genesys_identity_provider", args)
    assert not result.failed, result.get("msg")


def _task(run, org, name):
    found = [(event, res) for _h, task, _a, event, res in run.task_results(host=org) if task == name]
    assert found, "task %r did not run for %s" % (name, org)
    return found[-1]


@pytest.fixture(scope="module")
def role_runs(emulator, tmp_path_factory):
    emu = emulator
    emu.reset()
    tmp = tmp_path_factory.mktemp("check-mode")
    hosts = {}
    for scenario, (org, existing, wanted) in SCENARIOS.items():
        _prepare(emu, org, existing)
        hosts[org] = dict(role_host_vars(org), saml_sso_provider=wanted)
    group = role_group_vars(emu, BASE, tmp / "backups")
    before = dict((org, providers_of(emu, org)) for org in hosts)
    seq0 = emu.last_seq()
    check = run_playbook(CONFIGURE, hosts, group_vars=group, check=True, diff=True, workdir=str(tmp / "check"))
    seq1 = emu.last_seq()
    check_requests = emu.requests(since=seq0)
    after_check = dict((org, providers_of(emu, org)) for org in hosts)
    real = run_playbook(CONFIGURE, hosts, group_vars=group, diff=True, workdir=str(tmp / "real"))
    real_requests = emu.requests(since=seq1)
    data = dict(check=check, real=real, before=before, after_check=after_check, check_requests=check_requests,
                real_requests=real_requests)
    emu.reset()
    return data


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_check_run_predicts_the_real_run(role_runs, scenario, figures):
    org = SCENARIOS[scenario][0]
    check, real = role_runs["check"], role_runs["real"]
    check_writes = [r for r in role_runs["check_requests"] if r.get("org") == org and r["method"] in WRITES
                    and r["path"].startswith("/api/v2")]
    row = dict(scenario=scenario + " (role)", check_changed="?", real_changed="?", diff_equal=False,
               check_writes=len(check_writes))
    try:
        assert org not in check.failed_hosts(), check.stdout[-3000:]
        assert org not in real.failed_hosts(), real.stdout[-3000:]
        c_event, c_res = _task(check, org, CONFIGURE_TASK)
        r_event, r_res = _task(real, org, CONFIGURE_TASK)
        row.update(check_changed=bool(c_res.get("changed")), real_changed=bool(r_res.get("changed")))
        row["diff_equal"] = c_res.get("diff") == r_res.get("diff")
        assert check_writes == [], check_writes
        assert role_runs["after_check"][org] == role_runs["before"][org], "the check run changed the provider"
        assert bool(c_res.get("changed")) == bool(r_res.get("changed"))
        assert (org in check.changed_hosts()) == (org in real.changed_hosts())
        assert c_res.get("diff") == r_res.get("diff"), json.dumps([c_res.get("diff"), r_res.get("diff")], indent=1)
        expected_change = SCENARIOS[scenario][1] != SCENARIOS[scenario][2]
        assert bool(r_res.get("changed")) == expected_change
        if expected_change:
            assert r_res.get("diff"), "a change without a diff"
    finally:
        figures.add("check_mode", row)


ABSENT_PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - name: Remove the provider
      genesyscloud.sso.genesys_identity_provider:
        api_url: "{{ emu_url }}"
        login_url: "{{ emu_url }}"
        ca_path: "{{ emu_ca }}"
        client_id: "{{ inventory_hostname }}-admin"
        client_secret: "{{ inventory_hostname }}-admin-secret-Zq9"
        type: okta
        state: absent
        force: true
"""


def test_check_run_predicts_absent(emu, tmp_path, figures):
    org = "rel-c06"
    _prepare(emu, org, BASE)
    playbook = tmp_path / "absent.yml"
    playbook.write_text(ABSENT_PLAYBOOK)
    extra = dict(emu_url=emu.url, emu_ca=emu.ca_path)
    before = providers_of(emu, org)
    seq0 = emu.last_seq()
    check = run_playbook(str(playbook), {org: {}}, extravars=extra, check=True, diff=True, workdir=str(tmp_path / "c"))
    seq1 = emu.last_seq()
    check_writes = [r for r in emu.requests(org=org, since=seq0) if r["method"] in WRITES and r["path"].startswith("/api/v2")]
    after_check = providers_of(emu, org)
    real = run_playbook(str(playbook), {org: {}}, extravars=extra, diff=True, workdir=str(tmp_path / "r"))
    real_writes = [r for r in emu.requests(org=org, since=seq1) if r["method"] in WRITES and r["path"].startswith("/api/v2")]
    c_event, c_res = _task(check, org, "Remove the provider")
    r_event, r_res = _task(real, org, "Remove the provider")
    row = dict(scenario="absent (module)", check_changed=bool(c_res.get("changed")),
               real_changed=bool(r_res.get("changed")), diff_equal=c_res.get("diff") == r_res.get("diff"),
               check_writes=len(check_writes))
    figures.add("check_mode", row)
    assert check.rc == 0 and real.rc == 0, real.stdout[-2000:]
    assert check_writes == [] and after_check == before
    assert real_writes and "okta" not in providers_of(emu, org)["providers"]
    assert c_res.get("changed") is True and r_res.get("changed") is True
    assert c_res.get("diff") == r_res.get("diff"), json.dumps([c_res.get("diff"), r_res.get("diff")], indent=1)
