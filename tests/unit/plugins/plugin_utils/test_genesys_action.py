# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action base: both entry points (AnsibleModule path and controller-side action path) give the same results."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import re

import pytest
import requests

from ansible.module_utils.common.parameters import PASS_VARS
from ansible.module_utils.testing import patch_module_args

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    GenesysModuleFail, build_spec, run_module)
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_action import GenesysActionBase
from ansible_collections.genesyscloud.sso.plugins.modules import genesys_token as token_module
from ansible_collections.genesyscloud.sso.plugins.modules import genesys_oauth_check as check_module
from ansible_collections.genesyscloud.sso.plugins.action import genesys_token as token_action
from ansible_collections.genesyscloud.sso.plugins.action import genesys_oauth_check as check_action
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.fake_http import FakeResponse

NAME = 'genesyscloud.sso.test_mod'
# ansible-core >= 2.21: AnsibleModule returns ``invocation`` only when asked to (INJECT_INVOCATION); older cores always do
CAN_REQUEST_INVOCATION = 'inject_invocation' in PASS_VARS


def demo_core(params, ctx):
    if params.get('fail'):
        raise GenesysModuleFail('it failed: %s' % params['password'], detail='x')
    ctx.add_secret('runtime-secret-1')
    ctx.warn('careful')
    return dict(changed=bool(params.get('name')), echo='pw=%s name=%s' % (params.get('password'), params.get('name')),
                runtime='value runtime-secret-1', check=ctx.check_mode, diff_mode=ctx.diff_mode, flag=True, nothing=None)


DEMO_SPEC = build_spec(
    dict(
        name=dict(type='str'),
        password=dict(type='str', no_log=True),
        count=dict(type='int'),
        mode=dict(type='str', choices=['a', 'b']),
        other=dict(type='str'),
        fail=dict(type='bool', default=False),
        items=dict(type='list', elements='dict',
                   options=dict(key=dict(type='str', required=True), token=dict(type='str', no_log=True))),
    ),
    with_connection=False,
    mutually_exclusive=[('name', 'other')],
    required_if=[('mode', 'b', ('count',))],
    required_together=[('count', 'other')],
)


class DemoAction(GenesysActionBase):
    SPEC = DEMO_SPEC
    CORE = staticmethod(demo_core)


def new_action(cls):
    return cls.__new__(cls)  # run_core needs no task/connection objects


def module_result(spec, core, args, capsys, check=False, diff=False, inject_invocation=False):
    full = dict(args)
    full.update(_ansible_module_name=NAME, _ansible_check_mode=check, _ansible_diff=diff)
    if inject_invocation and CAN_REQUEST_INVOCATION:
        full['_ansible_inject_invocation'] = True
    with patch_module_args(full):
        with pytest.raises(SystemExit):
            run_module(spec, core)
    out = capsys.readouterr().out
    return json.loads(out[out.index('{'):])


def action_result(cls, args, check=False, diff=False, name=NAME, inject_invocation=None):
    return new_action(cls).run_core({}, dict(args), name, check_mode=check, diff_mode=diff,
                                    inject_invocation=inject_invocation)


def _without_timing(value):
    """Probe latencies (``latency_ms``, "HTTP 200 in 3 ms") differ between two runs under load: not compared."""
    if isinstance(value, dict):
        return dict((k, 0 if k == 'latency_ms' else _without_timing(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    if isinstance(value, str):
        return re.sub(r'\bin \d+ ms\b', 'in N ms', value)
    return value


def normalise(result):
    # warnings: in a test process ansible's module warn() goes straight to the controller display
    # (ansible.module_utils._internal.is_controller), so the module result cannot carry them here
    result = dict(result)
    result.pop('deprecations', None)
    result.pop('warnings', None)
    return _without_timing(result)


CASES = [
    ('unsupported', dict(name='n', bogus=1, other2='x')),
    ('wrong type', dict(count='many', other='o')),
    ('bad choice', dict(mode='c')),
    ('mutually exclusive', dict(name='n', other='o', count=1)),
    ('required if', dict(mode='b')),
    ('required together', dict(count=2)),
    ('suboption missing', dict(items=[dict(token='tok-secret-9')])),
    ('suboption unsupported', dict(items=[dict(key='k', nope=1)])),
    ('no_log in error', dict(password='pw-secret-1', count='x', other='o')),
    ('success', dict(name='n1', password='pw-secret-1', items=[dict(key='k', token='tok-secret-9')])),
    ('core failure', dict(fail=True, password='pw-secret-1')),
]


@pytest.mark.parametrize('case,args', CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize('check', [False, True])
@pytest.mark.parametrize('inject', [None, True], ids=['invocation-default', 'invocation-requested'])
def test_action_path_equals_module_path(case, args, check, inject, capsys):
    mod = module_result(DEMO_SPEC, demo_core, args, capsys, check=check, inject_invocation=inject)
    act = action_result(DemoAction, args, check=check, inject_invocation=inject)
    assert normalise(act) == normalise(mod)
    assert ('invocation' in act) is (inject or not CAN_REQUEST_INVOCATION)
    text = json.dumps(act)
    assert 'pw-secret-1' not in text and 'tok-secret-9' not in text and 'runtime-secret-1' not in text


def test_specific_messages():
    msg = action_result(DemoAction, dict(bogus=1))['msg']
    assert msg.startswith('Unsupported parameters for (%s) module: bogus. Supported parameters include:' % NAME)
    assert action_result(DemoAction, dict(name='n', other='o', count=1))['msg'] == 'parameters are mutually exclusive: name|other'
    assert 'count' in action_result(DemoAction, dict(mode='b'))['msg']
    res = action_result(DemoAction, dict(name='n1', password='pw-secret-1'), inject_invocation=True)
    assert res['invocation']['module_args']['password'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert res['invocation']['module_args']['name'] == 'n1'
    assert 'invocation' not in action_result(DemoAction, dict(name='n1'), inject_invocation=False)
    assert res['echo'] == 'pw=******** name=n1' and res['runtime'] == 'value ********'
    assert res['warnings'] == ['careful'] and res['changed'] is True and res['flag'] is True


def test_check_and_diff_passed_to_core():
    res = action_result(DemoAction, dict(), check=True, diff=True)
    assert res['check'] is True and res['diff_mode'] is True


def test_check_mode_unsupported_is_skipped_like_module(capsys):
    spec = dict(DEMO_SPEC, supports_check_mode=False)

    class NoCheck(GenesysActionBase):
        SPEC = spec
        CORE = staticmethod(demo_core)
    mod = module_result(spec, demo_core, dict(name='n'), capsys, check=True)
    act = action_result(NoCheck, dict(name='n'), check=True)
    assert act['skipped'] and act['msg'] == mod['msg'] == 'remote module (%s) does not support check mode' % NAME


def test_censor_flag_only_on_success():
    act = new_action(token_action.ActionModule)
    assert act._censor(dict(changed=False))['_ansible_no_log'] is True
    assert '_ansible_no_log' not in act._censor(dict(failed=True, msg='x'))
    assert '_ansible_no_log' not in new_action(check_action.ActionModule)._censor(dict(changed=False))


# ------------------------------------------------------------------ real modules, HTTP mocked
@pytest.fixture
def fake_http(monkeypatch):
    calls = []

    def request(self, method, url, **kwargs):
        path = '/' + url.split('/', 3)[3] if url.count('/') >= 3 else '/'
        calls.append((method, path, kwargs))
        if path == '/oauth/token':
            auth = kwargs['headers']['Authorization']
            if auth == 'Basic ' + base64.b64encode(b'good:s3cret-value').decode():
                return FakeResponse(200, dict(access_token='minted-token-abc123', token_type='bearer', expires_in=3600))
            return FakeResponse(401, dict(error='invalid_client', error_description='authentication failed'))
        if path == '/api/v2/organizations/me':
            return FakeResponse(200, dict(id='org-1', name='Acme', thirdPartyOrgName='acme'))
        if path == '/api/v2/tokens/me':
            return FakeResponse(200, {'organization': {'id': 'org-1', 'name': 'Acme'},
                                      'OAuthClient': {'id': 'good', 'name': 'Bot', 'authorizedGrantType': 'CLIENT-CREDENTIALS',
                                                      'state': 'active', 'roleDivisions': [{'roleId': 'r1', 'divisionId': '*'}]}})
        return FakeResponse(404, dict(code='not.found', message='no'))
    monkeypatch.setattr(requests.Session, 'request', request)
    return calls


CONN = dict(api_url='https://api.example.test', timeout=5, retries=0)


@pytest.mark.parametrize('check', [False, True])
def test_genesys_token_both_paths(fake_http, capsys, check):
    args = dict(CONN, client_id='good', client_secret='s3cret-value', include_organization=True)
    mod = module_result(token_module.SPEC, token_module.core, args, capsys, check=check, inject_invocation=True)
    act = action_result(token_action.ActionModule, args, check=check, name=NAME, inject_invocation=True)
    assert normalise(mod) == normalise(act)
    assert act['access_token'] == 'minted-token-abc123' and act['changed'] is False
    assert act['organization'] == dict(id='org-1', name='Acme', short_name='acme')
    assert act['login_url'] == 'https://login.example.test' and act['expires_in'] == 3600
    assert act['invocation']['module_args']['client_secret'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    token_calls = [c for c in fake_http if c[1] == '/oauth/token']
    assert len(token_calls) == 2 and token_calls[0][2]['data'] == {'grant_type': 'client_credentials'}


def test_genesys_token_failure_message(fake_http):
    act = action_result(token_action.ActionModule, dict(CONN, client_id='bad', client_secret='nope-secret-77'))
    assert act['failed'] and 'invalid_client' in act['msg'] and act['status'] == 401
    assert 'nope-secret-77' not in json.dumps(act)


def test_genesys_token_required_if_before_request(fake_http):
    act = action_result(token_action.ActionModule, dict(CONN, grant_type='password', client_id='good', client_secret='x'))
    assert act['failed'] and act['msg'] == 'grant_type is password but all of the following are missing: username, password'
    assert fake_http == []


def test_genesys_oauth_check_both_paths(fake_http, capsys):
    args = dict(CONN, clients=[dict(client_id='good', client_secret='s3cret-value', name='bot', expect=dict(role_ids=['r1'])),
                               dict(client_id='bad', client_secret='nope-secret-77')],
                expect=dict(organization_name='acme', state='ACTIVE'), fail_on_error=False)
    mod = module_result(check_action.SPEC, check_action.core, args, capsys)
    act = action_result(check_action.ActionModule, args)
    assert normalise(mod) == normalise(act)
    assert act['passed'] is False and act['failed_clients'] == ['bad']
    good = act['report'][0]
    assert good['passed'] and good['roles'] == [dict(role_id='r1', division_id='*')]
    assert good['organization'] == dict(id='org-1', name='Acme', short_name='acme')
    text = json.dumps(act)
    assert 'minted-token-abc123' not in text and 's3cret-value' not in text and 'nope-secret-77' not in text


def test_genesys_oauth_check_needs_a_client(fake_http):
    act = action_result(check_action.ActionModule, dict(CONN))
    assert act['failed'] and act['msg'] == 'one of the following is required: clients, client_id'
    act = action_result(check_action.ActionModule, dict(CONN, clients=[dict(client_id='x')]))
    assert act['failed'] and 'client_secret' in act['msg']
    assert fake_http == []


def test_module_docs_parse():
    import yaml
    for mod in (token_module, check_module):
        doc = yaml.safe_load(mod.DOCUMENTATION)
        assert doc['version_added'] == '1.0.0'
        yaml.safe_load(mod.EXAMPLES)
        yaml.safe_load(mod.RETURN)


# ------------------------------------------------------------------ the task's environment: keyword (issue 13 B6)
from ansible.plugins.action import ActionBase  # noqa: E402

from ansible_collections.genesyscloud.sso.plugins.plugin_utils import genesys_action  # noqa: E402

ORG_A = dict(GENESYSCLOUD_API_URL='https://api.org-a.test', GENESYSCLOUD_OAUTHCLIENT_ID='good',
             GENESYSCLOUD_OAUTHCLIENT_SECRET='s3cret-value')
ORG_B_URL = 'https://api.org-b.test'


class FakeTemplar:
    def __init__(self, variables):
        self.variables = variables

    def template(self, data):
        if isinstance(data, dict):
            return dict((k, self.template(v)) for k, v in data.items())
        if isinstance(data, str) and data.startswith('{{ ') and data.endswith(' }}'):
            return self.variables[data[3:-3]]
        return data


class FakeTask:
    def __init__(self, args, environment, action='genesyscloud.sso.genesys_token'):
        self.args = args
        self.environment = environment
        self.action = action
        self.check_mode = False
        self.diff = False


def run_with_environment(monkeypatch, cls, args, environment, process_env, variables=None):
    for name in list(genesys_action.os.environ):
        if name.startswith('GENESYSCLOUD_'):
            monkeypatch.delenv(name)
    for name, value in process_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    action = cls.__new__(cls)
    action._task = FakeTask(args, environment)
    action._templar = FakeTemplar(variables or {})
    return action.run(task_vars={})


def test_task_environment_wins_over_the_controller_environment(fake_http, monkeypatch):
    # the shell has only org A's credentials, the task's environment: points the API at org B (a play-level entry,
    # templated, then the task's own entry): the request goes to org B, never to org A
    process = dict(ORG_A)
    del process['GENESYSCLOUD_API_URL']
    process['GENESYSCLOUD_REGION'] = 'us-east-1'
    res = run_with_environment(monkeypatch, token_action.ActionModule, dict(timeout=5, retries=0),
                               [dict(GENESYSCLOUD_REGION='{{ region }}'), dict(GENESYSCLOUD_API_URL='{{ url }}')],
                               process, variables=dict(url=ORG_B_URL, region='us-east-1'))
    assert not res.get('failed'), res
    assert res['api_url'] == ORG_B_URL and res['login_url'] == 'https://login.org-b.test'
    assert [path for _m, path, _k in fake_http] == ['/oauth/token']  # sent to login.org-b.test (login_url above)


def test_disagreeing_sources_fail_naming_both_and_no_request_is_sent(fake_http, monkeypatch):
    res = run_with_environment(monkeypatch, token_action.ActionModule, dict(timeout=5, retries=0),
                               [dict(GENESYSCLOUD_API_URL=ORG_B_URL, GENESYSCLOUD_OAUTHCLIENT_SECRET='other-secret-9')],
                               ORG_A)
    assert res['failed'] and fake_http == []
    msg = res['msg']
    assert 'GENESYSCLOUD_API_URL' in msg and 'GENESYSCLOUD_OAUTHCLIENT_SECRET' in msg
    assert "task's environment: keyword" in msg and "controller's own environment" in msg and 'Fix:' in msg
    for value in ('org-a', 'org-b', 's3cret-value', 'other-secret-9'):
        assert value not in json.dumps(res)


def test_disagreeing_sources_fail_on_the_module_path_too(fake_http, monkeypatch):
    called = []
    monkeypatch.setattr(token_action.ActionModule, '_execute_module', lambda self, **kw: called.append(kw) or {})
    for name in list(genesys_action.os.environ):
        if name.startswith('GENESYSCLOUD_'):
            monkeypatch.delenv(name)
    monkeypatch.setenv('GENESYSCLOUD_API_URL', 'https://api.org-a.test')
    action = token_action.ActionModule.__new__(token_action.ActionModule)
    action._task = FakeTask({}, [dict(GENESYSCLOUD_API_URL=ORG_B_URL)])
    action._templar = FakeTemplar({})
    res = action.run(task_vars=dict(genesyscloud_sso_execution='module'))
    assert res['failed'] and 'GENESYSCLOUD_API_URL' in res['msg'] and called == []


def test_an_option_given_in_the_task_wins_over_both_environments(fake_http, monkeypatch):
    res = run_with_environment(monkeypatch, token_action.ActionModule,
                               dict(api_url='https://api.example.test', timeout=5, retries=0),
                               [dict(GENESYSCLOUD_API_URL=ORG_B_URL)], ORG_A)
    assert not res.get('failed'), res
    assert res['api_url'] == 'https://api.example.test'


def test_agreeing_sources_and_no_task_environment_are_fine(fake_http, monkeypatch):
    res = run_with_environment(monkeypatch, token_action.ActionModule, dict(timeout=5, retries=0),
                               [dict(GENESYSCLOUD_API_URL='https://api.org-a.test')], ORG_A)
    assert not res.get('failed') and res['api_url'] == 'https://api.org-a.test'
    res = run_with_environment(monkeypatch, token_action.ActionModule, dict(timeout=5, retries=0), None, ORG_A)
    assert not res.get('failed') and res['api_url'] == 'https://api.org-a.test'


def test_apply_task_environment_mirrors_env_fallback():
    spec = token_action.SPEC['argument_spec']
    names = genesys_action.env_fallback_names(spec)
    assert names['client_secret'] == ['GENESYSCLOUD_OAUTHCLIENT_SECRET'] and 'validate_certs' not in names
    args, err = genesys_action.apply_task_environment(spec, {}, dict(GENESYSCLOUD_CA_PATH='/b/ca.pem', OTHER='x'),
                                                      dict(GENESYSCLOUD_REGION='us-east-1'))
    assert err is None and args == dict(ca_path='/b/ca.pem')  # the process env is left to the fallback itself
    args, err = genesys_action.apply_task_environment(spec, dict(ca_path=None), dict(GENESYSCLOUD_CA_PATH=''), {})
    assert err is None and args == dict(ca_path='')  # an empty value counts, as env_fallback counts it


def test_a_module_delegated_elsewhere_is_not_judged_by_this_controllers_environment(fake_http, monkeypatch):
    called = []
    monkeypatch.setattr(token_action.ActionModule, '_execute_module', lambda self, **kw: called.append(kw) or {})
    for name in list(genesys_action.os.environ):
        if name.startswith('GENESYSCLOUD_'):
            monkeypatch.delenv(name)
    monkeypatch.setenv('GENESYSCLOUD_API_URL', 'https://api.org-a.test')
    action = token_action.ActionModule.__new__(token_action.ActionModule)
    action._task = FakeTask({}, [dict(GENESYSCLOUD_API_URL=ORG_B_URL)])
    action._task.delegate_to = 'jump.example'
    action._templar = FakeTemplar({})
    res = action.run(task_vars=dict(genesyscloud_sso_execution='module'))
    assert not res.get('failed') and len(called) == 1  # the jump host's own environment applies there
