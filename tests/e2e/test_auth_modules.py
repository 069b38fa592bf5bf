# -*- coding: utf-8 -*-
"""genesys_token / genesys_oauth_check / the client layer, through real ansible-playbook runs against the emulator."""

import copy
import json
import os

import pytest
import yaml

from helpers import DEFAULT_SEED, PYTHON, run_playbook, run_playbook_runner

from genesys_emulator.saml_idp import TestIdP

IDP = TestIdP(entity_id='https://idp.e2e.example/entity', sso_url='https://idp.e2e.example/sso')
SEED = copy.deepcopy(DEFAULT_SEED)
SEED['orgs'][0]['providers'] = {
    'generic': {'name': 'E2E IdP', 'issuerURI': IDP.entity_id, 'ssoTargetURI': IDP.sso_url,
                'certificate': IDP.certificate_b64, 'disabled': False},
}
ORG = SEED['orgs'][0]
SECRETS = dict((c['id'], c['secret']) for c in ORG['clients'])
ADMIN, BOT = 'e2e-admin', 'e2e-bot'
USER = ORG['users'][0]

pytestmark = pytest.mark.emulator_seed(SEED)

BOTH_PATHS = pytest.mark.parametrize('execution', ['controller', 'module'])


def play(tasks, emu, execution='controller', extra_vars=None, **defaults):
    """One play on localhost with the emulator's connection options as module_defaults."""
    conn = {'api_url': emu.url, 'login_url': emu.url, 'ca_path': emu.ca_path, 'retries': 3}
    conn.update(defaults)
    conn = dict((k, v) for k, v in conn.items() if v is not None)
    vars_ = {'genesyscloud_sso_execution': execution}
    vars_.update(extra_vars or {})
    return [{'hosts': 'localhost', 'gather_facts': False, 'vars': vars_,
             'module_defaults': {'group/genesyscloud.sso.genesys': conn}, 'tasks': tasks}]


SECRET_VARS = {'s': SECRETS, 'user_password': USER['password']}


def secret_ref(value):
    """A template for a known secret (given with -e), so playbook sources never hold the value."""
    for cid, secret in SECRETS.items():
        if value == secret:
            return "{{ s['%s'] }}" % cid
    if value == USER['password']:
        return '{{ user_password }}'
    return value


def hide(obj):
    if isinstance(obj, dict):
        return dict((k, hide(v)) for k, v in obj.items())
    if isinstance(obj, list):
        return [hide(v) for v in obj]
    return secret_ref(obj) if isinstance(obj, str) else obj


def run(tasks, emu, execution='controller', extra_vars=None, defaults=None, **kw):
    ev = dict(SECRET_VARS)
    ev.update(extra_vars or {})
    return run_playbook(play(hide(tasks), emu, execution, **(defaults or {})), extra_vars=ev, **kw)


def token_task(client=ADMIN, **extra):
    args = {'client_id': client, 'client_secret': SECRETS[client]}
    args.update(extra)
    return {'name': 'token', 'genesyscloud.sso.genesys_token': args, 'register': 'tok'}


def save_token_task(path):
    return {'name': 'save token', 'ansible.builtin.copy': {'content': '{{ tok.access_token }}', 'dest': path},
            'no_log': True}


def assert_no_secret(text, *secrets):
    for secret in secrets:
        assert secret and secret not in text, 'secret leaked: %s...' % secret[:4]


# ------------------------------------------------------------------------------------------- grants
@BOTH_PATHS
def test_client_credentials_token_registered_but_censored(emu, tmp_path, execution):
    token_file = str(tmp_path / 'token')
    tasks = [
        token_task(include_organization=True),
        save_token_task(token_file),
        {'name': 'facts', 'ansible.builtin.assert': {'that': [
            "tok.token_type == 'bearer'", 'tok.expires_in == 86400', "tok.expires_at is match('^\\d{4}-\\d\\d-\\d\\dT.*Z$')",
            "tok.organization.short_name == 'e2e-org'", "tok.organization.id == '%s'" % ORG['id'],
            "tok.organization.name == 'E2E Org'", 'tok.api_url == tok.login_url', 'not tok.changed']}},
        # the token works: use it as access_token through module_defaults
        {'name': 'use token', 'module_defaults': {'group/genesyscloud.sso.genesys': {
            'api_url': emu.url, 'ca_path': emu.ca_path, 'access_token': '{{ tok.access_token }}'}},
         'genesyscloud.sso.genesys_token': {'grant_type': 'token', 'include_organization': True}, 'register': 'tok2'},
        {'name': 'reused', 'ansible.builtin.assert': {'that': ["tok2.organization.short_name == 'e2e-org'"]}},
    ]
    res = run(tasks, emu, execution, verbosity=1)
    assert res.rc == 0, res
    token = open(token_file).read()
    assert len(token) > 20
    assert res.task('token')['result'].get('censored'), res.task('token')
    assert 'access_token' not in json.dumps(res.task('token')['result'])
    assert_no_secret(res.output + json.dumps(res.tasks), token, SECRETS[ADMIN])
    # one grant for the first task, none for the reuse
    grants = [r for r in emu.requests() if r['path'] == '/oauth/token']
    assert len(grants) == 1


def test_check_mode_still_returns_token(emu, tmp_path):
    token_file = str(tmp_path / 'token')
    res = run([token_task(), save_token_task(token_file),
               {'name': 'ok', 'ansible.builtin.assert': {'that': ['tok.access_token | length > 20']}}], emu, check=True)
    assert res.rc == 0, res
    assert res.task('token')['status'] == 'ok'


def test_password_grant(emu):
    task = token_task('e2e-user-app', grant_type='password', username=USER['email'], password=USER['password'],
                      include_organization=True)
    res = run([task, {'name': 'a', 'ansible.builtin.assert': {'that': ["tok.grant_type == 'password'",
                                                              "tok.organization.short_name == 'e2e-org'"]}}], emu)
    assert res.rc == 0, res
    assert_no_secret(res.output, USER['password'], SECRETS['e2e-user-app'])
    bad = token_task('e2e-user-app', grant_type='password', username=USER['email'], password='not-the-password-123')
    res = run([bad], emu)
    assert res.rc != 0
    msg = res.task('token')['result']['msg']
    assert 'invalid_grant' in msg and 'username/password' in msg
    assert_no_secret(res.output, 'not-the-password-123')


def test_saml2_bearer_grant(emu):
    assertion = IDP.signed_assertion(USER['email'], 'e2e-org')
    task = token_task('e2e-saml-app', grant_type='saml2_bearer', assertion='{{ assertion }}', org_name='e2e-org')
    res = run([task, {'name': 'a', 'ansible.builtin.assert': {'that': ['tok.expires_in > 0']}}], emu,
              extra_vars={'assertion': assertion}, verbosity=3)
    assert res.rc == 0, res
    assert_no_secret(res.output, assertion[:200], SECRETS['e2e-saml-app'])
    bad = token_task('e2e-saml-app', grant_type='saml2_bearer', assertion='{{ assertion }}', org_name='other-org')
    res = run([bad], emu, extra_vars={'assertion': assertion})
    assert res.rc != 0 and 'org_name' in res.task('token')['result']['msg']


GRANT_DEFAULTS = {
    'password': {'grant_type': 'password', 'client_id': 'e2e-user-app', 'client_secret': "{{ s['e2e-user-app'] }}",
                 'username': USER['email'], 'password': '{{ user_password }}'},
    'saml2_bearer': {'grant_type': 'saml2_bearer', 'client_id': 'e2e-saml-app', 'client_secret': "{{ s['e2e-saml-app'] }}",
                     'assertion': '{{ assertion }}', 'org_name': 'e2e-org'},
}


@pytest.mark.parametrize('grant', sorted(GRANT_DEFAULTS))
def test_every_module_mints_its_own_token_for_any_grant(emu, grant):
    """The grant options set once for the action group serve every module: each mints its own token with that
    grant (no separate genesys_token task), and no secret of the grant is shown."""
    assertion = IDP.signed_assertion(USER['email'], 'e2e-org')
    tasks = [
        {'name': 'info', 'genesyscloud.sso.genesys_identity_provider_info': {'type': 'generic'}, 'register': 'info'},
        {'name': 'provider', 'genesyscloud.sso.genesys_identity_provider': {
            'type': 'generic', 'name': 'E2E IdP', 'enabled': True, 'lock': False}, 'check_mode': True,
         'register': 'prov'},
        {'name': 'probe cleanup', 'genesyscloud.sso.genesys_platform_probe': {
            'mode': 'cleanup', 'name': 'genesyscloud-sso-probe-none'}, 'check_mode': True},
        {'name': 'token', 'genesyscloud.sso.genesys_token': {'include_organization': True}, 'register': 'tok'},
        {'name': 'facts', 'ansible.builtin.assert': {'that': [
            "info.providers | length == 1", 'not prov.changed', "tok.grant_type == '%s'" % grant,
            "tok.organization.short_name == 'e2e-org'"]}},
    ]
    res = run(tasks, emu, extra_vars={'assertion': assertion}, defaults=GRANT_DEFAULTS[grant], verbosity=1)
    assert res.rc == 0, res
    grants = [r for r in emu.requests() if r['path'] == '/oauth/token']
    assert len(grants) == 4, grants  # one per module task
    client = GRANT_DEFAULTS[grant]['client_id']
    assert_no_secret(res.output + json.dumps(res.tasks), USER['password'], SECRETS[client], assertion[:200])


def test_token_grant_checks_given_token(emu):
    token = emu.token(ADMIN, SECRETS[ADMIN])
    res = run([{'name': 'token', 'genesyscloud.sso.genesys_token': {'grant_type': 'token', 'access_token': '{{ t }}'},
                'register': 'tok'}], emu, extra_vars={'t': token})
    assert res.rc == 0, res
    assert [r['method'] for r in emu.requests() if r['path'] == '/api/v2/tokens/me'] == ['HEAD']
    res = run([{'name': 'token', 'genesyscloud.sso.genesys_token': {'grant_type': 'token', 'access_token': '{{ t }}'}}],
              emu, extra_vars={'t': 'bogus-token-value-xyz'})
    assert res.rc != 0
    msg = res.task('token')['result']['msg']
    assert 'HTTP 401' in msg and 'genesys_token' in msg
    assert_no_secret(res.output, 'bogus-token-value-xyz')


def test_env_fallbacks(emu):
    env = {'GENESYSCLOUD_API_URL': emu.url, 'GENESYSCLOUD_CA_PATH': emu.ca_path,
           'GENESYSCLOUD_OAUTHCLIENT_ID': ADMIN, 'GENESYSCLOUD_OAUTHCLIENT_SECRET': SECRETS[ADMIN]}
    pb = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'token', 'genesyscloud.sso.genesys_token': {'include_organization': True}, 'register': 'tok'},
        {'name': 'a', 'ansible.builtin.assert': {'that': ["tok.organization.short_name == 'e2e-org'"]}}]}]
    res = run_playbook(pb, env=env, verbosity=3)
    assert res.rc == 0, res
    assert_no_secret(res.output, SECRETS[ADMIN])


# ------------------------------------------------------------------------------------------- errors
@BOTH_PATHS
def test_bad_secret_and_disabled_client(emu, execution):
    tasks = [
        {'name': 'bad secret', 'genesyscloud.sso.genesys_token': {'client_id': ADMIN, 'client_secret': '{{ wrong }}'},
         'ignore_errors': True},
        {'name': 'disabled', 'genesyscloud.sso.genesys_token': {'client_id': 'e2e-disabled',
                                                                 'client_secret': SECRETS['e2e-disabled']},
         'ignore_errors': True},
        {'name': 'wrong grant', 'genesyscloud.sso.genesys_token': {
            'client_id': BOT, 'client_secret': SECRETS[BOT], 'grant_type': 'password', 'username': USER['email'],
            'password': USER['password']}, 'ignore_errors': True},
    ]
    res = run(tasks, emu, execution, extra_vars={'wrong': 'wrong-secret-123456'})
    assert res.rc == 0, res
    assert [res.task(n)['status'] for n in ('bad secret', 'disabled', 'wrong grant')] == ['failed'] * 3
    bad = res.task('bad secret')['result']
    assert 'invalid_client' in bad['msg'] and 'client ID or secret' in bad['msg']
    assert 'Correlation id' in bad['msg']
    dis = res.task('disabled')['result']
    assert 'disabled' in dis['msg'] and 'state to active' in dis['msg']
    wrong = res.task('wrong grant')['result']
    assert 'unauthorized_client' in wrong['msg'] and 'grant type' in wrong['msg']
    assert_no_secret(res.output + json.dumps(res.tasks), 'wrong-secret-123456', SECRETS['e2e-disabled'], USER['password'])


def test_invalid_options_fail_before_any_request(emu):
    tasks = [
        {'name': 'unknown option', 'genesyscloud.sso.genesys_token': {'client_id': ADMIN, 'client_secret': 'x', 'scope': 'all'},
         'ignore_errors': True},
        {'name': 'bad grant', 'genesyscloud.sso.genesys_token': {'grant_type': 'implicit'}, 'ignore_errors': True},
        {'name': 'missing', 'genesyscloud.sso.genesys_token': {'grant_type': 'saml2_bearer', 'client_id': 'a',
                                                                'client_secret': 'b'}, 'ignore_errors': True},
        {'name': 'region', 'genesyscloud.sso.genesys_token': {'client_id': 'a', 'client_secret': 'b', 'region': 'mars-1',
                                                               'api_url': None}, 'ignore_errors': True},
    ]
    res = run(tasks, emu, defaults=dict(api_url=None, login_url=None))
    assert res.rc == 0, res
    assert 'Unsupported parameters for (genesyscloud.sso.genesys_token) module: scope' in res.task('unknown option')['result']['msg']
    assert 'grant_type' in res.task('bad grant')['result']['msg'] and 'implicit' in res.task('bad grant')['result']['msg']
    assert 'assertion' in res.task('missing')['result']['msg'] and 'org_name' in res.task('missing')['result']['msg']
    region = res.task('region')['result']['msg']
    assert 'mars-1' in region and 'eu-west-1' in region and 'us-east-1' in region
    assert emu.requests() == []


def test_expired_token_mid_run_reauth(emu):
    tasks = [
        token_task(),
        {'name': 'expire', 'ansible.builtin.uri': {'url': emu.url + '/_emulator/tokens/expire', 'method': 'POST',
                                                   'body_format': 'json', 'body': {}, 'ca_path': emu.ca_path}},
        # the old token plus credentials: 401 -> one new grant -> replay
        {'name': 'reauth', 'genesyscloud.sso.genesys_token': {
            'grant_type': 'token', 'access_token': '{{ tok.access_token }}', 'client_id': ADMIN,
            'client_secret': SECRETS[ADMIN], 'include_organization': True}, 'register': 'tok2'},
        {'name': 'new token', 'ansible.builtin.assert': {'that': ['tok2.access_token != tok.access_token',
                                                                  "tok2.organization.short_name == 'e2e-org'"]}},
        # the old token alone: a clear failure
        {'name': 'no creds', 'genesyscloud.sso.genesys_token': {
            'grant_type': 'token', 'access_token': '{{ tok.access_token }}', 'include_organization': True},
         'ignore_errors': True},
    ]
    res = run(tasks, emu)
    assert res.rc == 0, res
    assert 'HTTP 401' in res.output and 'replaying the request once' in res.output
    msg = res.task('no creds')['result']['msg']
    assert 'HTTP 401' in msg and 'expired' in msg
    log = [(r['method'], r['path'], r['status']) for r in emu.requests() if r['path'] != '/_emulator/tokens/expire']
    assert log[:4] == [('POST', '/oauth/token', 200), ('GET', '/api/v2/organizations/me', 401),
                       ('POST', '/oauth/token', 200), ('GET', '/api/v2/organizations/me', 200)]


def test_403_names_permission(emu):
    task = {'name': 'check', 'genesyscloud.sso.genesys_oauth_check': {
        'client_id': BOT, 'client_secret': SECRETS[BOT], 'probe_paths': ['/api/v2/identityproviders']},
        'ignore_errors': True, 'register': 'chk'}
    res = run([task], emu)
    assert res.task('check')['status'] == 'failed'
    result = res.task('check')['result']
    assert result['passed'] is False and result['failed_clients'] == [BOT]
    assert 'sso:provider:view' in result['msg'] and 'Roles' in result['msg'] and 'HTTP 403' in result['msg']


@BOTH_PATHS
def test_429_storm_with_retry_after_then_success(emu, execution):
    emu.add_fault(method='GET', path='^/api/v2/organizations/me$', status=429, retry_after=1, count=2)
    res = run([token_task(include_organization=True)], emu, execution)
    assert res.rc == 0, res
    assert res.output.count('HTTP 429 on GET /api/v2/organizations/me') == 2
    assert 'retry 1 of 3 in 1.0 s (Retry-After)' in res.output
    statuses = [r['status'] for r in emu.requests() if r['path'] == '/api/v2/organizations/me']
    assert statuses == [429, 429, 200]


def test_429_beyond_retries_fails_naming_client(emu):
    emu.add_fault(method='GET', path='^/api/v2/organizations/me$', status=429, retry_after=0, count=10)
    res = run([token_task(include_organization=True, retries=2)], emu)
    assert res.rc != 0
    msg = res.task('token')['result']['msg']
    assert 'HTTP 429' in msg and 'rate limit' in msg and ADMIN in msg and 'after 2 retries' in msg
    assert len([r for r in emu.requests() if r['path'] == '/api/v2/organizations/me']) == 3


def test_token_rate_limit_answer_retried(emu):
    emu.add_fault(method='POST', path='^/oauth/token$', status=400, count=2,
                  body={'error': 'invalid_request', 'description': 'rate limit exceeded; retry later',
                        'error_description': 'rate limit exceeded; retry later'})
    res = run([token_task()], emu)
    assert res.rc == 0, res
    assert res.output.count('HTTP 400 rate limit exceeded on POST /oauth/token') == 2


def test_connection_resets_retried(emu):
    emu.add_fault(method='GET', path='^/api/v2/organizations/me$', reset=True, count=2)
    res = run([token_task(include_organization=True)], emu)
    assert res.rc == 0, res
    assert res.output.count('on GET /api/v2/organizations/me; retry') == 2
    emu.add_fault(method='GET', path='^/api/v2/organizations/me$', reset=True, count=10)
    res = run([token_task(include_organization=True, retries=1)], emu)
    assert res.rc != 0 and 'connection' in res.task('token')['result']['msg'].lower()


def test_503_retried(emu):
    emu.add_fault(method='GET', path='^/api/v2/tokens/me$', status=503, count=1)
    task = {'name': 'check', 'genesyscloud.sso.genesys_oauth_check': {'client_id': BOT, 'client_secret': SECRETS[BOT]},
            'register': 'chk'}
    res = run([task], emu)
    assert res.rc == 0, res
    assert 'HTTP 503 on GET /api/v2/tokens/me' in res.output


# ------------------------------------------------------------------------------------------- TLS
def test_tls_with_and_without_ca_path(emu):
    tasks = [
        {'name': 'no ca', 'genesyscloud.sso.genesys_token': {'client_id': ADMIN, 'client_secret': SECRETS[ADMIN]},
         'ignore_errors': True},
        {'name': 'insecure', 'genesyscloud.sso.genesys_token': {'client_id': ADMIN, 'client_secret': SECRETS[ADMIN],
                                                                 'validate_certs': False}},
        {'name': 'with ca', 'genesyscloud.sso.genesys_token': {'client_id': ADMIN, 'client_secret': SECRETS[ADMIN],
                                                                'ca_path': emu.ca_path}},
    ]
    res = run(tasks, emu, defaults=dict(ca_path=None))
    assert res.rc == 0, res
    no_ca = res.task('no ca')['result']['msg']
    assert 'tls.error' in no_ca and 'ca_path' in no_ca
    assert res.task('insecure')['status'] == 'ok' and 'validate_certs is false' in res.output
    assert res.task('with ca')['status'] == 'ok'


# ------------------------------------------------------------------------------------------- oauth_check
@BOTH_PATHS
def test_oauth_check_report_many_clients(emu, execution):
    clients = [
        {'name': 'admin', 'client_id': ADMIN, 'client_secret': SECRETS[ADMIN],
         'expect': {'role_ids': ['3b7c0d1e-0000-4000-8000-0000000000a1'], 'client_name': 'E2E SSO admin'}},
        {'client_id': BOT, 'client_secret': SECRETS[BOT]},
        {'name': 'broken', 'client_id': BOT, 'client_secret': '{{ wrong }}'},
        {'name': 'off', 'client_id': 'e2e-disabled', 'client_secret': SECRETS['e2e-disabled']},
    ]
    expect = {'organization_name': 'e2e-org', 'organization_id': ORG['id'], 'grant_type': 'CLIENT-CREDENTIALS',
              'state': 'active', 'min_token_lifetime': 3600}
    tasks = [
        {'name': 'soft', 'genesyscloud.sso.genesys_oauth_check': {'clients': clients, 'expect': expect,
                                                                   'fail_on_error': False}, 'register': 'soft'},
        {'name': 'hard', 'genesyscloud.sso.genesys_oauth_check': {'clients': clients, 'expect': expect},
         'ignore_errors': True},
        {'name': 'expectation miss', 'genesyscloud.sso.genesys_oauth_check': {
            'client_id': BOT, 'client_secret': SECRETS[BOT], 'expect': {'min_token_lifetime': 999999, 'client_name': 'x'}},
         'ignore_errors': True},
    ]
    res = run(tasks, emu, execution, check=True, extra_vars={'wrong': 'broken-secret-0000'})
    assert res.rc == 0, res
    assert res.task('soft')['status'] == 'ok' and res.task('hard')['status'] == 'failed'
    soft = res.task('soft')['result']
    assert soft['passed'] is False and soft['failed_clients'] == ['broken', 'off']
    admin, bot, broken, off = soft['report']
    assert admin['passed'] and bot['passed'] and not broken['passed'] and not off['passed']
    assert admin['organization'] == {'id': ORG['id'], 'name': 'E2E Org', 'short_name': 'e2e-org'}
    assert admin['client'] == {'id': ADMIN, 'name': 'E2E SSO admin', 'grant_type': 'CLIENT-CREDENTIALS', 'state': 'active'}
    assert admin['roles'] == [{'role_id': '3b7c0d1e-0000-4000-8000-0000000000a1', 'division_id': '*'}]
    assert admin['token_lifetime'] == 86400 and admin['probes'][0]['path'] == '/api/v2/organizations/me'
    assert admin['probes'][0]['status'] == 200 and admin['probes'][0]['latency_ms'] >= 0
    names = [c['name'] for c in admin['checks']]
    assert names[:3] == ['token', 'token_info', 'probe /api/v2/organizations/me']
    assert {'expect_organization_name', 'expect_role_ids', 'expect_min_token_lifetime', 'expect_client_name'} <= set(names)
    assert [c['name'] for c in broken['checks']] == ['token'] and 'invalid_client' in broken['checks'][0]['detail']
    assert 'disabled' in off['checks'][0]['detail']
    hard = res.task('hard')['result']
    assert 'broken: token' in hard['msg'] and 'off: token' in hard['msg'] and '2 of 4' in hard['msg']
    miss = res.task('expectation miss')['result']['msg']
    assert 'expect_min_token_lifetime' in miss and 'expect_client_name' in miss
    assert_no_secret(res.output + json.dumps(res.tasks), 'broken-secret-0000', *SECRETS.values())


# ------------------------------------------------------------------------------------------- secrecy
SECRECY_TASKS_TEMPLATE = '''
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/genesyscloud.sso.genesys: {api_url: "%(url)s", login_url: "%(url)s", ca_path: "%(ca)s"}
  tasks:
    - name: token
      genesyscloud.sso.genesys_token: {client_id: e2e-admin, client_secret: "%(admin)s", include_organization: true}
      register: tok
    - name: save
      ansible.builtin.copy: {content: "{{ tok.access_token }}", dest: "%(token_file)s"}
      no_log: true
    - name: module path
      genesyscloud.sso.genesys_token: {client_id: e2e-admin, client_secret: "%(admin)s"}
      vars: {genesyscloud_sso_execution: module}
    - name: reuse
      genesyscloud.sso.genesys_token: {grant_type: token, access_token: "{{ tok.access_token }}", include_organization: true}
    - name: password
      genesyscloud.sso.genesys_token:
        client_id: e2e-user-app
        client_secret: "%(userapp)s"
        grant_type: password
        username: alice@e2e.example
        password: "%(password)s"
    - name: check
      genesyscloud.sso.genesys_oauth_check:
        clients: [{client_id: e2e-bot, client_secret: "%(bot)s"}, {client_id: e2e-bot, client_secret: "%(wrong)s"}]
        fail_on_error: false
    - name: bad secret
      genesyscloud.sso.genesys_token: {client_id: e2e-admin, client_secret: "%(wrong)s"}
      ignore_errors: true
'''


def _secrecy_playbook(emu, token_file):
    return SECRECY_TASKS_TEMPLATE % dict(url=emu.url, ca=emu.ca_path, admin="{{ s['e2e-admin'] }}", bot="{{ s['e2e-bot'] }}",
                                         userapp="{{ s['e2e-user-app'] }}", password='{{ user_password }}',
                                         wrong='{{ wrong }}', token_file=token_file)


SECRECY_VARS = dict(SECRET_VARS, wrong='wrong-secret-abcdef')


def test_vvvv_never_shows_secret_or_token(emu, tmp_path):
    token_file = str(tmp_path / 'token')
    res = run_playbook(_secrecy_playbook(emu, token_file), extra_vars=SECRECY_VARS, verbosity=4)
    assert res.rc == 0, res
    token = open(token_file).read()
    assert len(token) > 20
    assert 'censored' in res.stdout  # the token task is censored at -vvvv
    everything = res.output + json.dumps(res.tasks)
    assert_no_secret(everything, token, SECRETS[ADMIN], SECRETS[BOT], SECRETS['e2e-user-app'], USER['password'],
                     'wrong-secret-abcdef')
    assert res.task('module path')['result'].get('censored')


def test_runner_events_never_show_secret_or_token(emu, tmp_path):
    token_file = str(tmp_path / 'token')
    runner, events, stdout = run_playbook_runner(_secrecy_playbook(emu, token_file), extra_vars=SECRECY_VARS, verbosity=4)
    assert runner.rc == 0, stdout[-3000:]
    token = open(token_file).read()
    ok = [e for e in events if e.get('event') == 'runner_on_ok' and e['event_data'].get('task') == 'token']
    assert ok and ok[0]['event_data']['res'].get('censored')
    everything = stdout + json.dumps(events, default=str)
    assert_no_secret(everything, token, SECRETS[ADMIN], SECRETS[BOT], SECRETS['e2e-user-app'], USER['password'],
                     'wrong-secret-abcdef')
    # the artifacts written to disk too
    for root, _dirs, files in os.walk(runner.config.artifact_dir):
        for name in files:
            with open(os.path.join(root, name), errors='replace') as handle:
                assert_no_secret(handle.read(), token, SECRETS[ADMIN], USER['password'])


def test_inventory_interpreter_is_the_venv():
    # guard for the helpers: every run uses the venv interpreter explicitly
    inv = yaml.safe_load(yaml.safe_dump({'all': {'hosts': {'localhost': {'ansible_python_interpreter': PYTHON}}}}))
    assert os.path.exists(inv['all']['hosts']['localhost']['ansible_python_interpreter'])
