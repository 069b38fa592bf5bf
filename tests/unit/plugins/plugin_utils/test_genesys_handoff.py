# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The handoff to the IdP admin (issue 16 item 4): the values of the provider as it ENDS, the org short name, the
NameID line, bindings and NameFormat, hints per IdP family, the handoff file and the SP metadata XML (validated
against the SAML 2.0 metadata schema that pysaml2 ships, and loaded by pysaml2's metadata store).

The core parts drive the public ``core()`` of genesys_identity_provider against the in-memory fake API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from importlib.resources import files as resource_files

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_txn as txn

from ansible_collections.genesyscloud.sso.plugins.filter.sso_handoff import FilterModule, sso_handoff_files
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_core as idp_core
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail, RunContext
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import service_provider
from ansible_collections.genesyscloud.sso.plugins.plugin_utils import genesys_handoff as handoff_mod
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_handoff import (
    ATTR_UNSPECIFIED,
    HTTP_POST,
    HTTP_REDIRECT,
    NAMEID_EMAIL,
    handoff,
    handoff_file,
    idp_family,
    sp_metadata_xml,
)
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_summary import summary
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import (
    FakeIdpApi,
    make_cert,
)

NAMEID_UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified'
OLD = dict(name='Okta', issuerURI='http://www.okta.com/old', ssoTargetURI='https://old.okta.com/sso', disabled=False,
           relyingPartyIdentifier='genesys.cloud.old-rp', nameIdentifierFormat=NAMEID_EMAIL, sloBinding='HTTP Redirect')
BOT = dict(client_id='bot', client_secret='bot-secret-9z8y', name='reporting-bot', probe_paths=None, expect=None)


# ------------------------------------------------------------------------------------------ helpers

@pytest.fixture
def clients(monkeypatch):
    """The preserved-client check as a switch: ``ok`` decides; the report carries the org short name like the
    real check does after its probe of /api/v2/organizations/me."""
    state = dict(ok=True, short_name='acme-prod')

    def fake_check(params, target, ctx):
        passed = state['ok']
        return dict(client_id=target['client_id'], name=target['name'], passed=passed,
                    checks=[dict(name='token', passed=passed, detail='granted' if passed else 'HTTP 401 invalid_client')],
                    token_lifetime=None, client=None, roles=[], probes=[],
                    organization=dict(id='org-id-1', name='Acme', short_name=state['short_name']))

    monkeypatch.setattr(idp_core, 'check_client', fake_check)
    return state


class Api(FakeIdpApi):
    """The fake with a hook run after a request: ``after[(METHOD, path)]``."""

    def __init__(self, *args, **kwargs):
        FakeIdpApi.__init__(self, *args, **kwargs)
        self.after = {}

    def request(self, method, path, body=None, query=None, expect_404=False, headers=None):
        answer = FakeIdpApi.request(self, method, path, body=body, query=query, expect_404=expect_404)
        hook = self.after.get((method.upper(), path))
        if hook is not None:
            hook(self)
        return answer


def params(**kw):
    p = dict((k, v.get('default')) for k, v in idp_core.SPEC['argument_spec'].items())
    p.update(dict(api_url='https://api.mypurecloud.ie', client_id='admin', client_secret='s', consistency_timeout=0.5,
                  settle_delay=0.0))
    p.update(kw)
    return p


def run(api, check=False, **kw):
    return idp_core.core(params(**kw), RunContext(check_mode=check, diff_mode=True), client=api)


def okta(**kw):
    args = dict(type='okta', name='Okta', issuer_uri='http://www.okta.com/new', sso_target_uri='https://new.okta.com/sso',
                certificates=[make_cert('okta-new')], relying_party_identifier='genesys.cloud.new-rp')
    args.update(kw)
    return args


def org_reads(api):
    return [e[:2] for e in api.log if e[:2] == ('GET', '/api/v2/organizations/me')]


def converged(**end):
    state = dict(type='okta', issuer_uri='http://www.okta.com/x', relying_party_identifier='genesys.cloud.acme-prod',
                 name_identifier_format=NAMEID_EMAIL, slo_binding='HTTP Redirect')
    state.update(end)
    sp = service_provider(domain='mypurecloud.ie', relying_party_identifier=state.get('relying_party_identifier'),
                          org_short_name='acme-prod', name_identifier_format=state.get('name_identifier_format'),
                          slo_binding=state.get('slo_binding'))
    return dict(changed=False, provider=dict(state), end_state=state, service_provider=sp,
                organization=dict(short_name='acme-prod', id='o-1', name='Acme'))


_SCHEMA = []


def metadata_schema():
    """The OASIS SAML 2.0 metadata XSD as pysaml2 ships it (no download at test time), built once."""
    if _SCHEMA:
        return _SCHEMA[0]
    import xmlschema
    schemas = resource_files('saml2.data.schemas')
    locations = {
        'http://www.w3.org/XML/1998/namespace': str(schemas.joinpath('xml.xsd')),
        'http://www.w3.org/2000/09/xmldsig#': str(schemas.joinpath('xmldsig-core-schema.xsd')),
        'http://www.w3.org/2001/04/xmlenc#': str(schemas.joinpath('xenc-schema.xsd')),
        'urn:oasis:names:tc:SAML:2.0:assertion': str(schemas.joinpath('saml-schema-assertion-2.0.xsd')),
    }
    _SCHEMA.append(xmlschema.XMLSchema(str(schemas.joinpath('saml-schema-metadata-2.0.xsd')), locations=locations,
                                       allow='sandbox'))
    return _SCHEMA[0]


# ------------------------------------------------------------------------------------------ values and lines

def test_the_lines_state_bindings_name_format_the_name_id_and_the_org():
    h = handoff(converged(), org='acme-prod')
    assert h['state'] == 'in_force' and h['acs_binding'] == HTTP_POST and h['slo_binding'] == HTTP_REDIRECT
    assert h['audience'] == 'genesys.cloud.acme-prod' and h['name_id_format'] == NAMEID_EMAIL
    assert [(a['name'], a['name_format']) for a in h['attributes']] == [('email', ATTR_UNSPECIFIED),
                                                                        ('OrganizationName', ATTR_UNSPECIFIED)]
    text = '\n'.join(h['lines'])
    assert 'ACS / single sign-on URL https://login.mypurecloud.ie/saml (binding HTTP-POST)' in text
    assert 'single logout URL https://login.mypurecloud.ie/saml/logout (binding HTTP-Redirect)' in text
    assert h['lines'][1].startswith('NameID: format %s, value = the user\'s email address' % NAMEID_EMAIL)
    assert 'attributes (NameFormat %s)' % ATTR_UNSPECIFIED in h['lines'][1]
    assert 'OrganizationName = acme-prod (a constant' in h['lines'][1] and '?' not in text
    # the per-org file: one value per line
    lines = handoff_file(h).splitlines()
    assert 'audience = genesys.cloud.acme-prod' in lines and 'attribute.OrganizationName = acme-prod' in lines
    assert 'acs_binding = %s' % HTTP_POST in lines and 'name_id_format = %s' % NAMEID_EMAIL in lines
    assert all(' = ' in line for line in lines)


@pytest.mark.parametrize('ptype, issuer, family, present, absent', [
    ('okta', 'http://www.okta.com/x', 'okta', 'Value user.email', 'user.mail'),
    ('generic', 'https://sts.windows.net/7c1f/', 'entra', 'Source Attribute user.mail', 'user.email'),
    ('custom', 'https://login.microsoftonline.com/7c1f/v2.0', 'entra', 'Namespace empty', 'user.email'),
    ('adfs', 'http://adfs.corp.example/adfs/services/trust', 'adfs',
     '=> issue(Type = "OrganizationName", Value = "acme-prod");', 'user.email'),
    ('generic', 'http://adfs.corp.example/adfs/services/trust', 'adfs', 'claimproperties/format', 'user.email'),
    ('gsuite', 'https://accounts.google.com/o/saml2?idpid=C0', 'google', 'Primary email', 'user.email'),
    ('onelogin', 'https://app.onelogin.com/saml/metadata/1', 'onelogin', 'Macro acme-prod', 'user.email'),
    ('ping', 'https://auth.pingone.com/env/saml20', 'ping', 'static value acme-prod', 'user.email'),
    ('generic', 'https://idp.testshib.org/idp/shibboleth', 'generic', 'urn:oid:1.2.840.113549.1.9.1.1', 'user.email'),
])
def test_attribute_hints_per_idp_family(ptype, issuer, family, present, absent):
    assert idp_family(ptype, issuer) == family
    h = handoff(converged(type=ptype, issuer_uri=issuer), org='acme-prod')
    assert h['family'] == family
    hints = ' '.join(h['hints'])
    assert present in hints and absent not in hints  # Okta syntax only for Okta
    assert h['lines'][2].startswith('At %s: ' % handoff_mod.FAMILY_LABELS[family])


def test_no_audience_held_is_never_handed_over():
    h = handoff(converged(relying_party_identifier=None), org='acme-prod')
    assert h['audience'] is None and h['suggested_audience'] == 'genesys.cloud.acme-prod'
    assert 'audience / SP entity ID NONE held by Genesys Cloud' in h['lines'][0]
    assert 'set saml_sso_provider.relying_party_identifier (e.g. genesys.cloud.acme-prod)' in h['lines'][0]
    assert sp_metadata_xml(h) == ''  # an EntityDescriptor needs an entityID: no invented one
    lines = handoff_file(h).splitlines()
    assert lines[lines.index('org = acme-prod') + 7].startswith('audience = NONE')
    assert [f['suffix'] for f in sso_handoff_files(h)] == ['.handoff.txt']
    # the module side: the suggestion is not the entity id
    sp = service_provider(domain='mypurecloud.ie', org_short_name='acme-prod')
    assert sp['entity_id'] is None and sp['suggested_entity_id'] == 'genesys.cloud.acme-prod'


def test_the_org_short_name_comes_from_the_clients_probe_when_the_org_was_not_read():
    c = converged()
    del c['organization']
    c['service_provider']['organization_short_name'] = None
    c['clients_before'] = dict(report=[dict(organization=dict(id='o-1', short_name='from-bot'))])
    assert handoff(c)['organization_short_name'] == 'from-bot'
    nothing = converged()
    del nothing['organization']
    nothing['service_provider']['organization_short_name'] = None
    h = handoff(nothing)
    assert h['organization_short_name'] is None and 'OrganizationName = UNKNOWN' in h['lines'][1]
    assert handoff(nothing, given_org='given')['organization_short_name'] == 'given'


def test_check_mode_with_a_change_is_planned_and_writes_no_file():
    c = converged()
    c['changed'] = True
    h = handoff(c, mode='check')
    assert h['state'] == 'planned' and 'check mode' in h['lines'][0]
    assert sso_handoff_files(h) == []
    # check mode without a change: the values in force
    assert handoff(converged(), mode='check')['state'] == 'in_force'


def test_a_failed_run_without_rollback_hands_nothing_over():
    # failed after the write (e.g. the rollback itself failed): an earlier handoff file is replaced by "none"
    h = handoff(dict(failed=True, msg='HTTP 503', failed_step='clients_after', rolled_back=False), failed=True)
    assert h['state'] == 'none' and h['lines'][0].startswith('Nothing to enter at the IdP')
    assert handoff_file(h).splitlines()[1] == 'state = none' and 'after writing' in h['why']
    # failed before any write, or step 4 did not run: the provider is as it was, an earlier file stays
    for result, failed in ((dict(failed=True, msg='bot fails', failed_step='clients_before'), True),
                           (dict(failed=True, msg='HTTP 403'), True), ({}, False)):
        h = handoff(result, failed=failed)
        assert h['state'] == 'none' and handoff_file(h) == '' and sso_handoff_files(h) == []


def test_the_files_of_every_org_from_hostvars():
    hostvars = {'a': dict(saml_sso_result=dict(handoff=handoff(converged(), org='a'))),
                'b': dict(saml_sso_result=dict(kind='audit')), 'c': {}}
    out = sso_handoff_files(hostvars, ['a', 'b', 'c', 'missing'])
    assert [(f['host'], f['suffix']) for f in out] == [('a', '.handoff.txt'), ('a', '.sp-metadata.xml')]
    assert sorted(FilterModule().filters()) == ['sso_handoff', 'sso_handoff_files']


# ------------------------------------------------------------------------------------------ SP metadata XML

def test_sp_metadata_is_valid_saml_metadata_and_pysaml2_loads_it():
    h = handoff(converged(), org='acme-prod')
    xml = sp_metadata_xml(h)
    metadata_schema().validate(xml)  # raises on any schema violation

    from saml2 import attribute_converter, config, mdstore
    store = mdstore.MetadataStore(attribute_converter.ac_factory(), config.Config())
    store.load('inline', xml)
    entity = 'genesys.cloud.acme-prod'
    acs = store.service(entity, 'spsso_descriptor', 'assertion_consumer_service')
    assert list(acs) == [HTTP_POST] and acs[HTTP_POST][0]['location'] == 'https://login.mypurecloud.ie/saml'
    slo = store.service(entity, 'spsso_descriptor', 'single_logout_service')
    assert list(slo) == [HTTP_REDIRECT]
    [descriptor] = store[entity]['spsso_descriptor']
    assert [n['text'] for n in descriptor['name_id_format']] == [NAMEID_EMAIL]
    # what a pysaml2 IdP reads as the SP's wish: email and OrganizationName by these names, NameFormat unspecified
    # (its default attribute maps would otherwise send email as urn:oid:1.2.840.113549.1.9.1.1)
    required = store.attribute_requirement(entity)['required']
    expected = [('email', ATTR_UNSPECIFIED), ('OrganizationName', ATTR_UNSPECIFIED)]
    assert [(a['name'], a['name_format']) for a in required] == expected


def test_sp_metadata_escapes_values_and_follows_the_provider_slo_binding():
    h = handoff(converged(relying_party_identifier='urn:acme:genesys&<x>', slo_binding='HTTP Post',
                          name_identifier_format='urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'))
    xml = sp_metadata_xml(h)
    metadata_schema().validate(xml)
    assert 'entityID="urn:acme:genesys&amp;&lt;x&gt;"' in xml
    assert 'SingleLogoutService Binding="%s"' % HTTP_POST in xml
    assert '<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>' in xml


# ------------------------------------------------------------------------------------------ the module side

def test_after_a_rollback_the_result_holds_the_restored_provider_not_the_undone_one(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD)})
    api.after[('PUT', '/api/v2/identityproviders/okta')] = lambda a: clients.update(ok=False)
    with pytest.raises(GenesysModuleFail) as info:
        run(api, backup=True, backup_dir=str(tmp_path), preserved_clients=[BOT], **okta())
    result = info.value.extra
    assert result['rolled_back'] is True and api.state('okta')['relyingPartyIdentifier'] == 'genesys.cloud.old-rp'
    assert result['end_state']['relying_party_identifier'] == 'genesys.cloud.old-rp'
    assert result['service_provider']['entity_id'] == 'genesys.cloud.old-rp'
    # the role's summary of that failed, rolled-back step: the values now in force, never the undone ones
    r = summary(dict(result, failed=True, msg=info.value.msg), org='acme-prod', provider_type='okta', failed=True,
                failed_step='clients_after', error='bot fails', rolled_back=True)
    text = '\n'.join(r['lines'])
    assert r['handoff']['state'] == 'in_force' and 'after the rollback' in r['handoff']['why']
    assert 'genesys.cloud.old-rp' in text and 'genesys.cloud.new-rp' not in text
    assert r['handoff']['organization_short_name'] == 'acme-prod'


def test_the_next_run_undoing_an_interrupted_change_hands_over_the_restored_provider(tmp_path, clients):
    # a run killed after its PUT left the org with the change; the next run finds the bot failing and undoes it
    api = Api(providers={'okta': dict(OLD, relyingPartyIdentifier='genesys.cloud.new-rp')})
    backup = tmp_path / 'acme-prod_okta_backup.json'
    backup.write_text(json.dumps(dict(format=idp_core.BACKUP_FORMAT, version=1, type='okta', provider=dict(OLD),
                                      api_url=api.api_url, organization=dict(short_name='acme-prod', id='org-id-1'))))
    journal = txn.Journal.create(str(tmp_path), 'acme-prod_okta', api_url=api.api_url, client_id='admin',
                                 organization=dict(short_name='acme-prod', id='org-id-1'), type='okta',
                                 provider_id=None, label='okta', name='Okta', operation='PUT', before=dict(OLD),
                                 payload=dict(OLD, relyingPartyIdentifier='genesys.cloud.new-rp'),
                                 backup_file=str(backup), clients=['reporting-bot'])
    journal.update(txn.WRITTEN)
    clients['ok'] = False
    with pytest.raises(GenesysModuleFail) as info:
        run(api, backup=True, backup_dir=str(tmp_path), preserved_clients=[BOT], **okta())
    result = info.value.extra
    assert result['failed_step'] == 'recover' and result['rolled_back'] is True
    assert api.state('okta')['relyingPartyIdentifier'] == 'genesys.cloud.old-rp'
    h = handoff(dict(result, failed=True), failed=True, rolled_back=True)
    assert h['state'] == 'in_force' and h['audience'] == 'genesys.cloud.old-rp'


def test_a_rolled_back_create_hands_nothing_over(tmp_path, clients):
    api = Api()
    api.after[('PUT', '/api/v2/identityproviders/okta')] = lambda a: clients.update(ok=False)
    with pytest.raises(GenesysModuleFail) as info:
        run(api, backup=True, backup_dir=str(tmp_path), preserved_clients=[BOT], **okta())
    result = info.value.extra
    assert result['rolled_back'] is True and result.get('service_provider') is None
    h = handoff(dict(result, failed=True), failed=True, rolled_back=True)
    assert h['state'] == 'none' and 'no provider of this type is in force' in h['why']
    # a rolled-back result that does not say what is in force hands nothing over either
    assert 'does not say which values are in force' in handoff(dict(rolled_back=True), rolled_back=True)['why']


def test_a_converged_run_takes_the_short_name_from_the_clients_probe_without_a_request(clients):
    api = Api(providers={'okta': dict(OLD)})
    args = okta(issuer_uri=OLD['issuerURI'], sso_target_uri=OLD['ssoTargetURI'], certificates=None,
                relying_party_identifier=OLD['relyingPartyIdentifier'])
    result = run(api, preserved_clients=[BOT], **args)
    assert result['changed'] is False and org_reads(api) == []
    assert result['service_provider']['organization_short_name'] == 'acme-prod'
    assert result['organization']['short_name'] == 'acme-prod'
    # without preserved clients and without org_short_name it costs one read (no other answer carries it)
    api.log[:] = []
    alone = run(api, **args)
    assert org_reads(api) == [('GET', '/api/v2/organizations/me')]
    assert alone['service_provider']['organization_short_name'] == api.org_short_name
    api.log[:] = []
    run(api, org_short_name='given', **args)
    assert org_reads(api) == []


def test_the_service_provider_values_are_what_genesys_holds_not_what_was_asked(clients):
    # the platform drops relyingPartyIdentifier (a dropped-field variant): the audience is not handed over
    api = Api()

    def drop(a):
        a.providers['okta']['data'].pop('relyingPartyIdentifier', None)
    api.after[('PUT', '/api/v2/identityproviders/okta')] = drop
    result = run(api, org_short_name='acme-prod', **okta())
    assert result['service_provider']['entity_id'] is None
    assert result['service_provider']['suggested_entity_id'] == 'genesys.cloud.acme-prod'
    assert handoff(result)['audience'] is None
    # the platform fills an empty relyingPartyIdentifier itself (a filled-relying-party variant): that value is handed
    api = Api()

    def fill(a):
        a.providers['okta']['data']['relyingPartyIdentifier'] = 'https://login.mypurecloud.ie/saml'
    api.after[('PUT', '/api/v2/identityproviders/okta')] = fill
    args = okta()
    del args['relying_party_identifier']
    filled = run(api, org_short_name='acme-prod', **args)
    assert filled['service_provider']['entity_id'] == 'https://login.mypurecloud.ie/saml'
    assert handoff(filled)['audience'] == 'https://login.mypurecloud.ie/saml'


def test_okta_metadata_listing_unspecified_first_configures_email_address():
    xml = ('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/exk1">'
           '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
           '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
           '<ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
           '<md:NameIDFormat>%s</md:NameIDFormat><md:NameIDFormat>%s</md:NameIDFormat>'
           '<md:SingleSignOnService Binding="%s" Location="https://acme.okta.com/sso"/>'
           '</md:IDPSSODescriptor></md:EntityDescriptor>'
           % (''.join(make_cert('okta-md').strip().splitlines()[1:-1]), NAMEID_UNSPECIFIED, NAMEID_EMAIL, HTTP_POST))
    api = Api()
    result = run(api, type='okta', idp_metadata=xml, org_short_name='acme-prod')
    assert api.state('okta')['nameIdentifierFormat'] == NAMEID_EMAIL
    h = handoff(result, org='acme-prod')
    assert h['name_id_format'] == NAMEID_EMAIL and 'NameID: format %s' % NAMEID_EMAIL in h['lines'][1]
