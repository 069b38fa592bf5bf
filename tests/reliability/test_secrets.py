"""Secrets: every client secret, password and access token used stays out of everything a run leaves — stdout at
-vvvv, the ANSIBLE_LOG_PATH file, ansible-runner events and artifacts, diff output, backup files, the emulator's
request log and state dump — on both execution paths (controller action plugin and plain module)."""

import glob
import json
import os

import pytest

from conftest import CONFIGURE, SEED, make_cert, role_group_vars, role_host_vars, run_playbook
from secret_scan import TOTALS, secrets_from_seed
from test_fault_matrix_playbook import TOKEN_FORMAT

ORG = "rel-sec"
OLD, _K1 = make_cert("old.secrets-idp.example")
NEW, _K2 = make_cert("new.secrets-idp.example")

TOKEN_PLAYBOOK = """
- hosts: all
  gather_facts: false
  vars:
    conn: &conn
      api_url: "{{ emu_url }}"
      login_url: "{{ emu_url }}"
      ca_path: "{{ emu_ca }}"
  tasks:
    - name: Mint a token
      genesyscloud.sso.genesys_token:
        <<: *conn
        client_id: "{{ inventory_hostname }}-admin"
        client_secret: "{{ inventory_hostname }}-admin-secret-Zq9"
        include_organization: true
      register: tok
    - name: Keep the token for the scanner (outside what is scanned)
      ansible.builtin.copy:
        content: "{{ tok.access_token }}"
        dest: "{{ token_file }}"
        mode: "0600"
      no_log: true
    - name: Use the token for the next modules
      module_defaults:
        group/genesyscloud.sso.genesys:
          <<: *conn
          access_token: "{{ tok.access_token }}"
      block:
        - name: Read providers with the token
          genesyscloud.sso.genesys_identity_provider_info:
        - name: Check a preserved client
          genesyscloud.sso.genesys_oauth_check:
            client_id: "{{ inventory_hostname }}-bot1"
            client_secret: "{{ inventory_hostname }}-bot1-secret-Xk7"
        - name: Configure with the token, with a diff and a backup
          genesyscloud.sso.genesys_identity_provider:
            type: generic
            name: Corp IdP
            issuer_uri: https://idp.sec.example/entity
            sso_target_uri: https://idp.sec.example/sso
            certificates: ["{{ cert }}"]
            backup: true
            backup_dir: "{{ backup_dir }}"
          diff: true
    - name: Show the organization the token belongs to
      ansible.builtin.debug:
        msg: "token for {{ tok.organization.short_name }} expires at {{ tok.expires_at }}"
"""


def _scan_run(run, scanner, backup_dir):
    run.scan_everything(scanner)
    backups = [p for p in glob.glob(os.path.join(str(backup_dir), "**", "*"), recursive=True) if os.path.isfile(p)]
    for path in backups:
        scanner.scan_path(path)
    return backups


@pytest.mark.parametrize("execution", ["controller", "module"])
def test_no_secret_in_anything_a_vvvv_run_leaves(emu, tmp_path, secret_scan, execution, figures):
    secrets_from_seed(SEED, secret_scan)
    secret_scan.add_pattern(TOKEN_FORMAT, "emulator access token format")
    token_file = tmp_path / "token.txt"
    playbook = tmp_path / "tokens.yml"
    playbook.write_text(TOKEN_PLAYBOOK)
    extra = dict(emu_url=emu.url, emu_ca=emu.ca_path, token_file=str(token_file), cert=OLD,
                 backup_dir=str(tmp_path / "backups"), genesyscloud_sso_execution=execution)
    run = run_playbook(str(playbook), {ORG: {}}, extravars=extra, verbosity=4, diff=True,
                       workdir=str(tmp_path / "tokens"))
    assert run.rc == 0, run.stdout[-3000:]
    token = token_file.read_text().strip()
    assert len(token) >= 20
    secret_scan.add(token, "access token minted in the run")
    os.unlink(str(token_file))  # the one place it was written on purpose
    # the diff of the configure task is in the output (so the scan covers a diff)
    diffs = [res.get("diff") for _h, t, _a, _e, res in run.task_results() if t == "Configure with the token, with a diff and a backup"]
    assert diffs and diffs[0], "no diff to scan"
    # the registered variable still holds the token (censoring did not break register)
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" not in token

    # the role at -vvvv: check + diff, then real (backup written), then a certificate rotation
    group = role_group_vars(emu, dict(type="okta", issuer_uri="https://idp.sec.example/entity",
                                      sso_target_uri="https://idp.sec.example/sso", certificates=[OLD]),
                            tmp_path / "backups", genesyscloud_sso_execution=execution)
    host = {ORG: role_host_vars(ORG)}
    runs = [run]
    if execution == "controller":  # the module path runs the same role once (it costs 0.2 s per task)
        runs.append(run_playbook(CONFIGURE, host, group_vars=group, check=True, diff=True, verbosity=4,
                                 workdir=str(tmp_path / "check")))
    runs.append(run_playbook(CONFIGURE, host, group_vars=group, diff=True, verbosity=4, workdir=str(tmp_path / "real")))
    if execution == "controller":
        group["saml_sso_provider"] = dict(group["saml_sso_provider"], certificates=[NEW, OLD])
        runs.append(run_playbook(CONFIGURE, host, group_vars=group, diff=True, verbosity=4,
                                 workdir=str(tmp_path / "rotate")))
    for r in runs[1:]:
        assert r.rc == 0, r.stdout[-3000:]
    backups = []
    for r in runs:
        backups = _scan_run(r, secret_scan, tmp_path / "backups")
    assert backups, "no backup file was written to scan"
    secret_scan.scan_text(json.dumps(emu.requests()), "emulator request log")
    secret_scan.scan_text(json.dumps(emu.state()), "emulator state dump")
    figures.count("secret_runs", execution, len(runs))
    assert secret_scan.hits == [], secret_scan.hits
    # the scan itself is able to see a leak: the same scanner finds the token in a text that holds it
    probe = secret_scan.scan_text("Authorization: Bearer %s" % token, "self-test")
    assert probe, "the scanner would not see a leaked token"
    secret_scan.hits = [h for h in secret_scan.hits if h.where != "self-test"]
    TOTALS["hits"] -= len(probe)
