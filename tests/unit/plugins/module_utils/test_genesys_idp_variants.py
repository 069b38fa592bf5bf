# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provider module and _info on the plausible behaviours of the real platform (issue 14 item 2), with the
in-memory fake bent the way the emulator's variants bend it: listing shapes (UUID ids, selfUri by id), read lag
(the previous state for a while), listing lag, fields a type drops.  The emulator's own variants are exercised
end to end by tests/e2e/test_variants_e2e.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import time

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_core as idp_core
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_info_core as info_core
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail, RunContext
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import FakeIdpApi, make_cert

BASE = '/api/v2/identityproviders'


class VariantApi(FakeIdpApi):
    """The fake with platform variants: ``self_uri_by_id`` (per-type listing entries look like custom ones),
    ``read_lag`` (reads after a write answer the previous state N times), ``hide_new`` (new custom providers
    missing from the listing), ``drops`` (API fields per-type types silently drop)."""

    def __init__(self, *args, **kwargs):
        self.self_uri_by_id = kwargs.pop('self_uri_by_id', False)
        self.read_lag = kwargs.pop('read_lag', 0)
        self.hide_new = kwargs.pop('hide_new', False)
        self.drops = kwargs.pop('drops', ())
        FakeIdpApi.__init__(self, *args, **kwargs)
        self._previous = {}
        self._lag_left = 0
        self.hidden = set()

    def _dispatch(self, method, path, body):
        key = path[len(BASE) + 1:] if path.startswith(BASE + '/') else None
        if method in ('PUT', 'POST') and body is not None and key in self.providers or (method == 'PUT' and key):
            if key in self.providers:
                self._previous[key] = copy.deepcopy(self.providers[key]['data'])
            elif key and key in self.custom:
                self._previous[key] = copy.deepcopy(self.custom[key]['data'])
            self._lag_left = self.read_lag
            if self.drops and key in self.providers or (self.drops and method == 'PUT' and key and key not in self.custom):
                body = dict((k, v) for k, v in (body or {}).items() if k not in self.drops)
        status, data = FakeIdpApi._dispatch(self, method, path, body)
        if method == 'POST' and path == BASE and self.hide_new:
            self.hidden.add(data['id'])
        if method == 'GET' and key is not None and self._lag_left > 0 and key in self._previous:
            self._lag_left -= 1
            previous = dict(data, **self._previous[key])
            return status, previous
        if method == 'GET' and path == BASE:
            data = copy.deepcopy(data)
            data['entities'] = [e for e in data['entities'] if e.get('id') not in self.hidden]
            if self.self_uri_by_id:
                for entity in data['entities']:
                    entity['selfUri'] = '%s/%s' % (BASE, entity['id'])
        return status, data


def params(module=idp_core, **kw):
    p = dict((k, v.get('default')) for k, v in module.SPEC['argument_spec'].items())
    p.update(dict(api_url='https://api.mypurecloud.ie', client_id='admin', client_secret='s'))
    if module is idp_core:
        p.update(consistency_timeout=2.0, settle_delay=0.0)
    p.update(kw)
    return p


def run(api, check=False, **kw):
    ctx = RunContext(check_mode=check, diff_mode=True)
    return idp_core.core(params(**kw), ctx, client=api), ctx


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    slept = []
    monkeypatch.setattr(time, 'sleep', slept.append)
    return slept


SSO_ONLY = dict(okta=dict(name='Okta', issuerURI='urn:okta', disabled=False),
                purecloud=dict(name='PureCloud', disabled=True))


def test_the_guard_is_not_fooled_by_a_listing_that_shows_per_type_entries_like_custom_ones():
    # UUID ids and selfUri by id: the okta entry looks like "another enabled (custom) provider", and the purecloud
    # entry like an enabled custom one. Before, disabling okta passed the guard: a full lockout.
    api = VariantApi(providers=copy.deepcopy(SSO_ONLY), self_uri_by_id=True)
    with pytest.raises(GenesysModuleFail) as info:
        run(api, type='okta', enabled=False)
    assert 'Refusing to disable the okta identity provider' in info.value.msg
    assert api.writes() == []
    assert ('GET', BASE + '/purecloud') in [e[:2] for e in api.log]   # the guard read the login itself


def test_the_guard_still_allows_a_change_that_leaves_another_provider_enabled():
    providers = copy.deepcopy(SSO_ONLY)
    providers['adfs'] = dict(name='ADFS', issuerURI='urn:adfs', disabled=False)
    api = VariantApi(providers=providers, self_uri_by_id=True)
    result, ctx = run(api, type='okta', enabled=False)
    assert result['changed'] and api.state('okta')['disabled'] is True


def test_info_classifies_every_entry_whatever_the_id_shapes():
    api = VariantApi(providers=copy.deepcopy(SSO_ONLY), custom=[dict(name='Corp', issuerURI='urn:c')],
                     self_uri_by_id=True)
    result = info_core.core(params(info_core), RunContext(), client=api)
    assert sorted((p['type'], p['family']) for p in result['providers']) == [
        ('custom', 'custom'), ('okta', 'per_type'), ('purecloud', 'per_type')]


def test_info_reads_no_per_type_endpoint_when_the_listing_shows_the_types():
    api = VariantApi(providers=copy.deepcopy(SSO_ONLY))
    info_core.core(params(info_core), RunContext(), client=api)
    assert [e[:2] for e in api.log] == [('GET', BASE)]


def test_a_read_that_still_shows_the_previous_state_is_waited_out(no_sleep):
    api = VariantApi(providers=dict(okta=dict(name='Okta', issuerURI='urn:old', ssoTargetURI='https://o/sso')),
                     read_lag=3)
    result, ctx = run(api, type='okta', issuer_uri='urn:new')
    assert result['verified'] is True and result['not_kept'] == [] and ctx.warnings == []
    assert [m for m, p, b in api.writes()] == ['PUT'] and len(no_sleep) >= 3


def test_a_created_custom_provider_is_found_again_while_the_listing_lags(tmp_path):
    api = VariantApi(hide_new=True)
    args = dict(type='custom', name='Corp', issuer_uri='urn:c', sso_target_uri='https://c/sso',
                certificates=[make_cert('c')], backup=True, backup_dir=str(tmp_path))
    created, ctx = run(api, **args)
    again, ctx = run(api, **args)
    assert again['changed'] is False and again['id'] == created['id']
    assert len(api.custom_by_name('Corp')) == 1 and [m for m, p, b in api.writes()] == ['POST']


def test_a_field_the_type_drops_is_reported_once_then_not_compared_again(tmp_path):
    api = VariantApi(providers=dict(okta=dict(name='Okta', issuerURI='urn:okta', ssoTargetURI='https://o/sso')),
                     drops=('ssoBinding',))
    args = dict(type='okta', issuer_uri='urn:okta2', sso_binding='HTTP-POST', backup=True, backup_dir=str(tmp_path))
    first, ctx = run(api, **args)
    assert first['changed'] and first['dropped'] == ['sso_binding']
    assert any('did not keep sso_binding on the okta type: remove it from the task' in w for w in ctx.warnings)
    again, ctx = run(api, **args)
    assert again['changed'] is False and ctx.warnings == []
    assert [m for m, p, b in api.writes()] == ['PUT']


def test_a_write_the_platform_never_shows_fails_only_past_the_budget_saying_what_was_written():
    api = VariantApi(providers=dict(okta=dict(name='Okta', issuerURI='urn:old')), not_found_reads_after_write=10 ** 6)
    with pytest.raises(GenesysModuleFail) as info:
        run(api, type='okta', issuer_uri='urn:new', consistency_timeout=1.0)
    assert 'was written at' in info.value.msg and 'issuer_uri' in info.value.msg
    assert 'genesys_identity_provider_info (type=okta)' in info.value.msg
    assert info.value.extra['failed_step'] == 'verify' and info.value.extra['changed'] is True
