# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""genesys_identity_provider(_info) as plain modules (AnsibleModule path) against the in-memory fake API."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_api, _genesys_identity_provider_info_core
from ansible_collections.genesyscloud.sso.plugins.modules import (
    genesys_identity_provider,
    genesys_identity_provider_info,
)
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import (
    FakeIdpApi,
    make_cert,
)

CONN = dict(api_url='https://api.example.test', client_id='admin', client_secret='admin-secret-9f8e7d')


@pytest.fixture
def api(monkeypatch):
    fake = FakeIdpApi(domain=None, login_url='https://login.example.test')
    monkeypatch.setattr(_genesys_api, 'GenesysClient', lambda params, warn=None, **kw: fake)   # connect() builds it
    monkeypatch.setattr(_genesys_identity_provider_info_core, 'GenesysClient', lambda params, warn=None: fake,
                        raising=False)
    return fake


def run(module, args, capsys, check=False, diff=False):
    full = dict(CONN, _ansible_check_mode=check, _ansible_diff=diff,
                _ansible_module_name=module.__name__.rsplit('.', 1)[-1])
    full.update(args)
    with patch_module_args(full):
        with pytest.raises(SystemExit) as exit_info:
            module.main()
    out = capsys.readouterr().out
    return exit_info.value.code, json.loads(out[out.index('{'):])


def test_module_path_create_check_and_converge(api, capsys):
    args = dict(type='okta', issuer_uri='urn:okta', certificates=[make_cert('module-path')], enabled=True)
    rc, checked = run(genesys_identity_provider, args, capsys, check=True, diff=True)
    assert rc == 0 and checked['changed'] is True and api.writes() == []
    rc, real = run(genesys_identity_provider, args, capsys, diff=True)
    assert rc == 0 and real['changed'] is True and real['diff'] == checked['diff']
    assert real['service_provider']['acs_url'] == 'https://login.example.test/saml'
    assert 'admin-secret-9f8e7d' not in json.dumps(real)
    rc, again = run(genesys_identity_provider, args, capsys)
    assert rc == 0 and again['changed'] is False
    rc, listed = run(genesys_identity_provider_info, {}, capsys)
    assert rc == 0 and [p['type'] for p in listed['providers']] == ['okta']


@pytest.mark.parametrize('args, message', [
    (dict(state='present'), 'one of the following is required: type, restore_from'),
    (dict(type='custom', issuer_uri='x'), 'type is custom but any of the following are missing: name, id'),
    (dict(restore_from='/tmp/x.json', issuer_uri='x'), 'mutually exclusive: restore_from|issuer_uri'),
    (dict(type='okta', idp_metadata='<x/>', idp_metadata_url='https://idp/m'),
     'mutually exclusive: idp_metadata|idp_metadata_url'),
    (dict(type='saml'), 'value of type must be one of'),
])
def test_argument_rules_fail_before_any_request(api, capsys, args, message):
    rc, result = run(genesys_identity_provider, args, capsys)
    assert rc == 1 and result['failed'] and message in result['msg']
    assert api.log == []


def test_module_failure_is_clean(api, capsys):
    api.fail_next = ('PUT', 400, 'missing.issuer.uri', 'An issuer URI is required.')
    rc, result = run(genesys_identity_provider, dict(type='okta', issuer_uri='urn:x'), capsys)
    assert rc == 1 and 'HTTP 400 missing.issuer.uri' in result['msg'] and 'Fix: set issuer_uri' in result['msg']
    assert result['code'] == 'missing.issuer.uri' and 'Traceback' not in json.dumps(result)
