"""The saml_sso role under typos and hostile inventories (issue 13 B8, C9, D14), through ansible-runner like AWX.

* C9: an input error (``-e saml_sso_retries=notanumber``) fails before any request with one line that names the
  option, and no secret (admin client secret and GENESYSCLOUD_ACCESS_TOKEN from the environment, a preserved
  client's secret from the inventory) appears in stdout, the log file, the runner artifacts or its job events,
  with the collection's playbook and with a play of one's own that keeps ansible-core's role validation.
* B8: a misspelt role variable fails naming the closest input; a run without preserved clients validates the admin
  client's own client-credentials grant in step 1 and says "OAuth automation NOT verified" per org and in the
  closing line.
* D14: an inventory host called ``../x`` keeps its backup and report inside their directories; report files are
  0600, a new report directory 0700, an existing one keeps its mode; check mode writes the report file only.
"""

import json
import os
import stat

import pytest

from conftest import CONFIGURE, make_cert, org_seed, role_group_vars, run_playbook
from secret_scan import secrets_from_seed
from test_fault_matrix_playbook import TOKEN_FORMAT

CERT, _KEY = make_cert("role-safety.idp.example")
PROVIDER = dict(type="generic", name="Corp IdP", issuer_uri="https://idp.role-safety.example/entity",
                sso_target_uri="https://idp.role-safety.example/sso", certificates=[CERT],
                relying_party_identifier="genesys.cloud.role-safety")
NOT_VERIFIED = "OAuth automation NOT verified: no preserved clients configured"
FIRST_TASK = "Start the record of this org and check the inputs before any request"
SUMMARY_TASK = "Build the summary of this org (step 7)"
CLOSING_TASK = "Summarise every org of this run"
WRITES = ("POST", "PUT", "DELETE", "PATCH")

# a play of one's own that imports the role as the docs show, with ansible-core's role argument validation on
OWN_PLAY_TEXT = """- hosts: genesys_orgs
  connection: local
  gather_facts: false
  tasks:
    - name: Configure single sign-on with ansible-core's validation of the role's arguments
      ansible.builtin.import_role:
        name: genesyscloud.sso.saml_sso
"""


def _org(emu, name):
    """A seed org of its own (admin + one bot) added to the shared emulator after its reset."""
    seed = org_seed(name)
    if name not in [o["name"] for o in emu.state()["orgs"]]:
        emu.add_orgs([seed])
    return seed


def _scan(run, scanner):
    """What the run printed and emitted: stdout, the log file, the job events (files and parsed) and the artifacts,
    except ansible-runner's own record of the environment it was given (``command``: the credentials injected)."""
    scanner.scan_text(run.stdout, "stdout")
    scanner.scan_text(run.log, "ANSIBLE_LOG_PATH")
    scanner.scan_text(json.dumps(run.events, default=str), "runner events")
    for folder, _dirs, files in os.walk(run.artifact_dir):
        for name in files:
            if name != "command":
                scanner.scan_path(os.path.join(folder, name))
    assert os.listdir(os.path.join(run.artifact_dir, "job_events"))


def _admin(seed):
    return [c for c in seed["clients"] if c["id"].endswith("-admin")][0]


def _bot(seed):
    return [c for c in seed["clients"] if c["id"].endswith("-bot1")][0]


def _res(run, host, task):
    found = [(event, res) for h, name, _a, event, res in run.task_results(host=host) if name == task]
    assert found, "task %r did not run for %s: %s" % (task, host, run.stdout[-3000:])
    return found[-1]


def _summary(run, host):
    return _res(run, host, SUMMARY_TASK)[1]["ansible_facts"]["saml_sso_result"]


def _closing(run):
    return [res for _h, name, _a, _e, res in run.task_results() if name == CLOSING_TASK][-1]["msg"]


@pytest.fixture
def own_play(tmp_path):
    path = tmp_path / "own_play.yml"
    path.write_text(OWN_PLAY_TEXT, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("playbook", ["collection playbook", "own play with ansible-core validation"])
def test_an_input_error_is_one_line_before_any_request_and_prints_no_secret(emu, tmp_path, secret_scan, own_play,
                                                                             playbook):
    seed = _org(emu, "rel-role-c9")
    admin, bot = _admin(seed), _bot(seed)
    token = emu.token(admin["id"], admin["secret"])
    secrets_from_seed({"orgs": [seed]}, secret_scan)
    secret_scan.add(token, "GENESYSCLOUD_ACCESS_TOKEN")
    env = dict(GENESYSCLOUD_OAUTHCLIENT_ID=admin["id"], GENESYSCLOUD_OAUTHCLIENT_SECRET=admin["secret"],
               GENESYSCLOUD_ACCESS_TOKEN=token)
    hosts = {"rel-role-c9": dict(saml_sso_preserved_clients=[dict(name="bot", client_id=bot["id"],
                                                                   client_secret=bot["secret"])])}
    seq = emu.last_seq()
    run = run_playbook(CONFIGURE if playbook == "collection playbook" else own_play, hosts,
                       group_vars=role_group_vars(emu, PROVIDER, tmp_path / "backups"),
                       extravars=dict(saml_sso_retries="notanumber"), env=env, workdir=str(tmp_path / "run"))
    _scan(run, secret_scan)  # the admin secret, the token, the bot secret: nowhere, job events included
    assert run.rc != 0 and run.failed_hosts() == ["rel-role-c9"]
    assert emu.requests(org="rel-role-c9", since=seq) == [], "invalid input must fail before any request"
    if playbook != "collection playbook":
        return  # ansible-core's validation message is its own (the spec, which holds no secret and no lookup)
    event, res = _res(run, "rel-role-c9", FIRST_TASK)
    assert event == "runner_on_failed"
    error = res["ansible_facts"]["_saml_sso_error"]
    assert error == ("Invalid input for rel-role-c9: saml_sso_retries must be of type int (it is a str that does not "
                     "convert to one). Fix it in the inventory, group_vars, vars or -e and run again.")
    assert "argument_spec_data" not in run.stdout and "Validating arguments against arg spec" not in run.stdout
    assert _summary(run, "rel-role-c9")["error"] == error
    assert any(line.endswith(error) for line in _closing(run))


def test_a_misspelt_role_variable_fails_naming_the_closest_input(emu, tmp_path, secret_scan):
    seed = _org(emu, "rel-role-b8")
    admin, bot = _admin(seed), _bot(seed)
    secrets_from_seed({"orgs": [seed]}, secret_scan)
    hosts = {"rel-role-b8": dict(saml_sso_client_id=admin["id"], saml_sso_client_secret=admin["secret"],
                                 saml_sso_preseved_clients=[dict(client_id=bot["id"], client_secret=bot["secret"])])}
    seq = emu.last_seq()
    run = run_playbook(CONFIGURE, hosts, group_vars=role_group_vars(emu, PROVIDER, tmp_path / "backups"),
                       workdir=str(tmp_path / "run"))
    _scan(run, secret_scan)
    assert run.rc != 0 and run.failed_hosts() == ["rel-role-b8"]
    summary = _summary(run, "rel-role-b8")
    assert summary["failed_step"] in ("input", FIRST_TASK)  # the id of the step (or its task name)
    assert ("saml_sso_preseved_clients is not a variable of the saml_sso role (did you mean "
            "saml_sso_preserved_clients?)") in summary["error"]
    assert "\n" not in summary["error"]
    assert emu.requests(org="rel-role-b8", since=seq) == [], "nothing may be asked of the org"


def test_without_preserved_clients_the_admin_grant_is_checked_and_the_run_says_not_verified(emu, tmp_path,
                                                                                            secret_scan):
    seed = _org(emu, "rel-role-adm")
    admin = _admin(seed)
    secrets_from_seed({"orgs": [seed]}, secret_scan)
    secret_scan.add_pattern(TOKEN_FORMAT, "emulator access token format (the tokens minted inside the run)")
    secret_scan.add_credential_patterns()
    # the admin credentials from the environment only: the role's defaults are empty and the modules read them
    env = dict(GENESYSCLOUD_OAUTHCLIENT_ID=admin["id"], GENESYSCLOUD_OAUTHCLIENT_SECRET=admin["secret"])
    seq = emu.last_seq()
    run = run_playbook(CONFIGURE, {"rel-role-adm": {}}, group_vars=role_group_vars(emu, PROVIDER, tmp_path / "b"),
                       env=env, workdir=str(tmp_path / "run"), verbosity=4)  # the admin secret is a client now
    _scan(run, secret_scan)
    assert run.rc == 0, run.stdout[-3000:]
    summary = _summary(run, "rel-role-adm")
    assert summary["status"] == "ok" and summary["changed"] is True and summary["oauth_verified"] is False
    assert summary["lines"][1].startswith(NOT_VERIFIED)
    assert summary["lines"][1].endswith("The admin client's own client-credentials grant: OK.")
    closing = _closing(run)
    assert closing[0].endswith("; %s (rel-role-adm)" % NOT_VERIFIED)
    assert closing[1].endswith(" - " + NOT_VERIFIED)
    log = [(r["method"], r["path"], r["client"]) for r in emu.requests(org="rel-role-adm", since=seq)]
    first_write = min(i for i, r in enumerate(log) if r[0] in WRITES and r[1].startswith("/api/v2/"))
    # step 1 (before any write): the admin client's own grant, its token info and its read of the providers
    assert log[:3] == [("POST", "/oauth/token", admin["id"]), ("GET", "/api/v2/tokens/me", admin["id"]),
                       ("GET", "/api/v2/identityproviders", admin["id"])], log
    assert first_write > 3


def test_step_1_stops_before_any_write_when_the_admin_grant_fails_without_preserved_clients(emu, tmp_path):
    seed = _org(emu, "rel-role-adm2")
    admin = _admin(seed)
    emu.patch_client("rel-role-adm2", admin["id"], permissions=["oauth:client:view"])  # no sso:provider:view
    seq = emu.last_seq()
    run = run_playbook(CONFIGURE, {"rel-role-adm2": dict(saml_sso_client_id=admin["id"],
                                                         saml_sso_client_secret=admin["secret"])},
                       group_vars=role_group_vars(emu, PROVIDER, tmp_path / "b"), workdir=str(tmp_path / "run"))
    assert run.rc != 0
    summary = _summary(run, "rel-role-adm2")
    assert summary["status"] == "failed" and summary["changed"] is False, summary["lines"]
    assert summary["lines"][1].endswith("The admin client's own client-credentials grant: FAILED."), summary["lines"]
    assert [r for r in emu.requests(org="rel-role-adm2", since=seq) if r["method"] in WRITES
            and r["path"].startswith("/api/v2/")] == []


def _files_under(top):
    found = []
    for folder, _dirs, files in os.walk(str(top)):
        found += [os.path.join(folder, f) for f in files]
    return sorted(found)


def test_a_hostile_host_name_keeps_every_file_inside_its_directory_and_reports_are_private(emu, tmp_path):
    seed = _org(emu, "rel-role-d14")
    admin, bot = _admin(seed), _bot(seed)
    work = tmp_path / "work"
    backups, reports, existing = work / "backups", work / "new" / "reports", work / "existing"
    existing.mkdir(parents=True)
    os.chmod(str(existing), 0o755)
    host = "../rel-role-d14"
    hosts = {host: dict(saml_sso_client_id=admin["id"], saml_sso_client_secret=admin["secret"],
                        saml_sso_preserved_clients=[dict(client_id=bot["id"], client_secret=bot["secret"])])}
    group = role_group_vars(emu, PROVIDER, backups, saml_sso_report_dir=str(reports))

    check = run_playbook(CONFIGURE, hosts, group_vars=group, check=True, workdir=str(tmp_path / "check"))
    assert check.rc == 0, check.stdout[-3000:]
    # check mode: nothing written to the org, no backup; only the report files of the run (JSON, CSV, HTML; documented
    # in docs/role.md)
    assert _files_under(work) == _files_under(reports) and len(_files_under(reports)) == 3
    assert [r for r in emu.requests(org="rel-role-d14") if r["method"] in WRITES and r["path"].startswith("/api/v2/")] == []

    run = run_playbook(CONFIGURE, hosts, group_vars=dict(group, saml_sso_report_dir=str(existing)),
                       workdir=str(tmp_path / "run"))
    assert run.rc == 0, run.stdout[-3000:]
    summary = _summary(run, host)
    assert summary["changed"] is True and summary["backup_file"]
    inside = _files_under(backups) + _files_under(reports) + _files_under(existing)
    assert _files_under(work) == sorted(inside), "a file escaped the backup and report directories"
    assert os.path.realpath(summary["backup_file"]).startswith(os.path.realpath(str(backups)) + os.sep)
    assert not os.path.exists(str(work / "rel-role-d14")) and not os.path.exists(str(work / "new" / "rel-role-d14.json"))
    report_files = _files_under(reports) + _files_under(existing)
    # the report files of the two runs (JSON, CSV, HTML each); other files (the handoff) are checked alike below
    assert len([p for p in report_files if os.path.basename(p).startswith("sso-configure-")]) == 6
    for path in report_files:
        assert os.path.dirname(path) in (str(reports), str(existing))
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    assert stat.S_IMODE(os.stat(str(reports)).st_mode) == 0o700  # created by the role
    assert stat.S_IMODE(os.stat(str(existing)).st_mode) == 0o755  # never chmodded
