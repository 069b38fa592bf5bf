"""Plumbing of the benchmark that is the benchmark's own: the code snapshot, the bench seed and inventories, the
request-log counts, machine info.  Everything generic comes from the dev kit (``devkit/genesys_devkit``):
paths, the collections link, the Ansible environment, the timed runner (``playbook.run_command``), the PLAY RECAP
parser, the emulator launcher, seeds and certificates.

Not collection content (the collection artifact ignores ``bench/``).  Every process started here is ended by its
PID (the kit's emulator ``stop``; ``run_command`` kills the process group it created on timeout).
"""

import datetime
import os
import platform
import subprocess
import sys

import yaml

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(BENCH_DIR), 'devkit'))

from genesys_devkit import ansible_env as kit_env  # noqa: E402  (devkit/ is not installed)
from genesys_devkit import certs, emulator, paths, playbook, seeds  # noqa: E402
from genesys_devkit.collections import ensure_collections_link  # noqa: E402,F401  (run.py uses it from here)

REPO = paths.REPO
PYTHON = paths.PYTHON
ANSIBLE_PLAYBOOK = os.path.join(paths.BIN, 'ansible-playbook')
PEERS_DIR = os.path.join(BENCH_DIR, 'peers')

PROVIDER_TYPE = 'okta'


# The code under test: by default the working tree; ``snapshot()`` switches to a frozen copy so that
# edits made by others during a long benchmark cannot mix two versions into one measurement.
CODE = dict(collections_path=paths.COLLECTIONS, collection_root=REPO, emulator_path=paths.EMULATOR_DIR)
SNAPSHOT_ITEMS = ('galaxy.yml', 'meta', 'plugins', 'roles', 'playbooks')


def snapshot(dest, source='head'):
    """Copy the collection content and the emulator to dest and use that copy from now on.

    source 'head': the last commit (``git archive``), i.e. what has landed; 'worktree': the files as
    they are now (may catch another engineer's half-written file)."""
    import shutil
    import tarfile
    import io
    coll = os.path.join(dest, 'ansible_collections', 'genesyscloud', 'sso')
    os.makedirs(coll)
    if source == 'head':
        present = subprocess.run(['git', 'ls-tree', '--name-only', 'HEAD'], cwd=REPO, capture_output=True,
                                 text=True, check=True, timeout=60).stdout.split()
        items = [i for i in SNAPSHOT_ITEMS + ('emulator',) if i in present]
        data = subprocess.run(['git', 'archive', '--format=tar', 'HEAD'] + items, cwd=REPO,
                              capture_output=True, check=True, timeout=120).stdout
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar.getmembers():
                target = dest if member.name.split('/', 1)[0] == 'emulator' else coll
                tar.extract(member, target)
    else:
        for item in SNAPSHOT_ITEMS:
            src = os.path.join(REPO, item)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(coll, item), ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
            elif os.path.exists(src):
                shutil.copy2(src, os.path.join(coll, item))
        shutil.copytree(os.path.join(REPO, 'emulator'), os.path.join(dest, 'emulator'),
                        ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    CODE.update(collections_path=dest, collection_root=coll, emulator_path=os.path.join(dest, 'emulator'))
    version = code_version()
    if source == 'head':
        version['uncommitted_files'] = 0  # not measured: the copy is the commit itself
    version['source'] = source
    return version


def code_version():
    """Commit of the working tree and whether the measured parts had uncommitted changes."""
    def git(*args):
        try:
            return subprocess.run(['git'] + list(args), cwd=REPO, capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ''
    dirty = git('status', '--porcelain', '--', *(list(SNAPSHOT_ITEMS) + ['emulator', 'bench']))
    return dict(commit=git('rev-parse', 'HEAD'), uncommitted_files=len(dirty.splitlines()) if dirty else 0)


# --------------------------------------------------------------------------- seed

def make_certificate_b64():
    """A self-signed RSA certificate (bare base64 DER) valid for two years (the dev kit's factory)."""
    return certs.make_certificate('bench-idp.example', key_type='rsa', days=730).b64


def org_name(i):
    return 'org-%04d' % i


def credentials(name):
    """Credentials of an org of the bench seed (fake values of a local emulator)."""
    return dict(name=name, admin_id='%s-admin' % name, admin_secret='%s-admin-secret' % name,
                bot_id='%s-bot' % name, bot_secret='%s-bot-secret' % name)


def org_credentials(i):
    return credentials(org_name(i))


BOT_PERMISSIONS = ('routing:queue:view', 'analytics:conversationDetail:view')


def bench_org(name):
    """One org of the bench seed: an admin client (``*``) and a preserved bot client."""
    c = credentials(name)
    return seeds.org_seed(name, clients=[
        seeds.client(c['admin_id'], c['admin_secret'], name='SSO automation'),
        seeds.client(c['bot_id'], c['bot_secret'], name='Routing bot', permissions=BOT_PERMISSIONS)])


def write_seed(path, count):
    """Seed file (the dev kit's format and writer) of orgs 1..count."""
    return seeds.write_seed(path, seeds.fleet_seed([org_name(i) for i in range(1, count + 1)], make_org=bench_org))


def desired_provider(i, cert_b64):
    """The role's ``saml_sso_provider`` for org i (options of genesys_identity_provider)."""
    name = org_name(i)
    return dict(
        type=PROVIDER_TYPE,
        issuer_uri='http://www.okta.com/exk-bench-%s' % name,
        sso_target_uri='https://bench.okta.example/app/genesys/%s/sso/saml' % name,
        relying_party_identifier='urn:bench:genesys:%s' % name,
        certificates=[cert_b64],
    )


def write_inventory(path, count, endpoint, cert_b64, orgs=None, extra_vars=None):
    """One host per org in the group ``genesys_orgs`` (the playbook's default hosts), every variable
    explicit; the three tools read the same file.  ``orgs``: org numbers (default 1..count)."""
    hosts = {}
    for i in (orgs or range(1, count + 1)):
        c = org_credentials(i)
        hosts[c['name']] = dict(
            saml_sso_client_id=c['admin_id'],
            saml_sso_client_secret=c['admin_secret'],
            saml_sso_provider=desired_provider(i, cert_b64),
            saml_sso_preserved_clients=[dict(client_id=c['bot_id'], client_secret=c['bot_secret'])],
        )
    common = dict(
        ansible_connection='local',
        ansible_python_interpreter=PYTHON,
        saml_sso_api_url=endpoint['url'],
        saml_sso_login_url=endpoint['url'],
        saml_sso_ca_path=endpoint['ca_path'],
    )
    common.update(extra_vars or {})
    inventory = dict(all=dict(vars=common, children=dict(genesys_orgs=dict(hosts=hosts))))
    with open(path, 'w') as f:
        yaml.safe_dump(inventory, f, default_flow_style=False, sort_keys=False)


# ----------------------------------------------------------------------- emulator

def start_emulator(state_dir, seed, latency_ms=0, lifetime_seconds=3600):
    """The dev kit's emulator of the code under test (``CODE['emulator_path']``: the frozen copy), started.

    It has ``endpoint``, ``reset()``, ``clear_requests()``, ``requests(org=)``, ``cpu_seconds()``, ``stop()``;
    its log is ``state_dir/emulator.log``."""
    cls = emulator.emulator_class(CODE['emulator_path'])
    return cls(seed=seed, state_dir=state_dir, latency_ms=latency_ms, lifetime_seconds=lifetime_seconds,
               start_timeout=60).start()


def summarise_log(entries):
    """Counts of a request log: total, writes, token grants, per 'METHOD path'."""
    per = {}
    for e in entries:
        key = '%s %s' % (e.get('method'), e.get('path'))
        per[key] = per.get(key, 0) + 1
    writes = len(emulator.write_requests(entries))
    tokens = sum(1 for e in entries if str(e.get('path', '')).startswith('/oauth/token'))
    errors = sum(1 for e in entries if int(e.get('status') or 0) >= 400)
    return dict(total=len(entries), writes=writes, tokens=tokens, errors=errors, per_endpoint=per)


# --------------------------------------------------------------------- timed runs

def ansible_env(extra=None):
    """The dev kit's Ansible environment for the code under test (the snapshot's collections and emulator)."""
    return kit_env.ansible_env(extra, collections_path=CODE['collections_path'], emulator_path=CODE['emulator_path'])


def run_timed(cmd, log_path, env=None, timeout=900, cwd=None):
    """``playbook.run_command`` of the dev kit (own process group, wait4 CPU of the tree, killed on timeout),
    output to log_path; returns dict(rc, wall, cpu, timed_out, log)."""
    res = playbook.run_command(cmd, log_path, env=env, cwd=cwd or REPO, timeout=timeout)
    return dict(rc=res['rc'], wall=res['elapsed'], cpu=res['cpu'], timed_out=res['timed_out'], log=log_path)


def parse_recap(log_path):
    """PLAY RECAP totals of an ansible-playbook log (the dev kit's parser): hosts, ok, changed, failed, skipped,
    rescued, ..., tasks_per_host (every task result per host, skipped included)."""
    with open(log_path, errors='replace') as f:
        return playbook.recap_totals(playbook.parse_recap(f.read()))


def tail(path, lines=30):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError:
        return ''


# -------------------------------------------------------------------- machine info

def machine_info():
    cpu_model = ''
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu_model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        ansible_version = subprocess.run([PYTHON, '-c',
                                          'import ansible.release as r; print(r.__version__)'],
                                         capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        ansible_version = ''
    try:
        requests_version = subprocess.run([PYTHON, '-c', 'import requests; print(requests.__version__)'],
                                          capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        requests_version = ''
    try:
        mem_kb = 0
        with open('/proc/meminfo') as f:
            for line in f:
                if line.startswith('MemTotal:'):
                    mem_kb = int(line.split()[1])
        mem_gb = round(mem_kb / 1024.0 / 1024.0, 1)
    except (OSError, ValueError):
        mem_gb = None
    return dict(
        date=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        nproc=os.cpu_count(),
        cpu_model=cpu_model,
        memory_gb=mem_gb,
        os=platform.platform(),
        python=platform.python_version(),
        python_exe=sys.executable,
        ansible_core=ansible_version,
        requests=requests_version,
        loadavg_start=list(os.getloadavg()),
    )


def loadavg():
    return [round(x, 2) for x in os.getloadavg()]
