"""Fixtures of the reliability suite: the emulator, playbook runs, in-process module runs, the report hook."""

import copy
import importlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import pytest
import requests
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
VENV_BIN = os.path.dirname(sys.executable)
COLLECTIONS = os.path.join(REPO, ".collections")
REPORT_PATH = os.environ.get("RELIABILITY_REPORT", os.path.join(REPO, "docs", "reliability.md"))

if HERE not in sys.path:
    sys.path.insert(0, HERE)


def _ensure_collection_link():
    link = os.path.join(COLLECTIONS, "ansible_collections", "genesyscloud", "sso")
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        try:
            os.symlink("../../..", link)
        except FileExistsError:  # another xdist worker made it
            pass
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)


_ensure_collection_link()

from report import FIGURES, session_info, write_report  # noqa: E402
from secret_scan import SecretScanner, secret_scan, secrets_from_seed  # noqa: E402,F401

EMULATOR_DIR = os.path.join(REPO, "emulator")
SECRET_TOKEN_LABEL = "issued access token"


# ---------------------------------------------------------------------------------------------------
# the emulator
# ---------------------------------------------------------------------------------------------------
def _emulator_class():
    if EMULATOR_DIR not in sys.path:
        sys.path.insert(0, EMULATOR_DIR)
    from genesys_emulator.testing import EmulatorProcess

    class Emulator(EmulatorProcess):
        """``EmulatorProcess`` (emulator/README.md) plus a few helpers of this suite."""

        def __init__(self, seed, latency_ms=0, workdir=None, extra_args=()):
            super(Emulator, self).__init__(state_dir=workdir, seed=seed, latency_ms=latency_ms,
                                           extra_args=extra_args, start_timeout=60)
            self.seed_data = seed
            self.start()

        def stop(self, timeout=3.0):
            super(Emulator, self).stop(timeout=timeout)

        def last_seq(self):
            return max([r["seq"] for r in self.requests()], default=0)

        def writes(self, org=None, since=None):
            return [r for r in self.requests(org=org, since=since) if r["method"] in ("POST", "PUT", "DELETE", "PATCH")
                    and r["path"].startswith("/api/v2")]

    return Emulator


def make_cert(cn="idp.reliability.example", days=365, key_type="ec", not_before_days=-1):
    """A self-signed certificate (PEM text) like an IdP's signing certificate."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1()) if key_type == "ec" else rsa.generate_private_key(65537, 2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=not_before_days))
            .not_valid_after(now + datetime.timedelta(days=days))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


# Orgs of the shared (per worker) emulator: one per test family so request logs and faults never mix.
ORG_NAMES = ["rel-%s" % n for n in ("token", "check", "idp", "info", "pb", "bad", "tls", "cm", "sec", "aux")]
# orgs of the one-run playbook matrices (one org per fault row / check-mode scenario)
ORG_NAMES += ["rel-f%02d" % i for i in range(1, 17)] + ["rel-c%02d" % i for i in range(1, 7)]


def org_seed(name, n_preserved=1):
    clients = [dict(id="%s-admin" % name, secret="%s-admin-secret-Zq9" % name, name="SSO automation",
                    grant_type="CLIENT-CREDENTIALS", state="active", permissions=["*"])]
    for i in range(1, n_preserved + 1):
        clients.append(dict(id="%s-bot%d" % (name, i), secret="%s-bot%d-secret-Xk7" % (name, i),
                            name="Bot %d" % i, grant_type="CLIENT-CREDENTIALS", state="active",
                            permissions=["oauth:client:view"]))
    return dict(name=name, region="us-east-1", clients=clients,
                users=[dict(email="admin@%s.example" % name, password="%s-user-pw-Hh3" % name)])


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
class PlaybookRun(object):
    def __init__(self, runner, private_dir, log_path, seconds, cmdline, cpu_seconds=None):
        self.cpu_seconds = cpu_seconds
        self.rc = runner.rc
        self.status = runner.status
        self.private_dir = private_dir
        self.log_path = log_path
        self.seconds = seconds
        self.cmdline = cmdline
        self.events = list(runner.events)
        self.stats = runner.stats or {}
        with open(os.path.join(runner.config.artifact_dir, "stdout"), "rb") as handle:
            self.stdout = handle.read().decode("utf-8", errors="replace")
        self.artifact_dir = runner.config.artifact_dir
        self.log = ""
        if os.path.exists(log_path):
            with open(log_path, "rb") as handle:
                self.log = handle.read().decode("utf-8", errors="replace")

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

    def failed_hosts(self):
        failures = self.stats.get("failures", {}) or {}
        dark = self.stats.get("dark", {}) or {}
        return sorted(set(h for h, n in failures.items() if n) | set(h for h, n in dark.items() if n))

    def changed_hosts(self):
        return sorted(h for h, n in (self.stats.get("changed", {}) or {}).items() if n)

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
    """Run ``playbook`` (path or FQCN) over ``hosts`` ({name: vars}, group genesys_orgs) with ansible-runner."""
    import ansible_runner

    private = workdir or tempfile.mkdtemp(prefix="relrun-")
    os.makedirs(private, exist_ok=True)
    log_path = os.path.join(private, "ansible.log")
    envvars = {
        "PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", ""),
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_LOG_PATH": log_path,
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_LOCAL_TEMP": os.path.join(private, "tmp"),
        "ANSIBLE_HOME": os.path.join(private, "ansible_home"),
    }
    envvars.update(env or {})
    cmd = []
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if forks:
        cmd += ["--forks", str(forks)]
    if tags:
        cmd += ["--tags", tags]
    cmdline = " ".join(cmd)
    start = time.monotonic()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    runner = ansible_runner.run(
        private_data_dir=private, playbook=playbook, inventory=inventory_for(hosts, group_vars),
        extravars=extravars or {}, envvars=envvars, cmdline=cmdline or None, verbosity=verbosity or None,
        limit=limit, quiet=True, timeout=timeout, project_dir=REPO,
    )
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return PlaybookRun(runner, private, log_path, time.monotonic() - start, cmdline, cpu_seconds=cpu)


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
