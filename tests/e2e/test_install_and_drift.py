# -*- coding: utf-8 -*-
"""Issue 16 items 6-9 end to end: the drift message, check mode's permission preflight, the printed step names,
and installing the built collection like a user.

One emulator for the module; one ``--tags verify`` run (drift message, step names, ansible-core's validation task
name), one check run over three orgs (missing permission / roles not readable / allowed) and one real run that
proves the predicted 403, one build + install of the collection artifact.
"""

import glob
import json
import os
import re
import subprocess
import tarfile

import pytest

from helpers import BIN, PYTHON, REPO, base_env, run_playbook
from role_helpers import CONFIGURE, inventory, org_seed, provider_vars, summaries, writes

from genesys_emulator.saml_idp import TestIdP

IDP = TestIdP(entity_id='https://idp.install.example/entity', sso_url='https://idp.install.example/sso',
              common_name='Install IdP signing')
OLD_IDP = TestIdP(entity_id='https://old.install.example/entity', sso_url='https://old.install.example/sso',
                  common_name='Old install signing')


def _org(name, index, admin_permissions, providers=None):
    org = org_seed(name, index, providers=providers)
    org['clients'][0]['permissions'] = admin_permissions
    return org


SEED = {'orgs': [
    _org('drift-org', 61, ['sso:provider:*'], providers={'generic': {
        'name': 'Corp IdP', 'issuerURI': OLD_IDP.entity_id, 'ssoTargetURI': OLD_IDP.sso_url,
        'certificates': [OLD_IDP.certificate_b64], 'disabled': False}}),
    # may read its roles, may not add or edit a provider
    _org('noedit-org', 62, ['sso:provider:view', 'authorization:role:view', 'oauth:client:view']),
    # may do everything with providers, may not read its roles
    _org('noread-org', 63, ['sso:provider:*']),
    # may do both
    _org('allowed-org', 64, ['sso:provider:*', 'authorization:role:view']),
]}
pytestmark = pytest.mark.emulator_seed(SEED)

# The role imported WITH ansible-core's own argument validation (the collection's playbooks turn it off).
VALIDATED_PLAYBOOK = """
- name: The role with ansible-core's argument validation
  hosts: genesys_orgs
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Configure single sign-on on this org
      ansible.builtin.import_role:
        name: genesyscloud.sso.saml_sso
"""


def _task_names(stdout):
    return re.findall(r'^TASK \[(?:genesyscloud\.sso\.saml_sso : )?(.*?)\] \**$', stdout, re.M)


# ------------------------------------------------------------------ item 6 (drift) and item 9 (step names)

def test_drift_message_lists_before_and_after_and_the_steps_are_named_as_documented(emu, tmp_path):
    inv = inventory(emu, ['drift-org'], provider_vars(IDP), tmp_path / 'backups')
    result = run_playbook(VALIDATED_PLAYBOOK, inventory=inv, tags='verify')
    assert result.rc != 0
    assert writes(emu.requests(org='drift-org')) == []
    error = summaries(result)['drift-org']['error']
    assert 'differs from saml_sso_provider in certificates, issuer_uri, relying_party_identifier, sso_target_uri' \
        in error
    # every differing field with the value on the platform and the value of saml_sso_provider
    assert 'issuer_uri "%s" -> "%s"' % (OLD_IDP.entity_id, IDP.entity_id) in error, error
    assert 'sso_target_uri "%s" -> "%s"' % (OLD_IDP.sso_url, IDP.sso_url) in error
    assert 'relying_party_identifier (not set) -> "genesys.cloud.drift-org"' in error
    assert re.search(r'certificates - removed CN=Old install signing \(SHA-256 ([0-9A-F]{2}:){7}[0-9A-F]{2}\.\.\., '
                     r'expires \d{4}-\d\d-\d\dT[\d:]+Z\) \+ added CN=Install IdP signing \(SHA-256 ', error), error
    assert 'Unknown error' not in error and 'see the diff of step 4' not in error

    names = _task_names(result.stdout)
    # ansible-core's validation task carries the short description, not the role's whole description
    assert "Validating arguments against arg spec 'main' - Configure SAML SSO on one org" in names, names
    assert not any('without breaking its OAuth automation' in n for n in names)
    # the printed step numbers are those of docs/role.md: 1 (alone, --tags oauth), 3-6, 7; step 2 (the admin
    # token) has no task of its own: every module gets its token from the shared connection
    assert 'Configure the SAML identity provider (steps 3-6)' in names
    assert not [n for n in names if 'admin access token' in n or n.endswith('(step 2)')], names
    applied = run_playbook(CONFIGURE, inventory=inv)   # a whole run prints every step but step 1 alone
    assert applied.rc == 0, applied.stdout[-3000:]
    applied_names = _task_names(applied.stdout)
    assert not [n for n in applied_names if 'step 1 alone' in n]   # tagged never: not even evaluated per org
    names += applied_names
    oauth = run_playbook(CONFIGURE, inventory=inv, tags='oauth')   # step 1 alone
    assert oauth.rc == 0, oauth.stdout[-3000:]
    names += _task_names(oauth.stdout)
    assert 'Validate the preserved OAuth clients (step 1 alone, when steps 3-6 do not run)' in names
    assert 'Build the summary of this org (step 7)' in names
    assert not [n for n in names if n.endswith('(step 4)')]
    with open(os.path.join(REPO, 'docs', 'role.md')) as handle:
        table = handle.read().split('## What a run does, per org', 1)[1].split('\n\n', 2)[1]
    documented = set(n for row in re.findall(r'^\| ([\d+]+) \|', table, re.M) for n in row.split('+'))
    printed = set()
    for name in names:
        for match in re.findall(r'\(steps? ([\d-]+)', name):
            bounds = [int(x) for x in match.split('-')]
            printed.update(str(n) for n in range(bounds[0], bounds[-1] + 1))
    assert printed and printed <= documented, (printed, documented)


# ------------------------------------------------------------------ item 7 (permission preflight)

def _role_view_requests(requests, org):
    return [r for r in requests if r.get('org') == org and r['path'].startswith('/api/v2/authorization/roles/')]


def test_check_mode_predicts_the_missing_permission_and_the_apply_gets_the_403(emu, tmp_path):
    orgs = ['noedit-org', 'noread-org', 'allowed-org']
    inv = inventory(emu, orgs, provider_vars(IDP), tmp_path / 'backups')
    check = run_playbook(CONFIGURE, inventory=inv, check=True, diff=True)
    assert writes(emu.requests()) == []
    found = summaries(check)
    # noedit-org: the check run fails, naming the permission, like the real run will
    assert found['noedit-org']['status'] == 'failed' and found['noedit-org']['failed_step'] == 'permissions'
    message = found['noedit-org']['error']
    assert 'lacks the permission sso:provider:add or sso:provider:edit' in message, message
    assert 'would fail with 403 missing.any.permissions' in message and 'SSO Admin' in message
    assert check.stats['noedit-org']['failures'] >= 1
    # noread-org: check mode says it could not check, and goes on
    assert found['noread-org']['status'] == 'ok', found['noread-org']
    step = [t for t in check.tasks if t['host'] == 'noread-org' and t['task'].endswith('(steps 3-6)')][-1]['result']
    warned = [w for w in step.get('warnings', []) if 'could not check the permissions' in w]
    assert len(warned) == 1 and 'Authorization > Role > View' in warned[0] and '403' in warned[0], step.get('warnings')
    assert step['permissions']['checked'] is False
    # allowed-org: checked, nothing to say
    assert found['allowed-org']['status'] == 'ok'
    step = [t for t in check.tasks if t['host'] == 'allowed-org' and t['task'].endswith('(steps 3-6)')][-1]['result']
    assert step['permissions'] == {'checked': True, 'needed': ['sso:provider:add', 'sso:provider:edit'],
                                   'roles': ['SSO Admin'], 'missing': []}
    assert not [w for w in step.get('warnings', []) if 'permissions' in w]
    assert len(_role_view_requests(emu.requests(), 'allowed-org')) == 1

    # the drift check of that org shows the drift and the missing permission together
    drift = run_playbook(CONFIGURE, inventory=inv, tags='verify', limit='noedit-org')
    assert drift.rc != 0 and writes(emu.requests()) == []
    error = summaries(drift)['noedit-org']['error']
    assert 'does not exist; saml_sso_provider would create it with certificates, ' in error, error
    assert 'issuer_uri (not set) -> "%s"' % IDP.entity_id in error
    assert error.endswith('lacks the permission sso:provider:add or sso:provider:edit, which the creation or update of '
                          "the generic identity provider needs: the real run would fail with 403 "
                          "missing.any.permissions. Its roles (SSO Admin) grant no sso:provider:add or "
                          "sso:provider:edit. Add the permission (Admin > Roles/Permissions: Single Sign-on > Provider > "
                          "Add or Edit) to a role of the admin OAuth client, or use another admin client, and run again.")

    # the prediction was right: the real run gets the 403 on the write
    emu.clear_requests()
    real = run_playbook(CONFIGURE, inventory=inv, limit='noedit-org')
    assert real.rc != 0
    error = summaries(real)['noedit-org']['error']
    assert '403' in error and 'missing.any.permissions' in error, error
    refused = [r for r in emu.requests(org='noedit-org') if r['method'] == 'PUT']
    assert refused and all(r['status'] == 403 for r in refused)
    assert _role_view_requests(emu.requests(), 'noedit-org') == []   # the real run does not pay for the check


def test_emulator_serves_the_roles_in_the_platform_shape(emu):
    import requests

    token = emu.token('allowed-org-admin', 'allowed-org-admin-secret')
    headers = {'Authorization': 'Bearer ' + token}
    me = requests.get(emu.url + '/api/v2/tokens/me', headers=headers, verify=emu.ca_path, timeout=30).json()
    role_id = me['OAuthClient']['roleDivisions'][0]['roleId']
    answer = requests.get(emu.url + '/api/v2/authorization/roles/' + role_id, headers=headers, verify=emu.ca_path,
                          timeout=30)
    assert answer.status_code == 200
    role = answer.json()
    assert role['id'] == role_id and role['name'] == 'SSO Admin'
    assert {'domain': 'sso', 'entityName': 'provider', 'policyName': 'sso-provider', 'actionSet': ['*'],
            'allowConditions': False} in role['permissionPolicies']
    assert {'domain': 'authorization', 'entityName': 'role', 'policyName': 'authorization-role',
            'actionSet': ['view'], 'allowConditions': False} in role['permissionPolicies']
    try:
        from PureCloudPlatformClientV2.models import DomainOrganizationRole, DomainPermissionPolicy
    except ImportError:
        DomainOrganizationRole = None
    if DomainOrganizationRole is not None:   # the field names of the official SDK's models
        assert set(role) <= set(DomainOrganizationRole().attribute_map.values())
        for item in role['permissionPolicies']:
            assert set(item) <= set(DomainPermissionPolicy().attribute_map.values())
    missing = requests.get(emu.url + '/api/v2/authorization/roles/3b7c0d1e-0000-4000-8000-00000000ffff',
                           headers=headers, verify=emu.ca_path, timeout=30)
    assert missing.status_code == 404 and missing.json()['code'] == 'not.found'
    token = emu.token('noread-org-admin', 'noread-org-admin-secret')
    denied = requests.get(emu.url + '/api/v2/authorization/roles/' + role_id,
                          headers={'Authorization': 'Bearer ' + token}, verify=emu.ca_path, timeout=30)
    assert denied.status_code == 403 and denied.json()['code'] == 'missing.any.permissions'


# ------------------------------------------------------------------ item 8 (install like a user)

SHOW_FILES_PLAYBOOK = """
- name: What the example inventory reads from its files/ folder
  hosts: acme_staging,acme_eu
  connection: local
  gather_facts: false
  tasks:
    - name: Show the file contents the inventory looked up
      ansible.builtin.debug:
        msg: "{{ (saml_sso_provider.certificates | default([''])) | first if inventory_hostname == 'acme_staging'
                 else saml_sso_provider.idp_metadata }}"
"""

TOKEN_PLAYBOOK = """
- name: A module of the installed collection on a Python without requests
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Get a token
      genesyscloud.sso.genesys_token:
        api_url: https://127.0.0.1:9
        login_url: https://127.0.0.1:9
        client_id: someone
        client_secret: not-a-real-secret-4711
      ignore_errors: true

    - name: Read IdP metadata
      genesyscloud.sso.genesys_identity_provider:
        api_url: https://127.0.0.1:9
        login_url: https://127.0.0.1:9
        client_id: someone
        client_secret: not-a-real-secret-4711
        type: generic
        name: Corp
        idp_metadata: <EntityDescriptor entityID="urn:corp"/>
"""


def _run(cmd, env, cwd, timeout=240):
    proc = subprocess.run(cmd, env=env, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=timeout)
    return proc.returncode, proc.stdout


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """The collection built with ansible-galaxy from this tree and installed into a temporary directory."""
    tmp = tmp_path_factory.mktemp('install')
    env = base_env({'ANSIBLE_COLLECTIONS_PATH': str(tmp / 'none'), 'ANSIBLE_CALLBACKS_ENABLED': None,
                    'ANSIBLE_CALLBACK_PLUGINS': None})
    rc, out = _run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path',
                    str(tmp / 'dist'), REPO], env, tmp)
    assert rc == 0, out
    tarball = glob.glob(str(tmp / 'dist' / 'genesyscloud-sso-*.tar.gz'))[0]
    rc, out = _run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--force', '-p',
                    str(tmp / 'collections'), tarball], env, tmp)
    assert rc == 0, out
    root = tmp / 'collections' / 'ansible_collections' / 'genesyscloud' / 'sso'
    env['ANSIBLE_COLLECTIONS_PATH'] = str(tmp / 'collections')
    return dict(tmp=tmp, tarball=tarball, root=root, env=env)


def test_the_artifact_ships_its_requirements_and_real_links(installed):
    root = installed['root']
    assert (root / 'requirements.txt').is_file() and (root / 'README.md').is_file()
    assert not (root / 'emulator').exists() and not (root / 'requirements-demo.txt').exists()
    with open(str(root / 'requirements.txt')) as handle:
        wanted = set(re.split(r'[<>=\s]', line)[0] for line in handle if line.strip() and not line.startswith('#'))
    assert wanted == {'requests', 'cryptography', 'defusedxml'}
    with tarfile.open(installed['tarball']) as tar:
        manifest = json.load(tar.extractfile('MANIFEST.json'))['collection_info']
    for key in ('repository', 'documentation', 'homepage', 'issues'):
        assert 'example.invalid' not in (manifest.get(key) or ''), (key, manifest.get(key))
    with open(str(root / 'README.md')) as handle:
        readme = handle.read()
    assert '## Install' in readme and 'pip install -r' in readme and 'inventory_dir' in readme


def test_every_module_documents_its_python_requirements(installed):
    modules = ['genesyscloud.sso.' + m for m in ('genesys_token', 'genesys_oauth_check', 'genesys_identity_provider')]
    rc, out = _run([os.path.join(BIN, 'ansible-doc'), '--json'] + modules, installed['env'], installed['tmp'])
    assert rc == 0, out
    docs = json.loads(out)
    for module in modules:
        requirements = docs[module]['doc'].get('requirements') or []
        assert any(r.startswith('requests') for r in requirements), (module, requirements)


def test_without_requests_a_module_names_the_collection_requirements(installed, tmp_path):
    # what a fresh venv with only ansible-core (which brings cryptography) looks like to these imports
    for library in ('requests', 'defusedxml'):
        shadow = tmp_path / 'no-requests' / library
        shadow.mkdir(parents=True)
        shadow.joinpath('__init__.py').write_text('raise ImportError("No module named %r")\n' % library)
    playbook = tmp_path / 'token.yml'
    playbook.write_text(TOKEN_PLAYBOOK)
    env = dict(installed['env'], PYTHONPATH=str(tmp_path / 'no-requests'))
    rc, out = _run([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', str(playbook)], env, tmp_path)
    assert rc != 0
    assert 'Failed to import the required Python library (requests)' in out, out[-3000:]
    hint = "install the collection's requirements: pip install -r requirements.txt (requests, cryptography, defusedxml)"
    assert hint in out and 'Failed to import the required Python library (requests)' in out.split(hint)[0], out[-3000:]
    # the metadata task (defusedxml) says the same
    assert re.search(r'the \\?"defusedxml\\?" Python library is required to read SAML metadata \([^)]*\): '
                     + re.escape(hint), out), out[-3000:]
    assert 'Traceback' not in out and 'not-a-real-secret-4711' not in out


def test_the_example_inventory_reads_its_files_beside_itself(installed, tmp_path):
    user = tmp_path / 'my-inventory'
    (user / 'files').mkdir(parents=True)
    with open(str(installed['root'] / 'playbooks' / 'inventory.example.yml')) as handle:
        text = handle.read()
    assert "inventory_dir ~ '/files/" in text and "lookup('ansible.builtin.file', 'files/" not in text
    (user / 'inventory.yml').write_text(text)
    (user / 'files' / 'acme-staging-idp.pem').write_text(IDP.certificate_pem)
    (user / 'files' / 'acme-eu-entra-metadata.xml').write_text('<EntityDescriptor entityID="urn:acme-eu"/>')
    elsewhere = tmp_path / 'elsewhere'   # the playbook's folder has no files/
    elsewhere.mkdir()
    (elsewhere / 'show.yml').write_text(SHOW_FILES_PLAYBOOK)
    env = dict(installed['env'], ANSIBLE_PYTHON_INTERPRETER=PYTHON)
    rc, out = _run([os.path.join(BIN, 'ansible-playbook'), '-i', str(user / 'inventory.yml'),
                    str(elsewhere / 'show.yml')], env, tmp_path)
    assert rc == 0, out[-3000:]
    assert '-----BEGIN CERTIFICATE-----' in out and 'urn:acme-eu' in out


def test_the_demo_is_lean_and_writes_no_ansi_codes(tmp_path):
    with open(os.path.join(REPO, 'requirements-demo.txt')) as handle:
        demo = [re.split(r'[<>=\s]', line.strip())[0] for line in handle if line.strip() and not line.startswith('#')]
    assert '-r' in demo and 'ansible-core' in demo
    for dev_only in ('ansible-lint', 'molecule', 'pytest', 'sphinx', 'matplotlib', 'purecloudplatformclientv2',
                     'mutmut', 'ansible-builder', 'hypothesis'):
        assert dev_only not in demo
    # every third-party module the emulator imports unguarded comes from the demo set
    provides = {'fastapi': 'fastapi', 'starlette': 'fastapi', 'uvicorn': 'uvicorn', 'pydantic': 'pydantic',
                'yaml': 'pyyaml', 'signxml': 'signxml', 'lxml': 'lxml', 'cryptography': '-r', 'requests': '-r'}
    imported = set()
    for path in glob.glob(os.path.join(REPO, 'emulator', 'genesys_emulator', '*.py')):
        with open(path) as handle:
            imported.update(re.findall(r'^(?:from|import) ([a-z_]+)', handle.read(), re.M))
    third_party = imported & set(provides)
    assert {'uvicorn', 'signxml'} <= third_party   # the emulator's API front is plain ASGI (no FastAPI since e9928e6)
    assert all(provides[name] in demo for name in third_party), third_party
    with open(os.path.join(REPO, 'Makefile')) as handle:
        makefile = handle.read()
    assert '-r requirements-demo.txt' in makefile and 'VENV="$(CURDIR)/$(DEMO_VENV)" bash tools/demo.sh' in makefile

    # the demo's headings, written to a file: plain text
    with open(os.path.join(REPO, 'tools', 'demo.sh')) as handle:
        script = handle.read()
    head = script[script.index('# Bold headings only on a terminal'):script.index('info() {')]
    out = tmp_path / 'demo.log'
    with open(str(out), 'w') as handle:
        subprocess.run(['bash', '-c', head + '\nsay "1/7 Starting"\n'], stdout=handle, check=True, timeout=30,
                       env=dict(os.environ, NO_COLOR=''))
    text = out.read_text()
    assert '==> 1/7 Starting' in text and '\x1b' not in text
    assert 'unset ANSIBLE_FORCE_COLOR' in script and 'ANSIBLE_NOCOLOR=1' in script

    # what a user reads names no path of this machine
    for doc in ('README.md', os.path.join('emulator', 'README.md'), os.path.join('docs', 'role.md')):
        with open(os.path.join(REPO, doc)) as handle:
            text = handle.read()
        assert not re.search(r'(?<![\w.~])/(work|root|home/\w+|tmp/pytest)/', text), doc
