# -*- coding: utf-8 -*-
"""Shared helpers of the end-to-end tests (real ``ansible-playbook`` against the emulator).

See the top of ``conftest.py`` for the overview. Import with ``from helpers import ...``
(``tests/e2e`` is on ``sys.path`` through ``conftest.py``).
"""

import json
import os
import subprocess
import sys
import tempfile

import yaml

E2E_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(E2E_DIR))
COLLECTIONS = os.path.join(REPO, '.collections')
EMULATOR_DIR = os.path.join(REPO, 'emulator')
VENV_BIN = os.path.join(REPO, '.venv', 'bin')
PYTHON = os.path.join(VENV_BIN, 'python') if os.path.exists(os.path.join(VENV_BIN, 'python')) else sys.executable
BIN = os.path.dirname(PYTHON)

if EMULATOR_DIR not in sys.path:
    sys.path.insert(0, EMULATOR_DIR)

# Seed used when a test module does not choose one (marker ``emulator_seed``).
DEFAULT_SEED = {
    'orgs': [
        {
            'name': 'e2e-org',
            'id': '7a0e6c8e-0000-4000-8000-00000000e2e1',
            'display_name': 'E2E Org',
            'region': 'us-east-1',
            'clients': [
                {'id': 'e2e-admin', 'secret': 'e2e-admin-secret-7f3a91', 'name': 'E2E SSO admin',
                 'grant_type': 'CLIENT-CREDENTIALS', 'state': 'active',
                 'permissions': ['sso:provider:*', 'oauth:client:view'],
                 'roles': [{'id': '3b7c0d1e-0000-4000-8000-0000000000a1', 'name': 'SSO Admin', 'division_id': '*'}]},
                {'id': 'e2e-bot', 'secret': 'e2e-bot-secret-5c2e77', 'name': 'E2E bot',
                 'grant_type': 'CLIENT-CREDENTIALS', 'state': 'active', 'permissions': ['oauth:client:view']},
                {'id': 'e2e-user-app', 'secret': 'e2e-user-app-secret-1d9b', 'name': 'E2E password app',
                 'grant_type': 'PASSWORD', 'state': 'active', 'permissions': ['*']},
                {'id': 'e2e-saml-app', 'secret': 'e2e-saml-app-secret-8e4c', 'name': 'E2E SAML app',
                 'grant_type': 'SAML2-BEARER', 'state': 'active', 'permissions': ['*']},
                {'id': 'e2e-disabled', 'secret': 'e2e-disabled-secret-0a0a', 'name': 'E2E disabled',
                 'grant_type': 'CLIENT-CREDENTIALS', 'state': 'disabled', 'permissions': ['*']},
            ],
            'users': [{'email': 'alice@e2e.example', 'password': 'e2e-alice-password-42'}],
        },
    ],
}


def ensure_collections_link():
    """Create ``.collections/ansible_collections/genesyscloud/sso -> ../../..`` (the repo) if missing."""
    parent = os.path.join(COLLECTIONS, 'ansible_collections', 'genesyscloud')
    link = os.path.join(parent, 'sso')
    if not os.path.lexists(link):
        os.makedirs(parent, exist_ok=True)
        try:
            os.symlink(os.path.join('..', '..', '..'), link)
        except FileExistsError:  # another xdist worker was first
            pass
    return COLLECTIONS


def default_inventory():
    """One host ``localhost`` (connection local, the venv interpreter)."""
    return {'all': {'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': PYTHON}}}}


def base_env(extra=None):
    """Environment for ansible-playbook: our collection, no colour, no GENESYSCLOUD_* leaking in."""
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith('GENESYSCLOUD_'))
    env.update(
        ANSIBLE_COLLECTIONS_PATH=ensure_collections_link(),
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_FORCE_COLOR='0',
        ANSIBLE_RETRY_FILES_ENABLED='0',
        ANSIBLE_HOST_KEY_CHECKING='0',
        ANSIBLE_PYTHON_INTERPRETER=PYTHON,
        ANSIBLE_CALLBACK_PLUGINS=os.path.join(E2E_DIR, 'callback_plugins'),
        ANSIBLE_CALLBACKS_ENABLED='e2e_jsonl',
        ANSIBLE_STDOUT_CALLBACK='default',
        ANSIBLE_DEPRECATION_WARNINGS='0',
        PATH=BIN + os.pathsep + os.environ.get('PATH', ''),
    )
    env.pop('ANSIBLE_CONFIG', None)
    if extra:
        for key, value in extra.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = str(value)
    return env


class PlaybookResult:
    """Outcome of :func:`run_playbook`.

    ``rc``, ``stdout``, ``stderr``; ``tasks``: list of dicts ``{host, task, action, status, result}`` in order
    (``status`` in ok/changed/failed/skipped/unreachable; ``result`` = what callbacks see, so censored for
    no_log results); ``stats``: ``{host: {ok, changed, failures, ...}}``; ``workdir``: the temp dir used.
    """

    def __init__(self, rc, stdout, stderr, records, workdir, cmd):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.workdir = workdir
        self.cmd = cmd
        self.tasks = [r for r in records if r.get('event') == 'task']
        stats = [r for r in records if r.get('event') == 'stats']
        self.stats = stats[-1]['stats'] if stats else {}

    def task(self, name, host=None):
        """The last result of the task called ``name`` (on ``host``); KeyError when absent."""
        found = self.results(name, host)
        if not found:
            raise KeyError('no result for task %r; tasks: %s' % (name, [t['task'] for t in self.tasks]))
        return found[-1]

    def results(self, name, host=None):
        return [t for t in self.tasks if t['task'] == name and (host is None or t['host'] == host)]

    @property
    def failed(self):
        return [t for t in self.tasks if t['status'] == 'failed']

    @property
    def output(self):
        return self.stdout + self.stderr

    def __repr__(self):
        return '<PlaybookResult rc=%s tasks=%d>\n%s\n%s' % (self.rc, len(self.tasks), self.stdout[-4000:], self.stderr[-2000:])


def _write(workdir, name, content):
    path = os.path.join(workdir, name)
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False))
    return path


def run_playbook(playbook, extra_vars=None, check=False, diff=False, verbosity=0, env=None, inventory=None,
                 limit=None, tags=None, timeout=300, args=()):
    """Run ``ansible-playbook`` and return a :class:`PlaybookResult`.

    ``playbook``: a path, YAML text, or a list (plays) serialised to YAML.
    ``inventory``: a path, YAML text, or a dict; default :func:`default_inventory`.
    ``extra_vars``: dict written to a 0600 JSON file passed as ``-e @file`` (never on the command line,
    which ``-vvvv`` prints). ``env``: extra environment (value None removes a key).
    """
    workdir = tempfile.mkdtemp(prefix='e2e-pb-')
    if isinstance(playbook, (list, dict)):
        pb_path = _write(workdir, 'playbook.yml', playbook)
    elif '\n' in playbook or not os.path.exists(playbook):
        pb_path = _write(workdir, 'playbook.yml', playbook)
    else:
        pb_path = playbook
    if inventory is None:
        inv_path = _write(workdir, 'inventory.yml', default_inventory())
    elif isinstance(inventory, dict):
        inv_path = _write(workdir, 'inventory.yml', inventory)
    elif '\n' in inventory or not os.path.exists(inventory):
        inv_path = _write(workdir, 'inventory.yml', inventory)
    else:
        inv_path = inventory
    jsonl = os.path.join(workdir, 'results.jsonl')
    cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', inv_path, pb_path]
    if extra_vars:
        # a file, not the command line: -vvvv prints command-line extra vars (secrets would show)
        ev_path = os.path.join(workdir, 'extra_vars.json')
        with open(os.open(ev_path, os.O_WRONLY | os.O_CREAT, 0o600), 'w', encoding='utf-8') as handle:
            json.dump(extra_vars, handle)
        cmd += ['-e', '@' + ev_path]
    if check:
        cmd.append('--check')
    if diff:
        cmd.append('--diff')
    if verbosity:
        cmd.append('-' + 'v' * int(verbosity))
    if limit:
        cmd += ['--limit', limit]
    if tags:
        cmd += ['--tags', tags if isinstance(tags, str) else ','.join(tags)]
    cmd += list(args)
    full_env = base_env(env)
    full_env['E2E_JSONL_PATH'] = jsonl
    full_env['ANSIBLE_LOCAL_TEMP'] = os.path.join(workdir, 'tmp')
    proc = subprocess.run(cmd, env=full_env, capture_output=True, text=True, timeout=timeout, cwd=workdir, check=False)
    records = []
    if os.path.exists(jsonl):
        with open(jsonl, encoding='utf-8') as handle:
            records = [json.loads(line) for line in handle if line.strip()]
    return PlaybookResult(proc.returncode, proc.stdout, proc.stderr, records, workdir, cmd)


def run_playbook_runner(playbook, extra_vars=None, verbosity=0, env=None, inventory=None, timeout=300):
    """Run the playbook through ansible-runner (the AWX engine).

    Returns ``(runner, events, stdout)``: the ``ansible_runner.Runner``, the list of its event dicts and
    the whole stdout text.
    """
    import ansible_runner

    workdir = tempfile.mkdtemp(prefix='e2e-runner-')
    project = os.path.join(workdir, 'project')
    os.makedirs(project)
    if isinstance(playbook, (list, dict)) or '\n' in playbook or not os.path.exists(playbook):
        _write(project, 'site.yml', playbook)
    else:
        with open(playbook, encoding='utf-8') as src:
            _write(project, 'site.yml', src.read())
    full_env = base_env(env)
    full_env.pop('ANSIBLE_CALLBACKS_ENABLED', None)
    full_env.pop('ANSIBLE_STDOUT_CALLBACK', None)
    old_path = os.environ.get('PATH', '')
    os.environ['PATH'] = BIN + os.pathsep + old_path  # runner finds ansible-playbook on PATH
    try:
        runner = ansible_runner.run(
            private_data_dir=workdir, playbook='site.yml',
            inventory=inventory if inventory is not None else default_inventory(),
            envvars=dict((k, v) for k, v in full_env.items() if k.startswith('ANSIBLE_') or k in ('PATH',)),
            extravars=extra_vars or {}, verbosity=verbosity or None, quiet=True, timeout=timeout,
        )
    finally:
        os.environ['PATH'] = old_path
    events = list(runner.events)
    stdout = runner.stdout.read() if runner.stdout else ''
    return runner, events, stdout


def emulator_vars(emulator):
    """Connection options that reach the emulator (dict for a task or module_defaults)."""
    return {'api_url': emulator.url, 'login_url': emulator.url, 'ca_path': emulator.ca_path}


def client_of(seed, client_id):
    """(org name, client dict) of ``client_id`` in a seed dict."""
    for org in seed.get('orgs', []):
        for client in org.get('clients', []):
            if client['id'] == client_id:
                return org['name'], client
    raise KeyError(client_id)
