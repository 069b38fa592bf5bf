# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lockout guard of genesys_identity_provider, driven through the core's public entry point.

Issue 13 E16 (a): an org that has **no** ``purecloud`` entry still has the Genesys Cloud login
enabled (the platform default).  ``type: purecloud, enabled: false`` on such an org must go
through the guard exactly as on an org whose purecloud entry says enabled: refused when no SAML
provider is enabled, unless ``force``.  The domain function ``lockout_check`` is tested directly in
test_genesys_idp.py; these tests go through ``_genesys_identity_provider_core.core(params, ctx, client=fake)``
so that dropping the "no entry = enabled" clause from the core's own decision (whether the guard
runs at all) is caught too.  They assert only what a user sees: the refusal (or the change),
the requests sent, and the org's state afterwards.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail, RunContext
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_core as idp_core
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import FakeIdpApi

PURECLOUD = '/api/v2/identityproviders/purecloud'


@pytest.fixture
def params(tmp_path, monkeypatch):
    """Builds the validated options (the SPEC defaults) of one run; every path option lives under tmp_path."""
    monkeypatch.setenv('HOME', str(tmp_path))

    def build(**kw):
        spec = idp_core.SPEC['argument_spec']
        p = dict((k, v.get('default')) for k, v in spec.items())
        for key, option in spec.items():       # backup/journal/lock directories: never the user's home
            if option.get('type') == 'path' and option.get('default'):
                p[key] = str(tmp_path / key)
        p.update(dict(api_url='https://api.example.test', client_id='admin', client_secret='s3cr3t-admin'))
        if 'consistency_timeout' in spec:
            p['consistency_timeout'] = 0.0
        p.update(kw)
        return p
    return build


def _core(params, api, check=False, **kw):
    ctx = RunContext(check_mode=check, diff_mode=True)
    return idp_core.core(params(**kw), ctx, client=api), ctx


def _refused(params, api, check=False, **kw):
    with pytest.raises(GenesysModuleFail) as info:
        _core(params, api, check=check, **kw)
    return info.value.msg


def _assert_login_refusal(msg):
    assert msg.startswith('Refusing to disable the Genesys Cloud login (purecloud)'), msg
    assert 'force=true' in msg and 'locked out' in msg


@pytest.mark.parametrize('check', [False, True], ids=['apply', 'check'])
def test_disabling_the_default_login_with_only_a_disabled_saml_provider_is_refused(params, check):
    # No purecloud entry (the login is on by default) and the only SAML provider is disabled:
    # disabling the login would leave nobody able to sign in.
    api = FakeIdpApi(providers={'okta': {'name': 'Okta', 'issuerURI': 'urn:okta', 'disabled': True}})
    assert api.state('purecloud') is None
    msg = _refused(params, api, check=check, type='purecloud', enabled=False)
    _assert_login_refusal(msg)
    assert api.writes() == []
    assert api.state('purecloud') is None and api.state('okta')['disabled'] is True


def test_disabling_the_default_login_of_an_org_without_any_provider_is_refused(params):
    api = FakeIdpApi()
    msg = _refused(params, api, type='purecloud', enabled=False)
    _assert_login_refusal(msg)
    assert api.writes() == [] and api.state('purecloud') is None


def test_refusal_is_the_same_with_or_without_a_purecloud_entry(params):
    # The platform default (no entry) and an explicit enabled entry must be guarded alike.
    without = FakeIdpApi(providers={'okta': {'issuerURI': 'urn:okta', 'disabled': True}})
    with_entry = FakeIdpApi(providers={'okta': {'issuerURI': 'urn:okta', 'disabled': True},
                                       'purecloud': {'name': 'PureCloud', 'disabled': False}})
    assert _refused(params, without, type='purecloud', enabled=False) == \
        _refused(params, with_entry, type='purecloud', enabled=False)
    assert without.writes() == [] and with_entry.writes() == []


def test_force_disables_the_default_login(params):
    api = FakeIdpApi(providers={'okta': {'issuerURI': 'urn:okta', 'disabled': True}})
    result, dummy = _core(params, api, type='purecloud', enabled=False, force=True)
    assert result['changed'] is True
    assert [w[:2] for w in api.writes()] == [('PUT', PURECLOUD)]
    assert api.state('purecloud')['disabled'] is True


def test_default_login_may_be_disabled_while_a_saml_provider_is_enabled(params):
    api = FakeIdpApi(providers={'okta': {'issuerURI': 'urn:okta', 'disabled': False}})
    result, dummy = _core(params, api, type='purecloud', enabled=False)
    assert result['changed'] is True and api.state('purecloud')['disabled'] is True
    assert [w[:2] for w in api.writes()] == [('PUT', PURECLOUD)]


def test_enabling_or_keeping_the_default_login_needs_no_guard(params):
    # Nothing is disabled: the guard neither refuses nor costs the listing.
    api = FakeIdpApi(providers={'okta': {'issuerURI': 'urn:okta', 'disabled': True}})
    result, dummy = _core(params, api, type='purecloud', enabled=True)
    assert result['changed'] is True and api.state('purecloud')['disabled'] is False


def test_deleting_the_purecloud_entry_restores_the_default_and_is_not_refused(params):
    # Deleting the entry brings back the platform default (login enabled): no lockout, no refusal,
    # even when every SAML provider is disabled.
    api = FakeIdpApi(providers={'okta': {'issuerURI': 'urn:okta', 'disabled': True},
                                'purecloud': {'name': 'PureCloud', 'disabled': False}})
    result, dummy = _core(params, api, type='purecloud', state='absent')
    assert result['changed'] is True
    assert [w[:2] for w in api.writes()] == [('DELETE', PURECLOUD)]
