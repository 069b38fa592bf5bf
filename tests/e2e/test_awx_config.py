# -*- coding: utf-8 -*-
"""extensions/awx: the custom credential type and the awx.awx configuration playbook.

No AWX server runs here. The credential type is checked the way AWX checks it when it is saved, and
its injectors are rendered the way AWX renders them for a job (``awx_helpers``). ``configure_awx.yml``
is linted against the real ``awx.awx`` collection (taken from the ``ansible`` package on PyPI), with
ansible-lint's ``args`` rule validating every task's arguments against the awx.awx modules' own
argument specs, and syntax-checked with ``ansible-playbook``.
"""

import json
import os
import shutil
import stat
import subprocess
import sys

import jsonschema
import pytest
import yaml

from helpers import ensure_collections_link
from awx_helpers import (BIN, CONFIGURE_AWX_PATH, CREDENTIAL_TYPE_PATH, REPO, ensure_awx_collection,
                         inject_credential, load_credential_type, validate_awx_module_args,
                         validate_credential_type)

ENV_NAMES = {'GENESYSCLOUD_REGION', 'GENESYSCLOUD_OAUTHCLIENT_ID', 'GENESYSCLOUD_OAUTHCLIENT_SECRET',
             'GENESYSCLOUD_API_URL', 'GENESYSCLOUD_LOGIN_URL', 'GENESYSCLOUD_CA_PATH'}
CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n'


def test_credential_type_is_what_awx_accepts():
    definition = load_credential_type()
    assert definition['name'] == 'Genesys Cloud OAuth client'
    validate_credential_type(definition)
    fields = dict((f['id'], f) for f in definition['inputs']['fields'])
    assert set(fields) == {'region', 'client_id', 'client_secret', 'api_url', 'login_url', 'ca_cert', 'ca_path'}
    assert [f for f in fields if fields[f].get('secret')] == ['client_secret']
    assert fields['ca_cert'].get('multiline') is True
    assert definition['inputs']['required'] == ['client_id', 'client_secret']
    assert set(definition['injectors']['env']) == ENV_NAMES


def test_env_names_are_the_ones_the_modules_read():
    """Every injected variable is an env fallback of the shared connection options (doc fragment)."""
    # through the collections link: _genesys_common imports the grant table (the credential options' fallbacks)
    sys.path.insert(0, ensure_collections_link())
    from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_common as common
    fallbacks = set()
    for option in common.connection_argument_spec().values():
        if 'fallback' in option:
            fallbacks.update(option['fallback'][1])
    assert ENV_NAMES <= fallbacks


@pytest.mark.parametrize('broken', [
    lambda d: d['injectors']['env'].update(GENESYSCLOUD_X='{{ no_such_input }}'),
    lambda d: d['injectors']['env'].update(ANSIBLE_COLLECTIONS_PATH='{{ region }}'),
    lambda d: d['injectors']['file'].update({'template.other': '{{ tower.filename.nope }}'}),
    lambda d: d['inputs']['fields'].append({'id': 'region', 'label': 'dup'}),
    lambda d: d['inputs']['fields'][0].update(unknown_key=True),
    lambda d: d.update(kind='ssh'),
])
def test_validation_catches_what_awx_refuses(broken):
    """The checks are real: each of these edits makes AWX refuse the type."""
    definition = load_credential_type()
    broken(definition)
    with pytest.raises((ValueError, jsonschema.ValidationError)):
        validate_credential_type(definition)


def test_injectors_with_every_input(tmp_path):
    definition = load_credential_type()
    inputs = {'region': 'eu-west-1', 'client_id': 'cid', 'client_secret': 's3cr3t', 'api_url': 'https://127.0.0.1:1',
              'login_url': 'https://127.0.0.1:2', 'ca_cert': CA_PEM, 'ca_path': '/etc/ignored.pem'}
    env, safe_env, extra_vars, files = inject_credential(definition, inputs, str(tmp_path))
    assert extra_vars == {}
    ca_file = files['template.ca_cert']
    assert os.path.dirname(ca_file) == str(tmp_path / 'env')
    assert stat.S_IMODE(os.stat(ca_file).st_mode) == 0o600
    with open(ca_file) as handle:
        assert handle.read() == CA_PEM
    assert env == {'GENESYSCLOUD_REGION': 'eu-west-1', 'GENESYSCLOUD_OAUTHCLIENT_ID': 'cid',
                   'GENESYSCLOUD_OAUTHCLIENT_SECRET': 's3cr3t', 'GENESYSCLOUD_API_URL': 'https://127.0.0.1:1',
                   'GENESYSCLOUD_LOGIN_URL': 'https://127.0.0.1:2', 'GENESYSCLOUD_CA_PATH': ca_file}
    # what AWX stores with the job (job_env) never holds the secret
    assert safe_env['GENESYSCLOUD_OAUTHCLIENT_SECRET'] == '**********'
    assert 's3cr3t' not in yaml.safe_dump(safe_env)


def test_injectors_with_only_required_inputs(tmp_path):
    """Optional inputs left empty become empty variables, which the role and modules treat as unset."""
    definition = load_credential_type()
    env, _safe, _extra, _files = inject_credential(definition, {'client_id': 'cid', 'client_secret': 'x'}, str(tmp_path))
    assert env['GENESYSCLOUD_CA_PATH'] == ''
    assert env['GENESYSCLOUD_REGION'] == env['GENESYSCLOUD_API_URL'] == env['GENESYSCLOUD_LOGIN_URL'] == ''
    env, _safe, _extra, _files = inject_credential(
        definition, {'client_id': 'cid', 'client_secret': 'x', 'ca_path': '/etc/pki/tls/cert.pem'}, str(tmp_path))
    assert env['GENESYSCLOUD_CA_PATH'] == '/etc/pki/tls/cert.pem'


@pytest.fixture(scope='module')
def awx_project(tmp_path_factory):
    """configure_awx.yml + credential_type.yml in a project of their own, with awx.awx on the path.

    A separate project keeps the repo's .ansible-lint (which mocks the awx.awx modules for the offline
    gate) and its lint cache out of the way: here the real modules are used.
    """
    collections = ensure_awx_collection()
    project = tmp_path_factory.mktemp('awxlint')
    shutil.copy2(CONFIGURE_AWX_PATH, project / 'configure_awx.yml')
    shutil.copy2(CREDENTIAL_TYPE_PATH, project / 'credential_type.yml')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR='1', NO_COLOR='1',
               PATH=BIN + os.pathsep + os.environ.get('PATH', ''))
    env.pop('ANSIBLE_CONFIG', None)
    return project, env


def _lint(project, env, config):
    (project / 'lint.yml').write_text(yaml.safe_dump(config))
    return subprocess.run([os.path.join(BIN, 'ansible-lint'), '-c', 'lint.yml', '--nocolor', 'configure_awx.yml'],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300)


def test_configure_awx_passes_production_lint_with_real_awx_collection(awx_project):
    project, env = awx_project
    proc = _lint(project, env, {'profile': 'production', 'offline': True})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'Passed' in proc.stdout + proc.stderr


SETTINGS = {
    'genesys_awx_project_scm_url': 'https://git.example.com/ops/genesyscloud-sso.git',
    'genesys_awx_credential_inputs': {'region': 'eu-west-1', 'client_id': 'cid', 'client_secret': 'sample-secret'},
    'genesys_awx_execution_environment_image': 'registry.example.com/genesyscloud-sso-ee:1.0.0',
    'genesys_awx_inventory_source_path': 'inventories/orgs.yml',
    'genesys_awx_orgs': [{'name': 'acme-prod', 'variables': {'saml_sso_region': 'eu-west-1'}}, {'name': 'acme-test'}],
    'genesys_awx_job_extra_vars': {'saml_sso_provider': {'type': 'generic', 'name': 'Corp IdP'}},
}


class Unsafe(str):
    """A ``!unsafe`` string of a playbook (kept as such when the play is written back)."""


class _Loader(yaml.SafeLoader):
    pass


class _Dumper(yaml.SafeDumper):
    pass


_Loader.add_constructor('!unsafe', lambda loader, node: Unsafe(loader.construct_scalar(node)))
_Dumper.add_representer(Unsafe, lambda dumper, data: dumper.represent_scalar('!unsafe', str(data)))


def load_playbook(text):
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def render_awx_calls(project, env, playbook_text, out_dir):
    """Run a copy of the play in which every awx.awx task writes its templated arguments to a file
    instead of calling the controller; return [(module, args)] in task order (loop items expanded)."""
    os.makedirs(out_dir)
    plays = load_playbook(playbook_text)
    tasks = []
    for idx, task in enumerate(plays[0]['tasks']):
        module = next((k for k in task if k.startswith('awx.awx.')), None)
        if module is None:
            tasks.append(task)
            continue
        new = dict((k, v) for k, v in task.items() if k not in (module, 'no_log'))
        new['vars'] = {'awx_call_args': task[module]}
        if 'loop' in task:
            new['loop_control'] = dict(task.get('loop_control') or {}, index_var='awx_call_index')
        new['ansible.builtin.copy'] = {
            'content': "{{ {'module': '%s', 'args': awx_call_args} | to_json }}" % module.split('.')[-1],
            'dest': "%s/{{ '%%03d' | format(%d) }}-{{ '%%03d' | format(awx_call_index | default(0)) }}.json" % (out_dir, idx),
            'mode': '0600',
        }
        tasks.append(new)
    plays[0]['tasks'] = tasks
    (project / 'rendered.yml').write_text(yaml.dump(plays, Dumper=_Dumper, sort_keys=False))
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), 'rendered.yml', '-e', json.dumps(SETTINGS)],
                          cwd=project, env=dict(env, ANSIBLE_PYTHON_INTERPRETER=os.path.join(BIN, 'python')),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    calls = []
    for name in sorted(os.listdir(out_dir)):
        with open(os.path.join(out_dir, name)) as handle:
            call = json.load(handle)
        # omit placeholders only vanish from real module arguments; drop them here the same way
        args = dict((k, v) for k, v in call['args'].items()
                    if not (isinstance(v, str) and v.startswith('__omit_place_holder__')))
        calls.append((call['module'], args))
    return calls


def test_configure_awx_arguments_match_awx_argument_specs(awx_project, tmp_path):
    """Every awx.awx call of the play, templated with sample settings, passes the module's own argument spec."""
    project, env = awx_project
    text = (project / 'configure_awx.yml').read_text()
    calls = render_awx_calls(project, env, text, str(tmp_path / 'ok'))
    assert [m for m, _a in calls] == ['credential_type', 'credential', 'execution_environment', 'project', 'inventory',
                                      'host', 'host', 'group', 'inventory_source', 'job_template', 'job_template']
    errors = validate_awx_module_args(env['ANSIBLE_COLLECTIONS_PATH'], calls)
    assert errors == [[]] * len(calls), errors
    args = dict((m, a) for m, a in calls)
    assert args['credential_type'] == dict(load_credential_type(), state='present')
    assert args['credential']['inputs'] == SETTINGS['genesys_awx_credential_inputs']
    dry, apply_ = [a for m, a in calls if m == 'job_template']
    assert (dry['name'], dry['job_type'], dry['diff_mode']) == ('SSO dry run', 'check', True)
    assert (apply_['name'], apply_['job_type'], int(apply_['job_slice_count'])) == ('SSO apply', 'run', 3)
    assert dry['credentials'] == apply_['credentials'] == ['Genesys Cloud SSO automation']
    assert dry['extra_vars'] == SETTINGS['genesys_awx_job_extra_vars']
    assert args['inventory']['variables']['ansible_python_interpreter'] == '{{ ansible_playbook_python }}'
    # the hosts land in the group that playbooks/configure_sso.yml targets by default
    assert args['group']['name'] == 'genesys_orgs' and args['group']['hosts'] == ['acme-prod', 'acme-test']
    with open(os.path.join(REPO, 'playbooks', 'configure_sso.yml')) as handle:
        assert "saml_sso_hosts | default('genesys_orgs')" in handle.read()

    # positive control: a wrong choice and an unknown option are both reported
    bad = text.replace('job_type: check', 'job_type: dry_run\n        slices: 3', 1)
    calls = render_awx_calls(project, env, bad, str(tmp_path / 'bad'))
    errors = validate_awx_module_args(env['ANSIBLE_COLLECTIONS_PATH'], calls)
    flat = [e for errs in errors for e in errs]
    assert any('value of job_type must be one of: run, check, got: dry_run' in e for e in flat), flat
    assert any(e.startswith('slices.') for e in flat), flat


def test_configure_awx_syntax_and_templates(awx_project):
    project, env = awx_project
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '--syntax-check', 'configure_awx.yml'],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    plays = load_playbook((project / 'configure_awx.yml').read_text())
    tasks = dict((t['name'], t) for t in plays[0]['tasks'])
    modules = dict((name, next(k for k in task if k.startswith('awx.awx.'))) for name, task in tasks.items()
                   if any(k.startswith('awx.awx.') for k in task))
    assert sorted(set(modules.values())) == sorted([
        'awx.awx.credential', 'awx.awx.credential_type', 'awx.awx.execution_environment', 'awx.awx.group', 'awx.awx.host',
        'awx.awx.inventory', 'awx.awx.inventory_source', 'awx.awx.job_template', 'awx.awx.project'])
    templates = [t['awx.awx.job_template'] for t in tasks.values() if 'awx.awx.job_template' in t]
    dry, apply_ = templates
    assert dry['job_type'] == 'check' and dry['diff_mode'] is True
    assert apply_['job_type'] == 'run'
    assert plays[0]['vars']['genesys_awx_job_slice_count'] > 1
    assert apply_['job_slice_count'] == '{{ genesys_awx_job_slice_count }}'
    for template in templates:
        assert template['playbook'] == '{{ genesys_awx_playbook }}'
        assert template['credentials'] == ['{{ genesys_awx_credential_name }}']
    assert os.path.exists(os.path.join(REPO, plays[0]['vars']['genesys_awx_playbook'])) or \
        plays[0]['vars']['genesys_awx_playbook'] == 'playbooks/configure_sso.yml'
    # the secret-bearing task is no_log
    assert tasks['Create the admin OAuth client credential']['no_log'] is True


def test_configure_awx_reads_the_credential_type_file(awx_project, tmp_path):
    """The credential_type task sends exactly credential_type.yml (run the lookup in a real play)."""
    project, env = awx_project
    play = [{
        'name': 'render', 'hosts': 'localhost', 'gather_facts': False,
        'vars': {'definition': "{{ lookup('ansible.builtin.file', 'credential_type.yml') | from_yaml }}"},
        'tasks': [{'name': 'dump', 'ansible.builtin.copy': {'content': '{{ definition | to_json }}',
                                                           'dest': str(tmp_path / 'out.json'), 'mode': '0600'}}],
    }]
    # same lookup expression as configure_awx.yml
    plays = load_playbook((project / 'configure_awx.yml').read_text())
    assert plays[0]['vars']['genesys_awx_credential_type_definition'] == play[0]['vars']['definition']
    (project / 'render.yml').write_text(yaml.safe_dump(play))
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), 'render.yml'], cwd=project,
                          env=dict(env, ANSIBLE_PYTHON_INTERPRETER=os.path.join(BIN, 'python')),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rendered = yaml.safe_load((tmp_path / 'out.json').read_text())
    assert rendered == load_credential_type()
