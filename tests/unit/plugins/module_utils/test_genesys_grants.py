# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The grant table (_genesys_grants) and what is derived from it: every module's SPEC accepts every grant's
options (required_if per grant, a missing option named), the client's token form per grant, the doc fragment,
and no secret of any grant in any output (both execution paths)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

import pytest
import yaml

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.genesyscloud.sso.plugins.doc_fragments.genesys import ModuleDocFragment
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_grants as grants
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_common as common
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import GenesysClient, GenesysError
from ansible_collections.genesyscloud.sso.plugins.module_utils import (
    _genesys_identity_provider_core,
    _genesys_identity_provider_info_core,
    _genesys_oauth_check_core,
    _genesys_platform_probe_core,
    _genesys_token_core,
)
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.fake_http import FakeResponse

# every module of the action group group/genesyscloud.sso.genesys, with the options it needs of its own
MODULES = {
    'genesys_token': (_genesys_token_core.SPEC, {}),
    'genesys_identity_provider': (_genesys_identity_provider_core.SPEC, dict(type='okta')),
    'genesys_identity_provider_info': (_genesys_identity_provider_info_core.SPEC, {}),
    'genesys_oauth_check': (_genesys_oauth_check_core.SPEC, dict(clients=[dict(client_id='bot', client_secret='bot-s3cret')])),
    'genesys_platform_probe': (_genesys_platform_probe_core.SPEC, {}),
}

SECRETS = dict(client_secret='cs-Very-Secret-1', password='pw-Very-Secret-2', assertion='PHNhbWw+YXNzZXJ0aW9u-3',
               access_token='given-token-Very-Secret-4')
VALUES = dict(SECRETS, client_id='admin-client', username='ann@acme.example', org_name='acme-prod')
CONN = dict(api_url='https://api.example.test', retries=0, timeout=5)

# what the login service (the emulator, Genesys Cloud) expects of each grant's token request
EXPECTED_FORMS = {
    'client_credentials': {'grant_type': 'client_credentials'},
    'password': {'grant_type': 'password', 'username': VALUES['username'], 'password': SECRETS['password']},
    'saml2_bearer': {'grant_type': 'urn:ietf:params:oauth:grant-type:saml2-bearer', 'orgName': VALUES['org_name'],
                     'assertion': SECRETS['assertion']},
    # a bare token sends no form; with client credentials it is renewed with the client-credentials grant
    'token': {'grant_type': 'client_credentials'},
}


def grant_args(name, module, drop=None):
    args = dict(CONN, grant_type=name)
    args.update(MODULES[module][1])
    for option in grants.grant(name).requires:
        if option != drop:
            args[option] = VALUES[option]
    return args


def validate(spec, args):
    rules = dict((k, spec[k]) for k in common.SPEC_RULE_KEYS if k in spec)
    return ArgumentSpecValidator(spec['argument_spec'], **rules).validate(args)


def test_table_has_one_entry_per_grant():
    assert grants.GRANT_TYPES == ('client_credentials', 'password', 'saml2_bearer', 'token')
    assert sorted(EXPECTED_FORMS) == sorted(grants.GRANT_TYPES)
    for entry in grants.GRANTS:
        assert set(entry.requires) <= set(grants.CREDENTIAL_OPTION_NAMES)
        assert set(option for dummy, option in entry.form) <= set(entry.requires)
        assert entry.doc
    assert grants.required_if() == [(
        'grant_type', g.name, g.requires) for g in grants.GRANTS]
    assert grants.grant('client_credentials').env_fallbacks() == dict(
        client_id='GENESYSCLOUD_OAUTHCLIENT_ID', client_secret='GENESYSCLOUD_OAUTHCLIENT_SECRET')
    assert grants.grant('token').env_fallbacks() == dict(access_token='GENESYSCLOUD_ACCESS_TOKEN')


@pytest.mark.parametrize('module', sorted(MODULES))
def test_every_module_accepts_every_grant_option(module):
    """Same names, no_log and environment fallbacks in every module of the action group (one module_defaults)."""
    spec = MODULES[module][0]['argument_spec']
    for name, opt in grants.CREDENTIAL_OPTIONS:
        assert name in spec, '%s lacks %s' % (module, name)
        assert bool(spec[name].get('no_log')) is opt['no_log'], (module, name)
        fallback = spec[name].get('fallback')
        if opt['env']:
            assert fallback == (env_fallback, [opt['env']]), (module, name)
        else:
            assert fallback is None, (module, name)
    assert spec['grant_type']['choices'] == list(grants.GRANT_TYPES)
    # only genesys_token has a default grant: elsewhere a given access_token is used without a grant
    assert spec['grant_type'].get('default') == ('client_credentials' if module == 'genesys_token' else None)
    for secret in ('client_secret', 'password', 'assertion', 'access_token'):
        assert spec[secret]['no_log'] is True


@pytest.mark.parametrize('module', sorted(MODULES))
@pytest.mark.parametrize('name', grants.GRANT_TYPES)
def test_each_grant_through_every_spec(module, name):
    spec = MODULES[module][0]
    result = validate(spec, grant_args(name, module))
    assert not result.error_messages, result.error_messages
    for option in grants.grant(name).requires:
        result = validate(spec, grant_args(name, module, drop=option))
        assert result.error_messages, (module, name, option)
        msg = ' '.join(result.error_messages)
        assert 'grant_type is %s' % name in msg and option in msg, msg
        for secret in SECRETS.values():
            assert secret not in msg


def test_token_module_required_if_is_the_table():
    """The token module's required_if is derived (it used to be hand-written in _genesys_token_core)."""
    assert _genesys_token_core.SPEC['required_if'] == grants.required_if()
    # a module's own rules come after the grants' ones
    probe_rules = _genesys_platform_probe_core.SPEC['required_if']
    assert probe_rules[:len(grants.GRANTS)] == grants.required_if() and ('mode', 'cleanup', ('name',)) in probe_rules


class FakeSession:
    """A requests.Session stand-in recording every request; the token request answers 200 or an echo error."""

    def __init__(self, refuse=False):
        self.headers = {}
        self.verify = True
        self.calls = []
        self.refuse = refuse

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        if url.endswith('/oauth/token'):
            if self.refuse:
                # a hostile login service echoing the whole request back
                return FakeResponse(400, dict(error='invalid_grant', error_description='refused %r %r' % (
                    kwargs.get('data'), kwargs.get('headers'))))
            return FakeResponse(200, dict(access_token='minted-Token-Value-99', expires_in=60))
        if url.endswith('/api/v2/organizations/me'):
            return FakeResponse(200, dict(id='org-1', name='Acme', thirdPartyOrgName='acme-prod'))
        return FakeResponse(404, dict(code='not.found', message='nothing here'))

    def close(self):
        pass


@pytest.mark.parametrize('module', sorted(MODULES))
@pytest.mark.parametrize('name', grants.GRANT_TYPES)
def test_token_form_per_grant(module, name):
    """Parameters validated by each module's SPEC give the token request the login service expects."""
    args = grant_args(name, module)
    if name == 'token':
        args.update(client_id=VALUES['client_id'], client_secret=SECRETS['client_secret'])
    params = validate(MODULES[module][0], args).validated_parameters
    session = FakeSession()
    client = GenesysClient(params, session=session)
    assert client.grant_type == name
    if name == 'token':
        assert client.get_token()['access_token'] == SECRETS['access_token'] and session.calls == []
        client._reauthenticate()
    else:
        client.get_token()
    (method, url, kwargs), = session.calls
    assert (method, url) == ('POST', 'https://login.example.test/oauth/token')
    assert kwargs['data'] == EXPECTED_FORMS[name]
    assert list(kwargs['data']) == list(EXPECTED_FORMS[name])
    basic = base64.b64encode(('%s:%s' % (VALUES['client_id'], SECRETS['client_secret'])).encode()).decode()
    assert kwargs['headers']['Authorization'] == 'Basic %s' % basic
    assert kwargs['allow_redirects'] is False


def test_grant_choice_without_grant_type():
    """No grant_type (the modules other than genesys_token): a given token first, else client credentials."""
    base = dict(CONN, client_id='a', client_secret='b')
    assert GenesysClient(base, session=FakeSession()).grant_type == 'client_credentials'
    client = GenesysClient(dict(base, access_token=' tok-123456 \n'), session=FakeSession())
    assert client.grant_type == 'token' and client.can_reauthenticate
    assert not GenesysClient(dict(CONN, access_token='tok-123456'), session=FakeSession()).can_reauthenticate
    assert GenesysClient(dict(CONN, access_token='   ', client_id='a', client_secret='b'),
                         session=FakeSession()).grant_type == 'client_credentials'


@pytest.mark.parametrize('name', grants.GRANT_TYPES)
def test_client_names_the_missing_blank_options(name):
    """A caller that bypasses the SPEC (blank values pass required_if) still fails before any request."""
    required = grants.grant(name).requires
    args = dict(CONN, grant_type=name)
    args.update((option, '  ') for option in required)
    session = FakeSession()
    with pytest.raises(GenesysError) as err:
        GenesysClient(args, session=session)
    assert err.value.code == 'missing.credentials'
    assert 'grant %s needs %s' % (name, ', '.join(required)) in err.value.describe()
    assert session.calls == []


def test_unknown_grant_refused():
    with pytest.raises(GenesysError) as err:
        GenesysClient(dict(CONN, grant_type='implicit'), session=FakeSession())
    assert err.value.code == 'invalid.grant_type' and 'implicit' in err.value.describe()


def _fragment():
    return yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']


def test_doc_fragment_documents_the_table():
    """A new grant is one table entry plus its text in the fragment: this test names what the text lacks."""
    options = _fragment()
    assert options['grant_type']['choices'] == list(grants.GRANT_TYPES)
    lines = options['grant_type']['description']
    for entry in grants.GRANTS:
        assert entry.doc_line() in lines, 'the fragment does not say: %s' % entry.doc_line()
    assert entry.doc_line().startswith('V(token) needs O(access_token). ')
    for name, opt in grants.CREDENTIAL_OPTIONS:
        assert name in options, 'option %s is not documented in the fragment' % name
        desc = ' '.join(options[name]['description'])
        assert options[name]['type'] == opt['type']
        if opt['no_log']:
            assert 'Never logged' in desc, name
        if opt['env']:
            assert 'E(%s)' % opt['env'] in desc, name


def test_token_module_docs_do_not_repeat_the_fragment():
    from ansible_collections.genesyscloud.sso.plugins.modules import genesys_token
    own = yaml.safe_load(genesys_token.DOCUMENTATION)['options']
    assert set(own) & set(grants.CREDENTIAL_OPTION_NAMES) == set(['grant_type'])
    assert own['grant_type']['default'] == 'client_credentials'


# The action plugins' own grant test (every module mints its token, no secret shown) is in
# tests/unit/plugins/plugin_utils/test_genesys_grants_actions.py: module_utils unit tests cannot import controller code.
