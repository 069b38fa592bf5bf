"""Plumbing of the benchmark: emulator process, seed, inventories, timed runs.

Not collection content (the collection artifact ignores ``bench/``).  Every
process started here is ended by its PID (``EmulatorProcess.stop``,
``run_timed`` kills the process group it created on timeout).
"""

import base64
import datetime
import json
import os
import platform
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(REPO, '.venv', 'bin')
PYTHON = os.path.join(VENV_BIN, 'python')
ANSIBLE_PLAYBOOK = os.path.join(VENV_BIN, 'ansible-playbook')
COLLECTIONS_DIR = os.path.join(REPO, '.collections')
BENCH_DIR = os.path.join(REPO, 'bench')
PEERS_DIR = os.path.join(BENCH_DIR, 'peers')

PROVIDER_TYPE = 'okta'
WRITE_METHODS = ('PUT', 'POST', 'DELETE', 'PATCH')


# The code under test: by default the working tree; ``snapshot()`` switches to a frozen copy so that
# edits made by others during a long benchmark cannot mix two versions into one measurement.
CODE = dict(collections_path=COLLECTIONS_DIR, collection_root=REPO, emulator_path=os.path.join(REPO, 'emulator'))
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


def ensure_collections_link():
    """``.collections/ansible_collections/genesyscloud/sso -> ../../..`` (architecture.md)."""
    ns_dir = os.path.join(COLLECTIONS_DIR, 'ansible_collections', 'genesyscloud')
    link = os.path.join(ns_dir, 'sso')
    if os.path.islink(link) or os.path.exists(link):
        return
    os.makedirs(ns_dir, exist_ok=True)
    os.symlink('../../..', link)


# --------------------------------------------------------------------------- seed

def make_certificate_b64():
    """A self-signed RSA certificate (bare base64 DER) valid for two years."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'bench-idp.example')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=730))
            .sign(key, hashes.SHA256()))
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode('ascii')


def org_name(i):
    return 'org-%04d' % i


def org_credentials(i):
    """Credentials of org i in the bench seed (fake values of a local emulator)."""
    name = org_name(i)
    return dict(
        name=name,
        admin_id='%s-admin' % name, admin_secret='%s-admin-secret' % name,
        bot_id='%s-bot' % name, bot_secret='%s-bot-secret' % name,
    )


def write_seed(path, count):
    """Seed file in the documented format (architecture.md): an admin and a preserved bot per org."""
    orgs = []
    for i in range(1, count + 1):
        c = org_credentials(i)
        orgs.append(dict(
            name=c['name'], region='us-east-1',
            clients=[
                dict(id=c['admin_id'], secret=c['admin_secret'], name='SSO automation',
                     grant_type='CLIENT-CREDENTIALS', state='active', permissions=['*']),
                dict(id=c['bot_id'], secret=c['bot_secret'], name='Routing bot',
                     grant_type='CLIENT-CREDENTIALS', state='active',
                     permissions=['routing:queue:view', 'analytics:conversationDetail:view']),
            ],
        ))
    with open(path, 'w') as f:
        json.dump(dict(orgs=orgs), f)


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


def read_inventory(path):
    """Hosts of an inventory written by write_inventory: list of merged variable dicts."""
    with open(path) as f:
        inventory = yaml.safe_load(f)
    group = inventory['all']
    common = group.get('vars') or {}
    hosts = dict(group.get('hosts') or {})
    for child in (group.get('children') or {}).values():
        hosts.update((child or {}).get('hosts') or {})
    orgs = []
    for name, host_vars in hosts.items():
        org = dict(common)
        org.update(host_vars or {})
        org['inventory_hostname'] = name
        orgs.append(org)
    return orgs


# ----------------------------------------------------------------------- emulator

class EmulatorProcess:
    """``python -m genesys_emulator`` (architecture.md contract), stopped by PID."""

    def __init__(self, state_dir, seed, latency_ms=0, log_path=None, lifetime_seconds=3600):
        self.lifetime_seconds = lifetime_seconds
        self.state_dir = state_dir
        self.seed = seed
        self.latency_ms = latency_ms
        self.log_path = log_path or os.path.join(state_dir, 'emulator.log')
        self.proc = None
        self.endpoint = None
        self._ctx = None

    def start(self, timeout=60):
        os.makedirs(self.state_dir, exist_ok=True)
        endpoint_file = os.path.join(self.state_dir, 'endpoint.json')
        if os.path.exists(endpoint_file):
            os.unlink(endpoint_file)
        env = dict(os.environ)
        env['PYTHONPATH'] = CODE['emulator_path'] + (
            os.pathsep + env['PYTHONPATH'] if env.get('PYTHONPATH') else '')
        cmd = [PYTHON, '-m', 'genesys_emulator', '--state-dir', self.state_dir, '--port', '0',
               '--seed', self.seed, '--latency-ms', str(self.latency_ms),
               # a safety net: it exits by itself even if this process is killed
               '--lifetime-seconds', str(self.lifetime_seconds)]
        log = open(self.log_path, 'ab')
        try:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=env)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('emulator exited with %s; see %s' % (self.proc.returncode, self.log_path))
            if os.path.exists(endpoint_file):
                try:
                    with open(endpoint_file) as f:
                        self.endpoint = json.load(f)
                    break
                except ValueError:
                    pass  # being written
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError('emulator not ready after %ss; see %s' % (timeout, self.log_path))
        self._ctx = ssl.create_default_context(cafile=self.endpoint['ca_path'])
        return self.endpoint

    def stop(self):
        if self.proc is None:
            return
        pids = [self.proc.pid]
        if self.endpoint and self.endpoint.get('pid') and self.endpoint['pid'] != self.proc.pid:
            pids.append(int(self.endpoint['pid']))
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # control endpoints (no auth, loopback)
    def control(self, method, path, body=None, timeout=60):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.endpoint['url'] + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'} if data else {})
        with urllib.request.urlopen(req, context=self._ctx, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else None

    def reset(self):
        self.control('POST', '/_emulator/reset')

    def clear_log(self):
        self.control('DELETE', '/_emulator/requests')

    def requests(self, org=None):
        path = '/_emulator/requests'
        if org:
            path += '?org=' + urllib.request.quote(org)
        data = self.control('GET', path)
        if isinstance(data, dict):  # tolerate an envelope
            data = data.get('requests', data.get('entities', []))
        return [r for r in data if not str(r.get('path', '')).startswith('/_emulator')]

    def cpu_seconds(self):
        """user+system CPU of the emulator process so far (from /proc)."""
        try:
            with open('/proc/%d/stat' % self.proc.pid) as f:
                fields = f.read().rsplit(')', 1)[1].split()
            ticks = os.sysconf('SC_CLK_TCK')
            return (int(fields[11]) + int(fields[12])) / float(ticks)
        except (OSError, IndexError, ValueError):
            return None


def summarise_log(entries):
    """Counts of a request log: total, writes, token grants, per 'METHOD path'."""
    per = {}
    for e in entries:
        key = '%s %s' % (e.get('method'), e.get('path'))
        per[key] = per.get(key, 0) + 1
    writes = sum(1 for e in entries if e.get('method') in WRITE_METHODS
                 and str(e.get('path', '')).startswith('/api/'))
    tokens = sum(1 for e in entries if str(e.get('path', '')).startswith('/oauth/token'))
    errors = sum(1 for e in entries if int(e.get('status') or 0) >= 400)
    return dict(total=len(entries), writes=writes, tokens=tokens, errors=errors, per_endpoint=per)


# --------------------------------------------------------------------- timed runs

def ansible_env(extra=None):
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=CODE['collections_path'],
        ANSIBLE_RETRY_FILES_ENABLED='False',
        ANSIBLE_HOST_KEY_CHECKING='False',
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_FORCE_COLOR='0',
        ANSIBLE_DEPRECATION_WARNINGS='False',
        ANSIBLE_LOCALHOST_WARNING='False',
    )
    env.pop('ANSIBLE_CONFIG', None)
    if extra:
        env.update(extra)
    return env


def run_timed(cmd, log_path, env=None, timeout=900, cwd=None):
    """Run cmd, output to log_path; return dict(rc, wall, cpu) with cpu = user+sys of it and its children."""
    with open(log_path, 'wb') as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd or REPO,
                                start_new_session=True)
        deadline = time.monotonic() + timeout
        status = rusage = None
        try:
            while True:
                pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    os.killpg(proc.pid, signal.SIGKILL)
                    pid, status, rusage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.02)
        except BaseException:
            # interrupted: end the process group this call started, then re-raise
            try:
                os.killpg(proc.pid, signal.SIGKILL)
                os.wait4(proc.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            proc.returncode = -9
            raise
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    timed_out = time.monotonic() > deadline
    return dict(rc=proc.returncode if not timed_out else -9, wall=wall,
                cpu=rusage.ru_utime + rusage.ru_stime, timed_out=timed_out, log=log_path)


def parse_recap(log_path):
    """PLAY RECAP totals of an ansible-playbook log: hosts, ok, changed, failed, unreachable."""
    totals = dict(hosts=0, ok=0, changed=0, failed=0, unreachable=0, skipped=0, rescued=0, ignored=0,
                  changed_hosts=0, failed_hosts=0)
    in_recap = False
    with open(log_path, errors='replace') as f:
        for line in f:
            if line.startswith('PLAY RECAP'):
                in_recap = True
                continue
            if in_recap and ' : ' in line and 'ok=' in line:
                totals['hosts'] += 1
                fields = dict(p.split('=', 1) for p in line.split(' : ', 1)[1].split() if '=' in p)
                for k in ('ok', 'changed', 'failed', 'unreachable', 'skipped', 'rescued', 'ignored'):
                    totals[k] += int(fields.get(k, 0))
                if int(fields.get('changed', 0)):
                    totals['changed_hosts'] += 1
                if int(fields.get('failed', 0)) or int(fields.get('unreachable', 0)):
                    totals['failed_hosts'] += 1
    if totals['hosts']:
        # host-tasks per host: every task result Ansible counted for a host, ran or skipped (each costs a worker
        # fork); a failure inside a block with rescue counts as 'rescued' instead of 'failed'; a loop counts once
        totals['tasks_per_host'] = round((totals['ok'] + totals['failed'] + totals['skipped'] + totals['unreachable']
                                          + totals['rescued']) / float(totals['hosts']), 2)
    return totals


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
        ansible_version = subprocess.run([os.path.join(VENV_BIN, 'python'), '-c',
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


def urlopen_ok(url, ca_path, timeout=5):
    try:
        ctx = ssl.create_default_context(cafile=ca_path)
        with urllib.request.urlopen(url, context=ctx, timeout=timeout):
            return True
    except (urllib.error.URLError, OSError):
        return False
