# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inputs that cannot talk to the wrong thing (issue 13, B4 and D13), in the domain (_genesys_provider_model).

* B4: a provider id (option, backup file, listing entry) is used in request paths: only the platform's id
  alphabet is accepted, and provider_path() validates and percent-quotes every segment it builds, so no caller
  can build ``/api/v2/identityproviders/../tokens/me``.
* D13: control characters in any string option written to the org, and non-https URL options, are refused by
  build_desired (before any request), naming the option.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_provider_model as idp

UUID = '0c7a9a54-2f0e-4b4e-8d0e-3c1b2a6e9f10'

# ids that would change the meaning of the request path (or are not ids at all)
HOSTILE_IDS = [
    '../tokens/me', '../organizations/me', '../oauth/clients/bot-1', '..', '.', '%2e%2e', '%2e%2e%2ftokens%2fme',
    'a/b', 'a\\b', 'a?x=1', 'a#frag', 'a b', ' ' + UUID, UUID + '\n', 'id\x00', '\u043ekta', 'a;b', 'a.b', '',
    'x' * 65, 'okta/../../tokens/me',
]


# ---------------------------------------------------------------- B4: provider ids

@pytest.mark.parametrize('value', [UUID, UUID.upper(), 'okta', 'purecloud', 'p-1', 'a', 'x' * 64,
                                   '00000000-0000-4000-8000-000000000001'])
def test_platform_ids_are_accepted(value):
    assert idp.validate_provider_id(value, 'option id') == value


@pytest.mark.parametrize('value', HOSTILE_IDS)
def test_hostile_ids_are_refused_naming_the_source(value):
    with pytest.raises(idp.ProviderIdError) as err:
        idp.validate_provider_id(value, 'option id')
    msg = str(err.value)
    assert 'option id' in msg and 'no request was sent' in msg
    assert '\x00' not in msg and '\n' not in msg   # the value is shown quoted (repr), never raw


@pytest.mark.parametrize('value', [None, 12, True, ['a'], {'id': 'a'}])
def test_non_string_ids_are_refused(value):
    with pytest.raises(idp.ProviderIdError, match='backup file /b.json'):
        idp.validate_provider_id(value, 'backup file /b.json (provider.id)')


def test_provider_id_error_is_a_clean_failure_and_an_idp_error():
    """Uncaught, it still fails the task cleanly (GenesysModuleFail), and callers catching IdpError catch it."""
    with pytest.raises(GenesysModuleFail) as err:
        idp.provider_path('custom', '../tokens/me')
    assert isinstance(err.value, idp.IdpError) and 'Refusing the identity provider id' in err.value.msg


@pytest.mark.parametrize('value', HOSTILE_IDS)
def test_provider_path_refuses_every_hostile_id(value):
    with pytest.raises(idp.ProviderIdError):
        idp.provider_path('custom', value)


def test_provider_path_builds_the_platform_paths():
    assert idp.provider_path('custom') == '/api/v2/identityproviders'
    assert idp.provider_path('custom', UUID) == '/api/v2/identityproviders/' + UUID
    for ptype in idp.PER_TYPE_TYPES:
        assert idp.provider_path(ptype) == '/api/v2/identityproviders/' + ptype
    # a per-type path never carries the id
    assert idp.provider_path('okta', UUID) == '/api/v2/identityproviders/okta'


@pytest.mark.parametrize('ptype', ['../tokens', 'okta/../x', 'saml', '', None])
def test_provider_path_refuses_unknown_types(ptype):
    with pytest.raises(idp.ProviderIdError, match='provider type'):
        idp.provider_path(ptype)


def test_provider_path_quotes_every_segment(monkeypatch):
    """Even if the id check were loosened, a segment is percent-quoted (safe=''): '/' cannot add a segment."""
    monkeypatch.setattr(idp, 'PROVIDER_ID_RE', __import__('re').compile(r'^.+\Z', __import__('re').S))
    assert idp.provider_path('custom', '../tokens/me') == '/api/v2/identityproviders/..%2Ftokens%2Fme'
    assert idp.provider_path('custom', 'a?b#c d') == '/api/v2/identityproviders/a%3Fb%23c%20d'


def _pages(*entity_lists):
    pages = {}
    for number, entities in enumerate(entity_lists, start=1):
        path = '/api/v2/identityproviders' + ('' if number == 1 else '?pageNumber=%d' % number)
        page = dict(entities=entities, pageNumber=number, pageCount=len(entity_lists))
        if number < len(entity_lists):
            page['nextUri'] = '/api/v2/identityproviders?pageNumber=%d' % (number + 1)
        pages[path] = page
    return pages


@pytest.mark.parametrize('bad_id', ['../oauth/clients/bot-1', 'a/b', 'x\x00', ''])
def test_listing_entry_with_a_bad_id_is_refused_naming_the_entry(bad_id):
    pages = _pages([dict(id='okta', name='Okta', selfUri='/api/v2/identityproviders/okta')],
                   [dict(id=UUID, name='Corp'), dict(id=bad_id, name='Evil')])
    with pytest.raises(idp.ProviderIdError) as err:
        idp.list_entities(lambda path: pages[path])
    msg = str(err.value)
    assert 'entry 3 of the identity provider listing' in msg and "name 'Evil'" in msg


def test_listing_custom_entry_without_id_is_refused_per_type_entry_without_id_is_fine():
    listing = dict(entities=[dict(name='Okta', selfUri='/api/v2/identityproviders/okta'), dict(name='Corp')])
    with pytest.raises(idp.ProviderIdError, match="entry 2 .*name 'Corp'.* without an id"):
        idp.list_entities(lambda path: listing)
    ok = dict(entities=[dict(name='Okta', selfUri='/api/v2/identityproviders/okta'), dict(id=UUID, name='Corp')])
    assert len(idp.list_entities(lambda path: ok)) == 2


def test_listing_of_valid_ids_is_returned_whole():
    pages = _pages([dict(id=UUID, name='A'), dict(id='okta', selfUri='/api/v2/identityproviders/okta')],
                   [dict(id='00000000-0000-4000-8000-000000000002', name='B')])
    assert [e.get('name') for e in idp.list_entities(lambda path: pages[path])] == ['A', None, 'B']


@pytest.mark.parametrize('next_uri', ['/api/v2/tokens/me', 'https://evil.example/api/v2/oauth/clients',
                                      '/api/v2/identityproviders/../tokens/me', '/api/v2/identityprovidersX',
                                      '/api/v2/identityproviders?x=1\r\nX: y'])
def test_listing_next_uri_must_stay_on_the_listing(next_uri):
    asked = []
    page = dict(entities=[dict(id=UUID, name='A')], pageNumber=1, pageCount=2, nextUri=next_uri)
    with pytest.raises(idp.ProviderIdError, match='nextUri'):
        idp.list_entities(lambda path: asked.append(path) or page)
    assert asked == ['/api/v2/identityproviders']


# ---------------------------------------------------------------- D13: strings written to the org

STRING_OPTIONS = [('generic', 'name'), ('generic', 'issuer_uri'), ('generic', 'relying_party_identifier'),
                  ('generic', 'provider_name'), ('okta', 'issuer_uri'), ('custom', 'name'), ('purecloud', 'name'),
                  ('generic', 'slo_binding')]
CONTROLS = ['\x00', '\n', '\r', '\t', '\x1b', '\x7f', '\x85', '\u2028']


@pytest.mark.parametrize('ptype, option', STRING_OPTIONS)
@pytest.mark.parametrize('char', CONTROLS, ids=lambda c: 'U+%04X' % ord(c))
def test_control_characters_are_refused_naming_the_option(ptype, option, char):
    options = dict(name='Corp IdP') if ptype in ('generic', 'custom') else {}
    options[option] = 'Corp%sIdP' % char
    with pytest.raises(idp.IdpError) as err:
        idp.build_desired(ptype, options)
    msg = str(err.value)
    assert msg.startswith(option + ' contains the control character U+%04X' % ord(char)), msg
    assert char not in msg


URL_OPTIONS = ['sso_target_uri', 'slo_uri', 'metadata_url']
BAD_URLS = ['http://idp.example.com/slo', 'HTTP://idp.example.com/slo', 'javascript:alert(1)',
            'data:text/html,<b>x</b>', 'ftp://idp.example.com/x', '//idp.example.com/x', 'idp.example.com/x',
            'https://', 'https:///x', 'https://idp.exa mple.com/x', 'https://idp.example.com/\r\nX-Injected: 1',
            'https://idp.example.com/\x00', 'file:///etc/passwd', ' https://idp.example.com/x']


@pytest.mark.parametrize('option', URL_OPTIONS)
@pytest.mark.parametrize('value', BAD_URLS)
def test_url_options_must_be_https(option, value):
    with pytest.raises(idp.IdpError) as err:
        idp.build_desired('generic', dict(name='G', **{option: value}))
    msg = str(err.value)
    assert msg.startswith(option + ' '), msg
    assert 'https' in msg or 'control character' in msg


@pytest.mark.parametrize('option', URL_OPTIONS)
@pytest.mark.parametrize('value', ['https://admin:hunter2-pw@idp.example.com/x', 'http://admin:hunter2-pw@idp.example.com/x',
                                   'https://hunter2-pw@idp.example.com/x'])
def test_url_options_with_credentials_are_refused_without_echoing_them(option, value):
    with pytest.raises(idp.IdpError) as err:
        idp.build_desired('generic', dict(name='G', **{option: value}))
    msg = str(err.value)
    assert msg.startswith(option + " '") and 'user:password@' in msg and '***@idp.example.com' in msg
    assert 'hunter2-pw' not in msg


@pytest.mark.parametrize('option', URL_OPTIONS)
def test_https_url_options_are_accepted(option):
    desired = idp.build_desired('generic', dict(name='G', **{option: 'https://idp.example.com/x?a=1#f'}))
    assert desired[idp.OPTION_TO_FIELD[option]] == 'https://idp.example.com/x?a=1#f'


def test_empty_slo_and_metadata_url_clear_the_field_but_sso_target_must_be_set():
    desired = idp.build_desired('generic', dict(name='G', slo_uri='', metadata_url=''))
    assert desired['sloURI'] == '' and desired['metadataURL'] == ''
    with pytest.raises(idp.IdpError, match='sso_target_uri .*invalid.target.url'):
        idp.build_desired('generic', dict(name='G', sso_target_uri=''))


def test_unicode_names_without_controls_are_fine():
    desired = idp.build_desired('custom', dict(name=u'Caf\u00e9 IdP \u2013 Z\u00fcrich', provider_name=u'\u65e5\u672c'))
    assert desired['name'] == u'Caf\u00e9 IdP \u2013 Z\u00fcrich'


def test_logo_with_line_breaks_is_fine_but_nul_is_not():
    assert idp.build_desired('generic', dict(name='G', logo_image_data='PHN2Zz4=\nPC9zdmc+\r\n'))['logoImageData'] \
        == 'PHN2Zz4=PC9zdmc+'
    with pytest.raises(idp.IdpError, match='logo_image_data contains a control character'):
        idp.build_desired('generic', dict(name='G', logo_image_data='PHN2Zz4=\x00'))


# ---------------------------------------------------------------- through the cores (no request may be sent)

def _core_params(core_module, tmp_path, **kw):
    spec = core_module.SPEC['argument_spec']
    p = dict((k, v.get('default')) for k, v in spec.items())
    p.update(dict(api_url='https://api.mypurecloud.ie', client_id='c', client_secret='s'))
    for key in ('backup_dir', 'lock_dir'):
        if key in spec:
            p[key] = str(tmp_path / key)
    p.update(kw)
    return p


def _run_idp(tmp_path, api, **kw):
    from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import RunContext
    from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_core as idp_core

    ctx = RunContext(check_mode=False, diff_mode=True)
    return idp_core.core(_core_params(idp_core, tmp_path, **kw), ctx, client=api), ctx


def _fail_idp(tmp_path, api, **kw):
    with pytest.raises(GenesysModuleFail) as err:
        _run_idp(tmp_path, api, **kw)
    return err.value


def _fake(**kw):
    from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import FakeIdpApi

    return FakeIdpApi(**kw)


def _cert():
    from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import make_cert

    return make_cert('inputs-idp')


@pytest.mark.parametrize('state', ['absent', 'present'])
@pytest.mark.parametrize('bad_id', ['../tokens/me', '../organizations/me', '../oauth/clients/bot'])
def test_core_refuses_a_hostile_id_option_before_any_request(tmp_path, bad_id, state):
    api = _fake()
    extra = dict(name='Corp', issuer_uri='urn:corp', certificates=[_cert()]) if state == 'present' else {}
    err = _fail_idp(tmp_path, api, type='custom', id=bad_id, state=state, **extra)
    assert 'option id' in err.msg and api.log == []


def test_info_core_refuses_a_hostile_id_before_any_request():
    from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import RunContext
    from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_info_core as info_core

    api = _fake()
    p = dict((k, v.get('default')) for k, v in info_core.SPEC['argument_spec'].items())
    p.update(dict(api_url='https://api.mypurecloud.ie', client_id='c', client_secret='s', id='../tokens/me'))
    with pytest.raises(GenesysModuleFail, match='Refusing the identity provider id'):
        info_core.core(p, RunContext(), client=api)
    assert api.log == []


def test_core_refuses_control_characters_before_any_request(tmp_path):
    api = _fake()
    err = _fail_idp(tmp_path, api, type='generic', name='Corp\x00IdP', issuer_uri='urn:corp', certificates=[_cert()])
    assert err.msg.startswith('name contains the control character U+0000') and api.log == []


def _metadata(slo='https://idp.example/slo', cert=True):
    from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import bare

    key = ('<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate>'
           '</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>' % bare(_cert())) if cert else ''
    return ('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example/e">'
            '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">%s'
            '<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="%s"/>'
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
            'Location="https://idp.example/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>' % (key, slo))


def test_core_refuses_a_non_https_value_from_the_metadata_and_an_explicit_option_overrides_it(tmp_path):
    api = _fake()
    err = _fail_idp(tmp_path, api, type='generic', name='G', idp_metadata=_metadata(slo='http://idp.example/slo'))
    assert err.msg.startswith('Cannot use the IdP metadata: a value it gives is refused: slo_uri')
    assert 'Set that option explicitly' in err.msg and api.log == []
    result, dummy = _run_idp(tmp_path, api, type='generic', name='G', slo_uri='https://idp.example/slo2',
                             idp_metadata=_metadata(slo='http://idp.example/slo'))
    assert result['changed'] and api.state('generic')['sloURI'] == 'https://idp.example/slo2'


def test_core_metadata_without_certificate_refused_or_warned(tmp_path):
    api = _fake()
    err = _fail_idp(tmp_path, api, type='generic', name='G', idp_metadata=_metadata(cert=False))
    assert 'no usable signing certificate' in err.msg and api.log == []
    result, ctx = _run_idp(tmp_path, api, type='generic', name='G', idp_metadata=_metadata(cert=False),
                           certificates=[_cert()])
    assert result['changed']
    assert any('publishes no usable signing certificate' in w for w in ctx.warnings)


def test_core_masks_the_metadata_url_password_and_warns_when_tls_is_off(tmp_path):
    api = _fake()
    with pytest.raises(GenesysModuleFail) as err:
        ctx_holder = {}
        from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import RunContext
        from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_core as idp_core

        ctx_holder['ctx'] = RunContext()
        idp_core.core(_core_params(idp_core, tmp_path, type='generic', name='G', validate_certs=False,
                                   idp_metadata_url='https://admin:hunter2-pw@[::1/metadata.xml'),
                      ctx_holder['ctx'], client=api)
    msg = err.value.msg
    assert msg.startswith("Cannot use the IdP metadata from idp_metadata_url https://admin:***@[::1/metadata.xml")
    assert 'hunter2-pw' not in msg and api.log == []
    ctx = ctx_holder['ctx']
    assert 'hunter2-pw' in ctx.secrets   # masked in the whole result (the invocation too) on both paths
    assert any(w.startswith('TLS verification of the IdP metadata host') and 'validate_certs is false' in w
               for w in ctx.warnings)
