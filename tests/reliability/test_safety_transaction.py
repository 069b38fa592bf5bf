"""The change as one recoverable unit, with real processes (issue 13 A1-A3).

* a real ``ansible-playbook`` run of playbooks/configure_sso.yml killed (SIGKILL / SIGINT) between the write and
  its verification: the next run finishes or undoes the change and says so - before, it reported "No change was
  made: a preserved OAuth client fails before the change" (false) or "no change needed" (never validated);
* two ``ansible-playbook`` processes changing one SSO-only org at the same time: with the per-org lock (one
  controller) the second run re-reads under the lock and its lockout guard refuses; with separate lock dirs
  (two controllers) the guard re-checked after the write compensates - before, both passed the guard and the
  org was locked out completely.

Processes are started with their own session and ended by their PID only; every wait is bounded.
"""

import glob
import json
import os
import signal
import sys
import time

import pytest
import yaml

from conftest import CONFIGURE, REPO, VENV_BIN, make_cert, org_seed, role_group_vars, role_host_vars
from genesys_devkit.playbook import start_playbook

OLD_CERT = make_cert("old-idp.txn.example")[0]
NEW_CERT = make_cert("new-idp.txn.example")[0]
OLD = {"name": "Corp IdP", "issuerURI": "https://old-idp.txn.example/entity",
       "ssoTargetURI": "https://old-idp.txn.example/sso", "disabled": False}
NEW_PROVIDER = {"type": "generic", "name": "Corp IdP", "issuer_uri": "https://new-idp.txn.example/entity",
                "sso_target_uri": "https://new-idp.txn.example/sso", "certificates": [NEW_CERT]}
BOT_401 = {"error": "invalid_client", "description": "authentication failed", "error_description": "authentication failed"}


def _add_org(emu, name, providers=None):
    seed = org_seed(name)
    if providers:
        seed["providers"] = providers
    emu.add_orgs([seed])
    return name


def _inventory(tmp_path, emu, org, backup_dir, name="inventory.yml", **extra):
    group = role_group_vars(emu, NEW_PROVIDER, backup_dir, saml_sso_lock_dir=str(tmp_path / "locks"), **extra)
    group.update(ansible_connection="local", ansible_python_interpreter=sys.executable)
    inv = {"all": {"children": {"genesys_orgs": {"hosts": {org: role_host_vars(org)}, "vars": group}}}}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(inv))
    return str(path)


def _start(playbook, tmp_path, log_name, inventory=None):
    """ansible-playbook through the dev kit's runner: its own process group, the kit's Ansible env (GENESYSCLOUD_*
    dropped), stdout and stderr in ``tmp_path/log_name``."""
    return start_playbook(playbook, inventory, cwd=REPO, output_path=str(tmp_path / log_name), merge_output=True,
                          timeout=240, workdir=str(tmp_path / ("pb-" + log_name)),
                          env_options=dict(python=sys.executable, bin_dir=VENV_BIN,
                                           local_temp=str(tmp_path / "ansible-tmp"),
                                           ansible_home=str(tmp_path / "ansible-home")))


def _finish(run, timeout=240):
    """(rc, output) of a started run; past ``timeout`` its process group is killed."""
    result = run.wait(timeout=timeout)
    return result.rc, result.stdout


def _playbook(inventory, tmp_path, log_name):
    return _start(CONFIGURE, tmp_path, log_name, inventory=inventory)


def _wait_for_write(emu, org, path, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(r["method"] in ("PUT", "POST") and r["path"] == path and r["status"] == 200
               for r in emu.requests(org=org)):
            return True
        time.sleep(0.2)
    return False


def _org_state(emu, org):
    return [o for o in emu.state()["orgs"] if o["name"] == org][0]


def _journals(backup_dir, org):
    return [json.load(open(p)) for p in sorted(glob.glob(os.path.join(str(backup_dir), org, "*.journal")))]


def _descendants(pid):
    """PIDs of every process below ``pid`` (ansible's workers detach into their own session)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _kill(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _kill_after_the_write(emu, tmp_path, org, sig):
    """Run configure_sso.yml and kill it (``sig`` to its process group) right after the provider was written."""
    # the read-back after the write hangs, so the run is surely between its write and its verification
    emu.add_fault(method="GET", path="^/api/v2/identityproviders/generic$", org=org, after_write=True,
                  delay_ms=60000, count=1)
    backup_dir = tmp_path / "backups"
    inventory = _inventory(tmp_path, emu, org, backup_dir)
    run = _playbook(inventory, tmp_path, "killed.log")
    done = None
    try:
        assert _wait_for_write(emu, org, "/api/v2/identityproviders/generic"), "the run never wrote"
        time.sleep(0.5)
        workers = _descendants(run.pid)
        if sig == signal.SIGKILL:
            for pid in workers + [run.pid]:    # the whole run, workers included, dies at once
                _kill(pid, signal.SIGKILL)
        else:
            _kill(run.pid, sig)                # Ctrl-C: ansible-playbook stops its workers itself
            done = run.wait(timeout=30)        # (its group is killed past 30 s)
            for pid in workers:                # whatever is left of the run, by PID
                _kill(pid, signal.SIGKILL)
    finally:
        if done is None:
            done = run.wait(timeout=60)
    emu.clear_faults()
    [journal] = _journals(backup_dir, org)
    assert journal["state"] == "written", journal["state"]   # killed: the journal is left unfinished
    return inventory, backup_dir


def test_sigkill_after_the_write_then_the_next_run_undoes_a_change_that_broke_a_bot(emu, tmp_path):
    org = _add_org(emu, "rel-txk1", providers={"generic": dict(OLD, certificates=[OLD_CERT])})
    inventory, backup_dir = _kill_after_the_write(emu, tmp_path, org, signal.SIGKILL)
    assert _org_state(emu, org)["providers"]["generic"]["issuerURI"] == NEW_PROVIDER["issuer_uri"]
    # the change broke the bot (its token grant fails from now on)
    emu.add_fault(method="POST", path="^/oauth/token$", org=org, client_id="%s-bot1" % org, status=401, body=BOT_401)

    rc, out = _finish(_playbook(inventory, tmp_path, "next.log"))
    text = " ".join(out.split())
    assert rc != 0
    assert "An interrupted change of the generic identity provider" in text and "ROLLED BACK" in text, text[-3000:]
    assert "No change was made" not in text
    assert _org_state(emu, org)["providers"]["generic"]["issuerURI"] == OLD["issuerURI"]
    assert _journals(backup_dir, org)[0]["state"] == "rolled-back"


def test_sigint_after_the_write_then_the_next_run_finishes_and_validates_it(emu, tmp_path):
    org = _add_org(emu, "rel-txk2", providers={"generic": dict(OLD, certificates=[OLD_CERT])})
    inventory, backup_dir = _kill_after_the_write(emu, tmp_path, org, signal.SIGINT)
    since = max([r["seq"] for r in emu.requests()], default=0)

    rc, out = _finish(_playbook(inventory, tmp_path, "next.log"))
    text = " ".join(out.split())
    assert rc == 0, text[-3000:]
    assert "Finished an interrupted change of the generic identity provider" in text, text[-3000:]
    # the bot was validated after the interrupted change (its token request reached the emulator)
    bot = [r for r in emu.requests(org=org, since=since) if r["client"] == "%s-bot1" % org]
    assert any(r["path"] == "/oauth/token" and r["status"] == 200 for r in bot), bot
    assert _journals(backup_dir, org)[0]["state"] == "complete"


SSO_ONLY = {"okta": {"name": "Okta", "issuerURI": "urn:okta:txn", "ssoTargetURI": "https://okta.txn.example/sso",
                     "disabled": False},
            "purecloud": {"name": "PureCloud", "disabled": True},
            "custom": [{"name": "Corp", "issuerURI": "urn:corp:txn", "ssoTargetURI": "https://corp.txn.example/sso",
                        "disabled": False}]}


def _disable_playbook(tmp_path, emu, org, name, target, lock_dir):
    conn = dict(api_url=emu.url, login_url=emu.url, ca_path=emu.ca_path, client_id="%s-admin" % org,
                client_secret="%s-admin-secret-Zq9" % org)
    args = dict(target, enabled=False, lock_dir=str(lock_dir), lock_timeout=120, settle_delay=0.2,
                consistency_timeout=10)
    play = [{"hosts": "localhost", "gather_facts": False, "connection": "local",
             "vars": {"ansible_python_interpreter": sys.executable},
             "tasks": [{"name": "Disable one provider", "genesyscloud.sso.genesys_identity_provider": dict(conn, **args)}]}]
    path = tmp_path / name
    path.write_text(yaml.safe_dump(play))
    return str(path)


def _enabled_sign_in(providers, custom):
    purecloud = providers.get("purecloud")
    if purecloud is None or not purecloud.get("disabled"):
        return True
    per_type = [p for t, p in providers.items() if t != "purecloud"]
    return any(not p.get("disabled") for p in per_type + list(custom))


@pytest.mark.parametrize("controllers", ["one", "two"])
def test_two_concurrent_runs_never_lock_the_org_out(emu, tmp_path, controllers):
    org = _add_org(emu, "rel-txc-%s" % controllers, providers=SSO_ONLY)
    # slow writes, so that both runs have read and passed their first guard before either write lands
    emu.add_fault(method="PUT", path="^/api/v2/identityproviders", org=org, delay_ms=1500)
    lock_a = tmp_path / "locks"
    lock_b = tmp_path / ("locks" if controllers == "one" else "locks-other-controller")
    a = _start(_disable_playbook(tmp_path, emu, org, "a.yml", dict(type="okta"), lock_a), tmp_path, "a.log")
    b = _start(_disable_playbook(tmp_path, emu, org, "b.yml", dict(type="custom", name="Corp"), lock_b), tmp_path,
               "b.log")
    (rc_a, out_a), (rc_b, out_b) = _finish(a), _finish(b)
    emu.clear_faults()
    state = _org_state(emu, org)
    assert _enabled_sign_in(state["providers"], state["custom"]), state            # never a full lockout
    assert (rc_a, rc_b).count(0) <= 1, (out_a[-2000:], out_b[-2000:])   # at most one of the two changes stands
    failed = " ".join((out_a if rc_a else out_b).split())
    if controllers == "one":
        # serialised by the lock: one change stands; the second run re-read the org under it and its guard refused
        assert (rc_a, rc_b).count(0) == 1, (out_a[-2000:], out_b[-2000:])
        assert "Refusing to disable" in failed, failed[-3000:]
    else:
        assert "LOCKOUT PREVENTED" in failed or "Refusing to disable" in failed, failed[-3000:]


def _conn(emu, org):
    return dict(api_url=emu.url, login_url=emu.url, ca_path=emu.ca_path, client_id="%s-admin" % org,
                client_secret="%s-admin-secret-Zq9" % org)


def test_a_backup_of_another_org_is_refused_and_nothing_is_written(emu, tmp_path):
    # issue 13 B5: restore_from applied another org's backup silently (the org then trusted the other org's IdP)
    from conftest import run_core

    source = _add_org(emu, "rel-txb-a", providers={"generic": dict(OLD, certificates=[OLD_CERT])})
    target = _add_org(emu, "rel-txb-b", providers={"generic": dict(OLD, issuerURI="https://b.txn.example/entity",
                                                                   certificates=[OLD_CERT])})
    made = run_core("genesys_identity_provider", dict(_conn(emu, source), type="generic", name="Renamed",
                                                      backup=True, backup_dir=str(tmp_path), settle_delay=0))
    assert made["changed"] and made["backup_file"], made
    since = max([r["seq"] for r in emu.requests()], default=0)
    refused = run_core("genesys_identity_provider", dict(_conn(emu, target), restore_from=made["backup_file"],
                                                         lock_dir=str(tmp_path / "locks")))
    assert refused.failed and "Refusing to restore" in refused["msg"] and "rel-txb-a" in refused["msg"], refused
    assert emu.writes(org=target, since=since) == []
    assert _org_state(emu, target)["providers"]["generic"]["issuerURI"] == "https://b.txn.example/entity"


def test_a_timed_out_create_is_found_again_and_the_re_run_makes_no_duplicate(emu, tmp_path):
    # issue 13 D15: a slow custom-provider POST plus the advised re-run created a duplicate, and every later run
    # failed with "2 custom identity providers are named ..."
    from conftest import run_core

    org = _add_org(emu, "rel-txd")
    emu.add_fault(method="POST", path="^/api/v2/identityproviders$", org=org, delay_ms=3000, count=1)
    args = dict(_conn(emu, org), type="custom", name="Corp Slow", issuer_uri="urn:corp:slow",
                sso_target_uri="https://corp.txn.example/sso", certificates=[NEW_CERT], timeout=1, retries=0,
                consistency_timeout=15, settle_delay=0, backup=True, backup_dir=str(tmp_path),
                lock_dir=str(tmp_path / "locks"))
    first = run_core("genesys_identity_provider", args)
    emu.clear_faults()
    again = run_core("genesys_identity_provider", args)
    named = [c for c in _org_state(emu, org)["custom"] if c.get("name") == "Corp Slow"]
    assert len(named) == 1, (first, again)
    assert not again.failed and again["changed"] is False, again
    posts = [r for r in emu.writes(org=org) if r["method"] == "POST"]
    assert len(posts) == 1, posts
