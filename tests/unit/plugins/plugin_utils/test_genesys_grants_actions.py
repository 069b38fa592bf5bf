# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module of the action group mints its own admin token with any grant, through its action plugin, and a
refusal that echoes the request shows no secret. (Controller code: ansible-test runs module_utils unit tests
without the controller's packages, so this test lives here, beside the other action-plugin tests.)"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest
import requests

from ansible_collections.genesyscloud.sso.plugins.action import (
    genesys_identity_provider as provider_action,
    genesys_identity_provider_info as info_action,
    genesys_platform_probe as probe_action,
    genesys_token as token_action,
)
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.test_genesys_grants import (
    EXPECTED_FORMS,
    SECRETS,
    VALUES,
    FakeSession,
    grant_args,
)


ACTIONS = [
    ('genesys_token', token_action, {}),
    ('genesys_identity_provider_info', info_action, {}),
    ('genesys_identity_provider', provider_action, dict(type='okta', lock=False)),
    ('genesys_platform_probe', probe_action, dict(mode='cleanup', name='genesyscloud-sso-probe-x')),
]


@pytest.mark.parametrize('module,action,extra', ACTIONS, ids=[a[0] for a in ACTIONS])
@pytest.mark.parametrize('name', ['password', 'saml2_bearer'])
def test_every_module_mints_its_own_token_and_never_shows_a_secret(monkeypatch, module, action, extra, name):
    """Every module performs the grant itself (no separate token task); a refusal that echoes the request
    (form and Basic header) shows no secret in the result."""
    session = FakeSession(refuse=True)
    monkeypatch.setattr(requests, 'Session', lambda: session)
    args = grant_args(name, 'genesys_token')
    args.update(extra)
    res = action.ActionModule.__new__(action.ActionModule).run_core(
        {}, args, 'genesyscloud.sso.%s' % module, inject_invocation=True)
    assert res['failed'], res
    token_calls = [c for c in session.calls if c[1].endswith('/oauth/token')]
    assert len(token_calls) == 1 and token_calls[0][2]['data'] == EXPECTED_FORMS[name]
    assert 'invalid_grant' in res['msg']
    text = json.dumps(res)
    basic = base64.b64encode(('%s:%s' % (VALUES['client_id'], SECRETS['client_secret'])).encode()).decode()
    for secret in list(SECRETS.values()) + [basic]:
        assert secret not in text, 'secret leaked in %s: %s...' % (module, secret[:4])
