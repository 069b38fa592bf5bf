# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""genesys_token / genesys_oauth_check as plain modules (AnsibleModule path), HTTP mocked."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest
import requests

from ansible.module_utils.common.parameters import PASS_VARS
from ansible.module_utils.testing import patch_module_args

from ansible_collections.genesyscloud.sso.plugins.modules import genesys_oauth_check, genesys_token
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.fake_http import FakeResponse

GOOD_AUTH = 'Basic ' + base64.b64encode(b'good:s3cret-value').decode()


@pytest.fixture
def http(monkeypatch):
    calls = []
    faults = []

    def request(self, method, url, **kwargs):
        path = '/' + url.split('/', 3)[3]
        calls.append((method, path))
        if faults:
            return faults.pop(0)
        if path == '/oauth/token':
            if kwargs['headers']['Authorization'] == GOOD_AUTH:
                return FakeResponse(200, dict(access_token='minted-token-abc123', token_type='bearer', expires_in=7200))
            return FakeResponse(401, dict(error='invalid_client', error_description='authentication failed'))
        if path == '/api/v2/organizations/me':
            return FakeResponse(200, dict(id='org-1', name='Acme', thirdPartyOrgName='acme'))
        if path == '/api/v2/tokens/me':
            return FakeResponse(200, {'organization': {'id': 'org-1', 'name': 'Acme'},
                                      'OAuthClient': {'id': 'good', 'name': 'Bot', 'authorizedGrantType': 'CLIENT-CREDENTIALS',
                                                      'state': 'active', 'roleDivisions': []}})
        return FakeResponse(403, dict(code='missing.any.permissions', message='must have at least one of the following '
                                      'permissions assigned: [sso:provider:view]'))
    monkeypatch.setattr(requests.Session, 'request', request)
    return calls, faults


def run(module, args, capsys, check=False):
    full = dict(args, _ansible_check_mode=check, _ansible_module_name=module.__name__.rsplit('.', 1)[-1])
    with patch_module_args(full):
        with pytest.raises(SystemExit) as exit_info:
            module.main()
    out = capsys.readouterr().out
    return exit_info.value.code, json.loads(out[out.index('{'):])


CONN = dict(api_url='https://api.example.test', retries=2, timeout=5)
# ansible-core >= 2.21 returns ``invocation`` only when asked to (INJECT_INVOCATION); older cores always do
CAN_REQUEST_INVOCATION = 'inject_invocation' in PASS_VARS


@pytest.mark.parametrize('check', [False, True])
def test_token_module(http, capsys, check):
    rc, res = run(genesys_token, dict(CONN, client_id='good', client_secret='s3cret-value', include_organization=True),
                  capsys, check)
    assert rc == 0 and res['changed'] is False
    assert res['access_token'] == 'minted-token-abc123' and res['expires_in'] == 7200
    assert res['organization'] == dict(id='org-1', name='Acme', short_name='acme')
    assert ('invocation' in res) is not CAN_REQUEST_INVOCATION
    assert 's3cret-value' not in json.dumps(res)
    assert http[0] == [('POST', '/oauth/token'), ('GET', '/api/v2/organizations/me')]


def test_token_module_invocation_masks_no_log(http, capsys):
    args = dict(CONN, client_id='good', client_secret='s3cret-value')
    if CAN_REQUEST_INVOCATION:
        args['_ansible_inject_invocation'] = True
    rc, res = run(genesys_token, args, capsys)
    assert rc == 0
    assert res['invocation']['module_args']['client_secret'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert res['invocation']['module_args']['client_id'] == 'good'
    assert 's3cret-value' not in json.dumps(res)


def test_token_module_retries_429(http, capsys, monkeypatch):
    monkeypatch.setattr('time.sleep', lambda s: None)
    http[1].extend([FakeResponse(429, {}, {'Retry-After': '0'})])
    rc, res = run(genesys_token, dict(CONN, client_id='good', client_secret='s3cret-value'), capsys)
    assert rc == 0 and http[0] == [('POST', '/oauth/token'), ('POST', '/oauth/token')]


def test_token_module_failure(http, capsys):
    rc, res = run(genesys_token, dict(CONN, client_id='bad', client_secret='nope-secret-77'), capsys)
    assert rc == 1 and res['failed'] and 'invalid_client' in res['msg'] and res['status'] == 401
    assert 'nope-secret-77' not in json.dumps(res)


def test_token_module_unsupported_option(http, capsys):
    rc, res = run(genesys_token, dict(CONN, client_id='good', client_secret='x', scope='all'), capsys)
    assert rc == 1 and res['msg'].startswith('Unsupported parameters for (genesys_token) module: scope.')
    assert http[0] == []


def test_oauth_check_module(http, capsys):
    args = dict(CONN, clients=[dict(client_id='good', client_secret='s3cret-value', probe_paths=['/api/v2/identityproviders']),
                               dict(client_id='bad', client_secret='nope-secret-77', name='broken')])
    rc, res = run(genesys_oauth_check, args, capsys, check=True)
    assert rc == 1 and res['failed'] and res['failed_clients'] == ['good', 'broken'] and res['passed'] is False
    assert 'sso:provider:view' in res['msg'] and 'broken: token' in res['msg']
    text = json.dumps(res)
    assert 'minted-token-abc123' not in text and 'nope-secret-77' not in text and 's3cret-value' not in text


@pytest.mark.parametrize('path', ['/api/v2/../oauth/clients', '/api/v2/%2e%2e/%2e%2e/oauth/clients',
                                  '/api/v2/users%2F..%2F..%2Foauth', '/api/v2/%2E/users', '/api/v2/a%2f%2fb',
                                  '/api/v2/a%5c..%5cb'])
def test_oauth_check_refuses_dot_segments_also_percent_encoded(http, capsys, path):
    args = dict(CONN, clients=[dict(client_id='good', client_secret='s3cret-value', probe_paths=[path])])
    rc, res = run(genesys_oauth_check, args, capsys)
    calls, _faults = http
    assert rc == 1 and 'is not an API path' in res['msg'] and 'clients[0].probe_paths' in res['msg']
    assert calls == []  # refused before any request


def test_oauth_check_accepts_encoded_characters_that_are_not_dot_segments(http, capsys):
    args = dict(CONN, clients=[dict(client_id='good', client_secret='s3cret-value',
                                    probe_paths=['/api/v2/users/search?q=a%20b', '/api/v2/groups/a%2Eb'])])
    rc, res = run(genesys_oauth_check, args, capsys)
    calls, _faults = http
    assert 'is not an API path' not in res.get('msg', '')
    probes = [path for method, path in calls if path.startswith(('/api/v2/users/search', '/api/v2/groups/'))]
    assert len(probes) == 2, calls  # both probes were sent
