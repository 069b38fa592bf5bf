# -*- coding: utf-8 -*-
"""What AWX does around ``ansible-runner``, redone for the tests of extensions/awx (no AWX server here).

* :func:`validate_credential_type` - the checks AWX applies when a custom credential type is saved
  (the JSON schemas of ``CredentialTypeInputField``/``CredentialTypeInjectorField`` in
  ``awx/main/fields.py``, the reserved/blocked environment variable names, and the rendering of every
  injector template with ``StrictUndefined`` over the defined inputs).
* :func:`inject_credential` - ``CredentialType.inject_credential``: renders the ``file`` injectors into
  private files under ``<private_data_dir>/env`` (mode 0600) and the ``env`` injectors with a sandboxed
  Jinja environment; inputs that were not given are simply undefined (they render as ``''``).
* :func:`slice_hosts` / :func:`sliced_inventory` - job slicing as ``Inventory.get_sliced_hosts``: hosts
  ordered by name (the ``Host`` model's ordering), slice ``k`` of ``n`` (1-based) gets ``hosts[k-1::n]``;
  AWX hands each slice job an inventory holding only its hosts (not a ``--limit``).
* :func:`run_job` - ``ansible_runner.run`` with the parameters AWX passes for a job: the injected
  environment, extra vars, ``--check`` for job type ``check``, ``--diff`` for diff mode, and
  ``suppress_env_files=True`` (AWX's ``AWX_RUNNER_OMIT_ENV_FILES`` default) so that the runner never
  writes the job environment into the artifact directory.
* :func:`ensure_awx_collection` - the ``awx.awx`` collection for linting ``configure_awx.yml``: taken
  from the ``ansible`` package on PyPI (it bundles awx.awx) with ``pip download``, only
  ``ansible_collections/awx/awx`` extracted into a cache directory (nothing is installed into the venv).
* :class:`SecretScan` - finds given secret strings and the emulator's access-token shape in texts and
  in every file under a directory.
"""

import copy
import fcntl
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import zipfile

import jsonschema
import yaml
from jinja2 import StrictUndefined
from jinja2.exceptions import TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from helpers import BIN, REPO  # noqa: F401  (BIN: for test_awx_config; helpers puts devkit/ on sys.path)
from genesys_devkit.ansible_env import ansible_env as _ansible_env
from genesys_devkit.playbook import run_playbook

AWX_DIR = os.path.join(REPO, 'extensions', 'awx')
CREDENTIAL_TYPE_PATH = os.path.join(AWX_DIR, 'credential_type.yml')
CONFIGURE_AWX_PATH = os.path.join(AWX_DIR, 'configure_awx.yml')

# The ansible package release whose awx.awx (24.6.1) the lint test uses; pinned for reproducibility.
ANSIBLE_PACKAGE = 'ansible==12.3.0'
AWX_CACHE = os.environ.get('GENESYSCLOUD_SSO_AWX_CACHE',
                           os.path.join(os.path.expanduser('~'), '.cache', 'genesyscloud-sso', 'awx-collection'))

# awx/main/fields.py: CredentialTypeInputField.schema and CredentialTypeInjectorField.schema
INPUT_SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'required': {'type': 'array', 'items': {'type': 'string'}},
        'fields': {
            'type': 'array',
            'items': {
                'type': 'object',
                'properties': {
                    'type': {'enum': ['string', 'boolean']},
                    'format': {'enum': ['ssh_private_key', 'url']},
                    'choices': {'type': 'array', 'minItems': 1, 'items': {'type': 'string'}, 'uniqueItems': True},
                    'id': {'type': 'string', 'pattern': '^[a-zA-Z_]+[a-zA-Z0-9_]*$'},
                    'label': {'type': 'string'},
                    'help_text': {'type': 'string'},
                    'multiline': {'type': 'boolean'},
                    'secret': {'type': 'boolean'},
                    'ask_at_runtime': {'type': 'boolean'},
                    'default': {},
                },
                'additionalProperties': False,
                'required': ['id', 'label'],
            },
        },
    },
}
INJECTOR_SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'file': {
            'type': 'object',
            'patternProperties': {r'^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$': {'type': 'string'}},
            'additionalProperties': False,
        },
        'env': {
            'type': 'object',
            'patternProperties': {'^[a-zA-Z_]+[a-zA-Z0-9_]*$': {'type': 'string'}},
            'additionalProperties': False,
        },
        'extra_vars': {
            'type': 'object',
            'patternProperties': {'^[a-zA-Z_]+[a-zA-Z0-9_]*$': {'type': 'string'}},
            'additionalProperties': False,
        },
    },
}
# awx/main/constants.py ENV_BLOCKLIST, plus AWX's rule that no injector may set ANSIBLE_* variables
ENV_BLOCKLIST = frozenset((
    'VIRTUAL_ENV', 'PATH', 'PYTHONPATH', 'JOB_ID', 'INVENTORY_ID', 'INVENTORY_SOURCE_ID', 'INVENTORY_UPDATE_ID',
    'AD_HOC_COMMAND_ID', 'REST_API_URL', 'REST_API_TOKEN', 'MAX_EVENT_RES', 'CALLBACK_QUEUE', 'CALLBACK_CONNECTION',
    'CACHE', 'JOB_CALLBACK_DEBUG', 'INVENTORY_HOSTVARS', 'AWX_HOST', 'PROJECT_REVISION', 'SUPERVISOR_CONFIG_PATH',
))
CUSTOM_KINDS = ('cloud', 'net')


def load_credential_type(path=CREDENTIAL_TYPE_PATH):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


class _Namespace(object):
    pass


class _Exploding(object):
    def __str__(self):
        raise UndefinedError('Must define unnamed file injector in order to reference `tower.filename`.')


class _TowerNamespace(object):
    def __init__(self):
        self.filename = _Exploding()

    def __str__(self):
        raise UndefinedError('Cannot directly reference reserved `tower` namespace container.')


def validate_credential_type(definition):
    """Raise ValueError/jsonschema.ValidationError where AWX would refuse to save the credential type."""
    if definition.get('kind') not in CUSTOM_KINDS:
        raise ValueError('custom credential types must be of kind cloud or net, not %r' % definition.get('kind'))
    if not definition.get('name'):
        raise ValueError('name is required')
    inputs = definition.get('inputs') or {}
    injectors = definition.get('injectors') or {}
    jsonschema.validate(inputs, INPUT_SCHEMA)
    jsonschema.validate(injectors, INJECTOR_SCHEMA)
    ids = [f['id'] for f in inputs.get('fields', [])]
    if 'tower' in ids or 'awx' in ids:
        raise ValueError('"tower"/"awx" is a reserved field name')
    if len(ids) != len(set(ids)):
        raise ValueError('field IDs must be unique')
    for req in inputs.get('required', []):
        if req not in ids:
            raise ValueError('required input %r is not a field' % req)
    for name in injectors.get('env', {}):
        if name.startswith('ANSIBLE_') or name in ENV_BLOCKLIST:
            raise ValueError('environment variable %s is prohibited' % name)
    # every template must render with StrictUndefined over the defined inputs (all set to EXAMPLE)
    namespace = dict((field_id, 'EXAMPLE') for field_id in ids)
    tower = _TowerNamespace()
    templates = [k for k in injectors.get('file', {}) if k.startswith('template')]
    if 'template' in templates:
        if len(templates) > 1:
            raise ValueError('Must use multi-file syntax when injecting multiple files')
        tower.filename = 'EXAMPLE_FILENAME'
    else:
        for name in templates:
            setattr(tower.filename, name.split('.', 1)[1], 'EXAMPLE_FILENAME')
    namespace['tower'] = tower
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for section in ('file', 'env', 'extra_vars'):
        for key, tmpl in injectors.get(section, {}).items():
            try:
                env.from_string(tmpl).render(**namespace)
            except (UndefinedError, TemplateSyntaxError) as exc:
                raise ValueError('%s.%s uses an undefined or invalid name: %s' % (section, key, exc))
    return True


def inject_credential(definition, inputs, private_data_dir):
    """Return ``(env, safe_env, extra_vars, files)`` as AWX builds them for a job using the credential.

    ``files`` maps each file label to the path written under ``<private_data_dir>/env``.
    """
    secret_fields = set(f['id'] for f in definition['inputs'].get('fields', []) if f.get('secret'))
    namespace = {}
    safe_namespace = {}
    tower = _Namespace()
    namespace['tower'] = safe_namespace['tower'] = tower
    for field_name, value in inputs.items():
        if isinstance(value, bool):
            namespace[field_name] = safe_namespace[field_name] = value
            continue
        if field_name in secret_fields:
            safe_namespace[field_name] = '**********'
        elif len(value):
            safe_namespace[field_name] = value
        if len(value):
            namespace[field_name] = value
    sandbox = ImmutableSandboxedEnvironment()
    env_dir = os.path.join(private_data_dir, 'env')
    os.makedirs(env_dir, exist_ok=True)
    files = {}
    for label, tmpl in definition['injectors'].get('file', {}).items():
        data = sandbox.from_string(tmpl).render(**namespace)
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, 'w') as out:
            out.write(data)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        files[label] = path
        if '.' not in label:
            tower.filename = path
        else:
            if not hasattr(tower, 'filename'):
                tower.filename = _Namespace()
            setattr(tower.filename, label.split('.', 1)[1], path)
    env, safe_env = {}, {}
    for name, tmpl in definition['injectors'].get('env', {}).items():
        if name.startswith('ANSIBLE_') or name in ENV_BLOCKLIST:
            continue
        env[name] = sandbox.from_string(tmpl).render(**namespace)
        safe_env[name] = sandbox.from_string(tmpl).render(**safe_namespace)
    extra_vars = {}
    for name, tmpl in definition['injectors'].get('extra_vars', {}).items():
        extra_vars[name] = sandbox.from_string(tmpl).render(**namespace)
    return env, safe_env, extra_vars, files


def slice_hosts(host_names, slice_number, slice_count):
    """AWX ``Inventory.get_sliced_hosts``: slice ``slice_number`` (1-based) of the hosts ordered by name."""
    ordered = sorted(host_names)
    if slice_count > 1 and slice_number > 0:
        return ordered[slice_number - 1::slice_count]
    return ordered


def sliced_inventory(inventory, slice_number, slice_count):
    """A copy of a runner inventory dict (``{'all': {'hosts': {...}, 'vars': {...}, 'children': {...}}}``)
    holding only the hosts of one slice, as AWX writes the inventory of a slice job."""
    def all_hosts(group):
        names = set((group.get('hosts') or {}).keys())
        for child in (group.get('children') or {}).values():
            names |= all_hosts(child or {})
        return names

    keep = set(slice_hosts(all_hosts(inventory['all']), slice_number, slice_count))

    def prune(group):
        group = copy.deepcopy(group or {})
        if 'hosts' in group:
            group['hosts'] = dict((k, v) for k, v in group['hosts'].items() if k in keep)
        if 'children' in group:
            group['children'] = dict((k, prune(v)) for k, v in group['children'].items())
        return group

    return {'all': prune(inventory['all'])}


def ansible_env():
    """Controller settings of the job (what the EE's ansible.cfg / AWX job settings give): the dev kit's Ansible
    environment, only the variables it sets (ansible-runner merges them over this process's environment)."""
    return _ansible_env(inherit=False, stdout_callback=None)


def run_job(private_data_dir, playbook, inventory, env, extra_vars, job_type='run', diff_mode=False,
            project_dir=REPO, forks=5, timeout=600, ident=None):
    """``ansible_runner.run`` the way AWX runs a job (see the module docstring): the kit's runner mode; returns the
    ``ansible_runner.Runner``."""
    result = run_playbook(playbook, inventory, extra_vars, mode='runner', check=job_type == 'check', diff=diff_mode,
                          forks=forks, env=env, timeout=timeout, workdir=private_data_dir, project_dir=project_dir,
                          runner_options=dict(suppress_env_files=True, ident=ident))
    # no `binary=`: with it, ansible-runner switches to raw mode and drops the playbook argument;
    # ansible-playbook is found through PATH (the venv's bin first, see ansible_env())
    return result.runner


def ensure_awx_collection(cache=AWX_CACHE):
    """Return a collections path holding ``ansible_collections/awx/awx`` (see the module docstring)."""
    target = os.path.join(cache, 'ansible_collections', 'awx', 'awx')
    marker = os.path.join(cache, '.complete')
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if os.path.exists(marker) and os.path.isdir(target):
                return cache
            with tempfile.TemporaryDirectory(prefix='awx-wheel-') as tmp:
                subprocess.run([sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary', ':all:',
                                '-d', tmp, ANSIBLE_PACKAGE], check=True, timeout=300)
                wheels = [f for f in os.listdir(tmp) if f.endswith('.whl')]
                if len(wheels) != 1:
                    raise RuntimeError('pip download %s gave %s' % (ANSIBLE_PACKAGE, wheels))
                with zipfile.ZipFile(os.path.join(tmp, wheels[0])) as wheel:
                    members = [m for m in wheel.namelist() if m.startswith('ansible_collections/awx/awx/')]
                    if not members:
                        raise RuntimeError('%s holds no awx.awx collection' % wheels[0])
                    wheel.extractall(cache, members)
            with open(marker, 'w') as done:
                done.write(ANSIBLE_PACKAGE + '\n')
            return cache
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# secrets.token_urlsafe(32): what the emulator issues as an access token (emulator/genesys_emulator/store.py)
TOKEN_RE = re.compile(r'(?<![A-Za-z0-9_\-+/=])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_\-+/=])')


class SecretScan(object):
    """Collects findings of secret values (exact strings) and token-shaped strings."""

    def __init__(self, secrets, tokens=(), token_shape=True):
        self.secrets = dict((value, label) for value, label in secrets.items() if value)
        for token in tokens:
            self.secrets[token] = 'access token'
        self.token_shape = token_shape
        self.findings = []

    def text(self, where, text):
        if not text:
            return
        for value, label in self.secrets.items():
            if value in text:
                self.findings.append('%s: %s' % (where, label))
        if self.token_shape:
            for match in TOKEN_RE.finditer(text):
                self.findings.append('%s: token-shaped string %s...' % (where, match.group(0)[:6]))

    def events(self, events, where='event'):
        for event in events:
            self.text('%s %s #%s' % (where, event.get('event'), event.get('counter')), json.dumps(event))

    def tree(self, root):
        count = 0
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                path = os.path.join(dirpath, name)
                with open(path, 'rb') as handle:
                    data = handle.read().decode('utf-8', 'replace')
                self.text(os.path.relpath(path, root), data)
                count += 1
        return count


# Runs in a subprocess with awx.awx on sys.path: for each {"module": name, "args": {...}} of stdin, take
# the argument spec that the module's main() hands to AnsibleModule (captured before any connection is
# made) and validate the arguments with ansible-core's ArgumentSpecValidator (every error, not just the
# first one). Prints [{"module", "errors": [...]}].
_ARGSPEC_SCRIPT = r'''
import importlib, json, sys
from ansible.module_utils import basic
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

class Captured(Exception):
    pass

def capture(self, argument_spec=None, **kwargs):
    raise Captured(argument_spec, kwargs)

basic.AnsibleModule.__init__ = capture
RULES = ('mutually_exclusive', 'required_together', 'required_one_of', 'required_if', 'required_by')
out = []
for item in json.load(sys.stdin):
    mod = importlib.import_module('ansible_collections.awx.awx.plugins.modules.' + item['module'])
    try:
        mod.main()
        raise SystemExit('%s: main() did not build an AnsibleModule' % item['module'])
    except Captured as exc:
        spec, kwargs = exc.args
    validator = ArgumentSpecValidator(spec, **dict((k, kwargs[k]) for k in RULES if kwargs.get(k)))
    result = validator.validate(item['args'])
    out.append({'module': item['module'], 'errors': [str(e) for e in result.errors.messages]})
json.dump(out, sys.stdout)
'''


def validate_awx_module_args(collections_path, calls):
    """``calls``: list of ``(module short name, args dict)``; returns a list of error lists, one per call."""
    payload = json.dumps([{'module': m, 'args': a} for m, a in calls])
    env = dict(os.environ, PYTHONPATH=collections_path)
    proc = subprocess.run([sys.executable, '-c', _ARGSPEC_SCRIPT], input=payload, capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stdout + proc.stderr)
    return [item['errors'] for item in json.loads(proc.stdout)]
