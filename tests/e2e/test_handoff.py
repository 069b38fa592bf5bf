# -*- coding: utf-8 -*-
"""The handoff to the IdP admin end to end (issue 16 item 4): playbooks/configure_sso.yml against the emulator.

One run over three orgs (created; changed then rolled back; created without a relying party identifier) with
saml_sso_report_dir, then a re-run in check mode (one org converged, one with a pending change): what the summary
prints, the per-org handoff files beside the report,
the SP metadata XML (SAML 2.0 metadata schema, pysaml2), a sign-in with exactly the handed-over values, and the
requests (the org short name is known on the converged run without an extra request).
"""

import os
import stat
from importlib.resources import files as resource_files

import pytest
import requests

from helpers import run_playbook
from role_helpers import CONFIGURE, inventory, org_seed, provider_vars, providers_of, summaries

from genesys_emulator.saml_idp import TestIdP

IDP = TestIdP(entity_id='https://idp.handoff.example/entity', sso_url='https://idp.handoff.example/sso')
OLD_RP = 'genesys.cloud.old-known'
KNOWN = {'name': 'Corp IdP', 'issuerURI': 'https://old-idp.handoff.example/entity',
         'ssoTargetURI': 'https://old-idp.handoff.example/sso', 'certificates': [IDP.certificate_b64],
         'relyingPartyIdentifier': OLD_RP, 'disabled': False}
SEED = {'orgs': [org_seed('ho-fresh', 41), org_seed('ho-known', 42, providers={'generic': KNOWN}),
                 org_seed('ho-norp', 43)]}
ORGS = ['ho-fresh', 'ho-known', 'ho-norp']
HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'
UNSPECIFIED = 'urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified'

pytestmark = pytest.mark.emulator_seed(SEED)


def _file_values(path):
    values = {}
    with open(path, encoding='utf-8') as handle:
        for line in handle.read().splitlines():
            key, _sep, value = line.partition(' = ')
            values.setdefault(key, value)
    return values


def _validate_metadata(xml):
    import xmlschema
    from saml2 import attribute_converter, config
    from saml2.mdstore import MetadataStore

    schemas = resource_files('saml2.data.schemas')
    schema = xmlschema.XMLSchema(str(schemas.joinpath('saml-schema-metadata-2.0.xsd')), allow='sandbox', locations={
        'http://www.w3.org/XML/1998/namespace': str(schemas.joinpath('xml.xsd')),
        'http://www.w3.org/2000/09/xmldsig#': str(schemas.joinpath('xmldsig-core-schema.xsd')),
        'http://www.w3.org/2001/04/xmlenc#': str(schemas.joinpath('xenc-schema.xsd')),
        'urn:oasis:names:tc:SAML:2.0:assertion': str(schemas.joinpath('saml-schema-assertion-2.0.xsd'))})
    schema.validate(xml)
    store = MetadataStore(attribute_converter.ac_factory(), config.Config())
    store.load('inline', xml)
    return store


def test_the_handoff_reflects_each_provider_as_it_ends(emu, tmp_path):
    report = tmp_path / 'report'
    # ho-known: the bot's grant fails once the provider was written: the change is rolled back
    emu.add_fault(method='POST', path='^/oauth/token$', org='ho-known', client_id='ho-known-bot', status=401,
                  body={'error': 'invalid_client', 'error_description': 'authentication failed'}, after_write=True)
    norp = dict(provider_vars(IDP))
    del norp['relying_party_identifier']
    inv = inventory(emu, ORGS, provider_vars(IDP), tmp_path / 'backups', saml_sso_report_dir=str(report),
                    host_overrides={'ho-norp': {'saml_sso_provider': norp}})
    result = run_playbook(CONFIGURE, inventory=inv)
    assert result.rc != 0  # ho-known failed (rolled back)
    runs = summaries(result)

    # --- created: the values Genesys holds, with bindings, NameFormat, the NameID line and generic hints
    fresh = runs['ho-fresh']['handoff']
    assert fresh['state'] == 'in_force' and fresh['audience'] == 'genesys.cloud.ho-fresh'
    assert fresh['organization_short_name'] == 'ho-fresh' and fresh['family'] == 'generic'
    printed = '\n'.join(runs['ho-fresh']['lines'])
    assert 'ACS / single sign-on URL %s/saml (binding HTTP-POST)' % emu.url in printed
    assert 'NameID: format urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' in printed
    assert 'attributes (NameFormat %s)' % UNSPECIFIED in printed and 'OrganizationName = ho-fresh' in printed
    assert 'user.email' not in printed  # Okta syntax is not handed to a generic IdP
    assert 'ho-fresh' in result.stdout and 'NameID: format' in result.stdout

    text_file = report / 'ho-fresh.handoff.txt'
    assert stat.S_IMODE(os.stat(text_file).st_mode) == 0o600
    values = _file_values(text_file)
    assert values['acs_url'] == emu.url + '/saml' and values['acs_binding'] == HTTP_POST
    assert values['audience'] == 'genesys.cloud.ho-fresh' and values['attribute.OrganizationName'] == 'ho-fresh'
    assert values['attribute_name_format'] == UNSPECIFIED
    xml_file = report / 'ho-fresh.sp-metadata.xml'
    assert stat.S_IMODE(os.stat(xml_file).st_mode) == 0o600
    store = _validate_metadata(xml_file.read_text(encoding='utf-8'))
    acs = store.service('genesys.cloud.ho-fresh', 'spsso_descriptor', 'assertion_consumer_service')
    assert acs[HTTP_POST][0]['location'] == emu.url + '/saml'
    assert [a['name'] for a in store.attribute_requirement('genesys.cloud.ho-fresh')['required']] == [
        'email', 'OrganizationName']

    # the IdP admin enters exactly these values: a user signs in
    response = IDP.signed_response('alice@ho-fresh.example', values['attribute.OrganizationName'],
                                   audience=values['audience'], acs_url=values['acs_url'])
    answer = requests.post(values['acs_url'], data={'SAMLResponse': response}, verify=emu.ca_path, timeout=30)
    assert answer.status_code == 200, answer.text

    # --- rolled back: the values now in force (the restored provider), never the undone ones
    known = runs['ho-known']
    assert known['rolled_back'] is True and known['handoff']['state'] == 'in_force'
    assert known['handoff']['audience'] == OLD_RP
    assert providers_of(emu, 'ho-known')['generic']['relyingPartyIdentifier'] == OLD_RP
    known_text = '\n'.join(known['lines'])
    assert 'after the rollback' in known_text and OLD_RP in known_text
    assert 'genesys.cloud.ho-known' not in known_text
    assert _file_values(report / 'ho-known.handoff.txt')['audience'] == OLD_RP

    # --- no relying party identifier held: the audience is not handed over, no SP metadata written
    none = runs['ho-norp']['handoff']
    assert none['audience'] is None and not providers_of(emu, 'ho-norp')['generic'].get('relyingPartyIdentifier')
    assert 'audience / SP entity ID NONE held by Genesys Cloud' in '\n'.join(runs['ho-norp']['lines'])
    assert _file_values(report / 'ho-norp.handoff.txt')['audience'].startswith('NONE')
    assert not (report / 'ho-norp.sp-metadata.xml').exists()

    # --- a re-run in check mode: ho-fresh is converged: the short name is known (from the bot's probe of
    # /api/v2/organizations/me) with no extra request of the admin; ho-norp would change (a relying party identifier
    # now): its handoff is marked planned and its handoff file is left as the provider still is
    norp_file = (report / 'ho-norp.handoff.txt').read_text(encoding='utf-8')
    emu.clear_requests()
    inv = inventory(emu, ['ho-fresh', 'ho-norp'], provider_vars(IDP), tmp_path / 'backups',
                    saml_sso_report_dir=str(report))
    again = run_playbook(CONFIGURE, inventory=inv, check=True)
    assert again.rc == 0, again
    checked = summaries(again)
    assert checked['ho-fresh']['changed'] is False and checked['ho-fresh']['handoff']['state'] == 'in_force'
    assert checked['ho-fresh']['handoff']['organization_short_name'] == 'ho-fresh'
    assert 'OrganizationName = ?' not in again.stdout and 'OrganizationName = ho-fresh' in again.stdout
    admin = [(r['method'], r['path']) for r in emu.requests(org='ho-fresh') if r['client'] == 'ho-fresh-admin']
    assert ('GET', '/api/v2/organizations/me') not in admin, admin
    planned = checked['ho-norp']['handoff']
    assert checked['ho-norp']['changed'] is True and planned['state'] == 'planned'
    assert planned['audience'] == 'genesys.cloud.ho-norp' and 'check mode' in checked['ho-norp']['lines'][-3]
    assert (report / 'ho-norp.handoff.txt').read_text(encoding='utf-8') == norp_file
    assert not (report / 'ho-norp.sp-metadata.xml').exists()
