"""Fixtures of the reliability suite: the emulator, playbook runs, in-process module runs, the report hook."""

import copy
import importlib
import json
import os
import shutil
import sys
import time

import pytest
import requests
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
_KIT = os.path.join(os.path.dirname(os.path.dirname(HERE)), "devkit")
for _path in (HERE, _KIT):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from genesys_devkit import certs, seeds  # noqa: E402
from genesys_devkit import playbook as playbook_module  # noqa: E402
from genesys_devkit.collections import ensure_collections_link  # noqa: E402
from genesys_devkit.emulator import emulator_class  # noqa: E402
from genesys_devkit.paths import COLLECTIONS, EMULATOR_DIR, REPO  # noqa: E402,F401

VENV_BIN = os.path.dirname(sys.executable)
REPORT_PATH = os.environ.get("RELIABILITY_REPORT", os.path.join(REPO, "docs", "reliability.md"))

# run_core imports the collection in-process
ensure_collections_link(add_to_sys_path=True)

from report import FIGURES, session_info, write_report  # noqa: E402
from secret_scan import SecretScanner, secret_scan, secrets_from_seed  # noqa: E402,F401

SECRET_TOKEN_LABEL = "issued access token"


# ---------------------------------------------------------------------------------------------------
# the emulator
# ---------------------------------------------------------------------------------------------------
def _emulator_class():
    """The kit's ``Emulator`` (``EmulatorProcess`` plus ``writes()``, ``last_seq()``...), started on construction."""
    base = emulator_class()

    class Emulator(base):
        def __init__(self, seed, latency_ms=0, workdir=None, extra_args=()):
            super(Emulator, self).__init__(seed=seed, latency_ms=latency_ms, state_dir=workdir, extra_args=extra_args,
                                           start_timeout=60)
            self.start()

        def stop(self, timeout=3.0):
            super(Emulator, self).stop(timeout=timeout)

    return Emulator


def make_cert(cn="idp.reliability.example", days=365, key_type="ec", not_before_days=-1):
    """A self-signed certificate like an IdP's signing certificate: (cert PEM, key PEM) of the kit's factory."""
    cert = certs.make_certificate(cn, key_type=key_type, not_before_days=not_before_days, days=days)
    return cert.pem, cert.key_pem


# Orgs of the shared (per worker) emulator: one per test family so request logs and faults never mix.
ORG_NAMES = ["rel-%s" % n for n in ("token", "check", "idp", "info", "pb", "bad", "tls", "cm", "sec", "aux")]
# orgs of the one-run playbook matrices (one org per fault row / check-mode scenario)
ORG_NAMES += ["rel-f%02d" % i for i in range(1, 17)] + ["rel-c%02d" % i for i in range(1, 7)]


def org_seed(name, n_preserved=1):
    """One org of this suite: its admin (every permission), ``n_preserved`` bots and a user."""
    clients = [seeds.client("%s-admin" % name, "%s-admin-secret-Zq9" % name, name="SSO automation")]
    clients += [seeds.client("%s-bot%d" % (name, i), "%s-bot%d-secret-Xk7" % (name, i), name="Bot %d" % i,
                             permissions=["oauth:client:view"]) for i in range(1, n_preserved + 1)]
    return seeds.org_seed(name, clients=clients, users=[seeds.user("admin@%s.example" % name, "%s-user-pw-Hh3" % name)])


SEED = {"orgs": [org_seed(n) for n in ORG_NAMES]}


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    emu = _emulator_class()(copy.deepcopy(SEED), workdir=str(tmp_path_factory.mktemp("emulator")))
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emu(emulator):
    """The shared emulator, back at its seed state (no faults, empty log) for this test."""
    emulator.reset()
    yield emulator
    emulator.clear_faults()


def connection(emu_, org, client="admin", **extra):
    """Module connection options for ``org``'s admin client (or a preserved client: 'bot1')."""
    params = dict(api_url=emu_.url, login_url=emu_.url, ca_path=emu_.ca_path,
                  client_id="%s-%s" % (org, client),
                  client_secret="%s-%s-secret-%s" % (org, client, "Zq9" if client == "admin" else "Xk7"))
    params.update(extra)
    return params


# ---------------------------------------------------------------------------------------------------
# running a module in-process, exactly as the action plugin does
# ---------------------------------------------------------------------------------------------------
class CoreResult(dict):
    @property
    def failed(self):
        return bool(self.get("failed"))


def run_core(module_name, args, check_mode=False, diff_mode=False):
    """Run a module in-process exactly as its action plugin does (``GenesysActionBase.run_core``).

    Returns the masked result dict.  Any exception other than the clean failure propagates (a traceback).
    """
    action = importlib.import_module("ansible_collections.genesyscloud.sso.plugins.action.%s" % module_name)
    cls = action.ActionModule
    plugin = cls.__new__(cls)  # run_core needs no Ansible task objects
    result = plugin.run_core({}, copy.deepcopy(args), "genesyscloud.sso.%s" % module_name,
                             check_mode=check_mode, diff_mode=diff_mode)
    return CoreResult(result)


# ---------------------------------------------------------------------------------------------------
# running a playbook (ansible-runner: events + artifacts, like AWX)
# ---------------------------------------------------------------------------------------------------
class PlaybookRun(playbook_module.PlaybookResult):
    """The kit's ``PlaybookResult`` of an ansible-runner run (events, artifacts, ``log``, ``cpu_seconds``) plus the
    views of this suite."""

    @property
    def private_dir(self):
        return self.workdir

    @property
    def seconds(self):
        return self.elapsed

    @property
    def cmdline(self):
        return " ".join(self.cmd) if isinstance(self.cmd, (list, tuple)) else self.cmd

    def task_results(self, host=None, action=None):
        """(host, task name, action, event name, res) for every task result event."""
        out = []
        for ev in self.events:
            if ev.get("event") not in ("runner_on_ok", "runner_on_failed", "runner_on_skipped",
                                       "runner_on_unreachable", "runner_item_on_ok", "runner_item_on_failed"):
                continue
            data = ev.get("event_data", {})
            if host and data.get("host") != host:
                continue
            if action and not str(data.get("task_action", "")).endswith(action):
                continue
            out.append((data.get("host"), data.get("task"), data.get("task_action"), ev["event"], data.get("res", {})))
        return out

    def warnings(self, host=None, marker=None):
        """Warnings of the task results of ``host`` plus the displayed ``[WARNING]`` lines that carry ``marker``
        (results of no_log tasks are censored in events, but their warnings are still displayed)."""
        out = []
        for _h, _t, _a, _e, res in self.task_results(host=host):
            out.extend(res.get("warnings", []) or [])
        for line in self.stdout.splitlines():
            if line.startswith("[WARNING]:") and (marker is None or marker in line) and line[11:].strip() not in out:
                if host is None or marker is not None:
                    out.append(line[11:].strip())
        return out

    def scan_everything(self, scanner):
        """Scan stdout, the log file, every runner artifact (events included)."""
        scanner.scan_text(self.stdout, "stdout")
        scanner.scan_text(self.log, "ANSIBLE_LOG_PATH")
        scanner.scan_path(self.artifact_dir)
        scanner.scan_text(json.dumps(self.events, default=str), "runner events")


def inventory_for(hosts, group_vars=None):
    """Hosts (one per org) in the group ``genesys_orgs`` that playbooks/configure_sso.yml targets."""
    all_vars = dict(ansible_connection="local", ansible_python_interpreter=sys.executable)
    all_vars.update(group_vars or {})
    return {"all": {"children": {"genesys_orgs": {"hosts": hosts, "vars": all_vars}}}}


CONFIGURE = os.path.join(REPO, "playbooks", "configure_sso.yml")


def role_host_vars(org, n_bots=1):
    """Host vars of one org for the saml_sso role: admin credentials of the seed and its preserved bots."""
    return dict(
        saml_sso_client_id="%s-admin" % org, saml_sso_client_secret="%s-admin-secret-Zq9" % org,
        saml_sso_preserved_clients=[dict(name="bot%d-%s" % (i, org), client_id="%s-bot%d" % (org, i),
                                         client_secret="%s-bot%d-secret-Xk7" % (org, i)) for i in range(1, n_bots + 1)])


def role_group_vars(emu_, provider, backup_dir, **extra):
    out = dict(saml_sso_api_url=emu_.url, saml_sso_login_url=emu_.url, saml_sso_ca_path=emu_.ca_path,
               saml_sso_backup_dir=str(backup_dir), saml_sso_provider=provider, saml_sso_settle_delay=0.2)
    out.update(extra)
    return out


def run_playbook(playbook, hosts, extravars=None, check=False, diff=False, verbosity=0, workdir=None,
                 forks=None, limit=None, env=None, timeout=900, tags=None, group_vars=None):
    """Run ``playbook`` (path or FQCN) over ``hosts`` ({name: vars}, group genesys_orgs) with ansible-runner (the dev
    kit's runner mode; ``ANSIBLE_LOG_PATH``, local temp and ``ANSIBLE_HOME`` in the run's private directory)."""
    private = workdir or playbook_module.private_dir("relrun-")
    os.makedirs(private, exist_ok=True)
    return playbook_module.run_playbook(
        playbook, inventory_for(hosts, group_vars), extravars, mode="runner", check=check, diff=diff,
        verbosity=verbosity, limit=limit, tags=tags, forks=forks, env=env, timeout=timeout, workdir=private, log=True,
        project_dir=REPO, result_class=PlaybookRun,
        env_options=dict(python=sys.executable, bin_dir=VENV_BIN, local_temp=os.path.join(private, "tmp"),
                         ansible_home=os.path.join(private, "ansible_home")))


# ---------------------------------------------------------------------------------------------------
# figures and the report
# ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def figures():
    return FIGURES


def _is_worker(config):
    return hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # the expensive module-scoped fixtures (one playbook run over many orgs) must run once: send each test file
    # to one worker (xdist's loadgroup does not group under pytest 9: the @group suffix of node ids is lost)
    if getattr(config.option, "dist", "no") == "load" and not hasattr(config, "workerinput"):
        config.option.dist = "loadfile"
    config._rel_start = time.monotonic()
    config._rel_outcomes = {"passed": 0, "failed": 0}
    config._rel_full = _whole_suite(config)


def _whole_suite(config):
    """True when the whole suite was selected (no -k/-m, no node ids): only then is the report written."""
    args = list(config.args or [])
    whole = bool(args) and all("::" not in a and os.path.abspath(a).rstrip("/") in (HERE, os.path.dirname(HERE), REPO)
                               for a in args)
    return whole and not config.getoption("keyword") and not config.getoption("markexpr")


def pytest_runtest_logreport(report):
    config = getattr(pytest_runtest_logreport, "_config", None)
    if config is None:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        key = "passed" if report.outcome == "passed" else "failed"
        config._rel_outcomes[key] += 1
        if not _is_worker(config):   # the controller sees every report once (workers ship their figures too)
            FIGURES.count("files", "%s:%s" % (os.path.basename(report.nodeid.split("::")[0]), key))


def pytest_sessionstart(session):
    pytest_runtest_logreport._config = session.config


def pytest_testnodedown(node, error):
    data = getattr(node, "workeroutput", {}).get("reliability_figures")
    if data:
        FIGURES.merge(data)


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if _is_worker(config):
        config.workeroutput["reliability_figures"] = FIGURES.dump()
        return
    if not config._rel_full or os.environ.get("RELIABILITY_REPORT") == "0":
        return
    if not FIGURES.rows and not FIGURES.counts and not session.testscollected:
        return
    workers = getattr(config.option, "numprocesses", None) or 0
    outcomes = config._rel_outcomes
    info = session_info(outcomes["passed"], outcomes["failed"], outcomes["passed"] + outcomes["failed"],
                        time.monotonic() - config._rel_start, workers)
    write_report(REPORT_PATH, FIGURES, info)


def cleanup_dir(path):
    shutil.rmtree(path, ignore_errors=True)
