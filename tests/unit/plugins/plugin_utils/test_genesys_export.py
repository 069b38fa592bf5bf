# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The export of an org as the saml_sso role's input (plugin_utils/genesys_export.py, filters sso_export*)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.genesyscloud.sso.plugins.filter.sso_export import FilterModule
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_certs import load_certificates
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import (
    ALL_TYPES, OPTION_FIELDS, TYPE_FIELDS, build_desired, changed_fields)
from ansible_collections.genesyscloud.sso.plugins.plugin_utils import genesys_export as ex
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import bare, make_cert

ROLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'roles', 'saml_sso')
SPECS = os.path.join(ROLE, 'meta', 'argument_specs.yml')
SECRETS = ('admin-secret-Qx7', 'bot-secret-Wy3', 'token-Zz9', 'password-Pp1', 'assertion-Aa2')
LOGO = 'PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4='


def _api(ptype, certs=()):
    """Every writable field of ``ptype`` set to a non-default value."""
    values = dict(
        name='%s IdP' % ptype, disabled=True, issuerURI='https://idp.example/%s' % ptype,
        ssoTargetURI='https://idp.example/sso', sloURI='https://idp.example/slo',
        sloBinding='urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', relyingPartyIdentifier='genesys.cloud.acme',
        logoImageData=LOGO, nameIdentifierFormat='urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        ssoBinding='urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', signAuthnRequests=True, providerName='Acme',
        displayOnLogin=True, metadataURL='https://idp.example/md', forceAuthn=True, endpointCompression=True,
        autoProvisionUsers=True)
    api = dict((k, v) for k, v in values.items() if k in TYPE_FIELDS[ptype])
    if certs and 'certificates' in TYPE_FIELDS[ptype]:
        api['certificates'] = [bare(c) for c in certs]
        api['certificate'] = bare(certs[0])
    return api


def _values(**extra):
    values = dict(
        saml_sso_api_url='https://api.example', saml_sso_region='', saml_sso_client_id='admin-id',
        saml_sso_client_secret=SECRETS[0], saml_sso_access_token='', saml_sso_timeout=30, saml_sso_retries='5',
        saml_sso_probe_paths=['/api/v2/organizations/me'], saml_sso_fail_late=True, saml_sso_export_dir='/x',
        saml_sso_provider=dict(type='okta', issuer_uri='from the inventory, not exported'),
        saml_sso_preserved_clients=[dict(name='wfm bot', client_id='bot-id', client_secret=SECRETS[1],
                                         probe_paths=['/api/v2/users/me'])])
    values.update(extra)
    return values


def _render(text, tmp_path, inventory_dir='/inv'):
    """What Ansible makes of an exported host_vars file: loaded as a vars file is, then templated."""
    try:
        from ansible.plugins.loader import init_plugin_loader   # the env lookup of the placeholders
        init_plugin_loader()
    except ImportError:  # pragma: no cover - older ansible-core loads plugins on demand
        pass
    path = tmp_path / 'x.yml'
    path.write_text(text)
    loader = DataLoader()
    try:
        data = loader.load_from_file(str(path), trusted_as_template=True)  # ansible-core >= 2.19: vars files
    except TypeError:  # pragma: no cover - older ansible-core: every loaded string but !unsafe is a template
        data = loader.load_from_file(str(path))
    return Templar(loader=loader, variables=dict(inventory_dir=inventory_dir)).template(data)


@pytest.mark.parametrize('ptype', ALL_TYPES)
def test_every_field_of_every_type_maps_back_to_its_option_and_compares_equal(ptype):
    pem = make_cert('idp.example')
    api = _api(ptype, [pem])
    options, files, notes = ex.provider_options(ptype, api, 'c0ffee00-0000-4000-8000-000000000001',
                                                'certificates/acme/')
    assert options['type'] == ptype and notes == []
    assert options['enabled'] is False
    assert options.get('id') == ('c0ffee00-0000-4000-8000-000000000001' if ptype == 'custom' else None)
    for option, field in OPTION_FIELDS:
        if field in api and option not in ('enabled', 'certificates'):
            assert options[option] == api[field], option
        if field not in TYPE_FIELDS[ptype]:
            assert option not in options, option
    # what the module would compute from these options: no changed field
    given = dict((k, v) for k, v in options.items() if k not in ('type', 'id'))
    certs = None
    if ptype != 'purecloud':
        assert files == [('certificates/acme/%s-1.pem' % ptype, load_certificates(pem)[0].pem)]
        assert given['certificates'] == ['{{ inventory_dir }}/certificates/acme/%s-1.pem' % ptype]
        certs = load_certificates([content for dummy, content in files])
    else:
        assert files == [] and 'certificates' not in options
    assert changed_fields(api, build_desired(ptype, given, certs)) == []


def test_none_and_empty_fields_are_left_out_and_absent_disabled_is_enabled():
    options, files, notes = ex.provider_options('generic', dict(name='G', sloURI='', relyingPartyIdentifier=None,
                                                                signAuthnRequests=False))
    assert options == dict(type='generic', name='G', enabled=True, sign_authn_requests=False)
    assert files == [] and notes == []


def test_certificates_deduplicated_across_both_fields_and_an_unparseable_one_is_named():
    one, two = make_cert('one.example'), make_cert('two.example')
    api = dict(certificate=bare(one), certificates=[bare(one), bare(two), 'not a certificate'])
    options, files, notes = ex.provider_options('okta', api, cert_prefix='certificates/h/')
    assert [f[0] for f in files] == ['certificates/h/okta-1.pem', 'certificates/h/okta-2.pem']
    assert len(options['certificates']) == 2
    assert len(notes) == 1 and 'cannot be parsed' in notes[0]


def test_the_provider_the_export_describes():
    okta = dict(type='okta', enabled=True, name='Okta')
    pure = dict(type='purecloud', enabled=True, name='PureCloud')
    off = dict(type='adfs', enabled=False, name='Old ADFS')
    custom = dict(type='custom', enabled=True, id='id-1', name='Corp')
    assert ex.export_target([pure, okta]) == dict(type='okta', name='Okta')
    assert ex.export_target([off, pure, custom]) == dict(type='custom', id='id-1', name='Corp')
    assert ex.export_target([off, pure]) == dict(type='adfs', name='Old ADFS')   # only disabled ones: still SAML
    assert ex.export_target([pure]) == dict(type='purecloud', name='PureCloud')
    assert ex.export_target([]) == dict(type='purecloud')
    assert ex.export_target(None) == dict(type='purecloud')


def test_inputs_secrets_become_env_placeholders_and_defaults_are_left_out():
    values = _values(saml_sso_grant_type='token', saml_sso_access_token=SECRETS[2], saml_sso_password=SECRETS[3],
                     saml_sso_assertion=SECRETS[4], saml_sso_username='ops@acme.example')
    inputs, env = ex.export_inputs(values, SPECS, 'ACME_PROD')
    names = dict(env)
    assert names == {
        'GENESYSCLOUD_SSO_ACME_PROD_CLIENT_SECRET': 'saml_sso_client_secret',
        'GENESYSCLOUD_SSO_ACME_PROD_ACCESS_TOKEN': 'saml_sso_access_token',
        'GENESYSCLOUD_SSO_ACME_PROD_PASSWORD': 'saml_sso_password',
        'GENESYSCLOUD_SSO_ACME_PROD_ASSERTION': 'saml_sso_assertion',
        'GENESYSCLOUD_SSO_ACME_PROD_WFM_BOT_SECRET': 'saml_sso_preserved_clients[0].client_secret ("wfm bot")',
    }
    assert inputs['saml_sso_client_secret'] == "{{ lookup('ansible.builtin.env', 'GENESYSCLOUD_SSO_ACME_PROD_CLIENT_SECRET') }}"
    assert inputs['saml_sso_preserved_clients'] == [dict(
        name='wfm bot', client_id='bot-id', probe_paths=['/api/v2/users/me'],
        client_secret="{{ lookup('ansible.builtin.env', 'GENESYSCLOUD_SSO_ACME_PROD_WFM_BOT_SECRET') }}")]
    # defaults (also given as text), empty values, the provider of the inventory and playbook settings are not exported
    for name in ('saml_sso_region', 'saml_sso_timeout', 'saml_sso_retries', 'saml_sso_probe_paths',
                 'saml_sso_fail_late', 'saml_sso_export_dir', 'saml_sso_provider'):
        assert name not in inputs, name
    assert inputs['saml_sso_grant_type'] == 'token' and inputs['saml_sso_username'] == 'ops@acme.example'
    assert values['saml_sso_preserved_clients'][0]['client_secret'] == SECRETS[1]   # the caller's data is untouched


def test_an_empty_secret_is_left_out_for_the_environment_fallback_and_clients_without_unique_names_get_numbers():
    clients = [dict(name='bot', client_id='a', client_secret='s1'), dict(name='BOT', client_id='b', client_secret='s2'),
               dict(client_id='c', client_secret='')]
    inputs, env = ex.export_inputs(_values(saml_sso_client_secret='', saml_sso_preserved_clients=clients), SPECS, 'O')
    assert 'saml_sso_client_secret' not in inputs
    assert [e[0] for e in env] == ['GENESYSCLOUD_SSO_O_CLIENT1_SECRET', 'GENESYSCLOUD_SSO_O_CLIENT2_SECRET']
    assert inputs['saml_sso_preserved_clients'][2]['client_secret'] == ''


def _org(org='acme_prod', **kw):
    one, two = make_cert('one.example'), make_cert('two.example')
    provider = dict(type='custom', id='c0ffee00-0000-4000-8000-000000000001', name='Corp', enabled=True,
                    api_fields=_api('custom', [one, two]))
    provider['api_fields']['name'] = kw.pop('name', 'Corp')
    providers = [dict(type='purecloud', name='PureCloud', enabled=True), provider,
                 dict(type='custom', id='c0ffee00-0000-4000-8000-000000000002', name='Other\nline', enabled=False)]
    return ex.export_org(_values(**kw), SPECS, org, provider=provider, providers=providers,
                         organization=dict(short_name='acme', id='o-1'))


def test_the_files_of_an_org_load_in_ansible_as_the_role_input_without_any_secret(tmp_path, monkeypatch):
    result = _org()
    assert result['host'] == 'acme_prod' and result['adopted'] is True
    assert [f['path'] for f in result['files']] == [
        'host_vars/acme_prod.yml', 'certificates/acme_prod/custom-1.pem', 'certificates/acme_prod/custom-2.pem']
    text = result['files'][0]['content']
    for secret in SECRETS:
        assert secret not in text
    assert text.startswith('---\n# The single sign-on of the Genesys Cloud org of inventory host "acme_prod"')
    assert '#   GENESYSCLOUD_SSO_ACME_PROD_CLIENT_SECRET  (saml_sso_client_secret)' in text
    assert '# Not managed by this file (the role configures one provider per org): purecloud "PureCloud".' in text
    assert '"Other\\nline" (id "c0ffee00-0000-4000-8000-000000000002")' in text     # one comment line, quoted
    monkeypatch.setenv('GENESYSCLOUD_SSO_ACME_PROD_CLIENT_SECRET', 'from-the-environment')
    data = _render(text, tmp_path)
    assert data['saml_sso_client_secret'] == 'from-the-environment'
    assert data['saml_sso_provider']['certificates'] == ['/inv/certificates/acme_prod/custom-1.pem',
                                                         '/inv/certificates/acme_prod/custom-2.pem']
    assert data['saml_sso_provider']['enabled'] is False and data['saml_sso_provider']['name'] == 'Corp'
    assert data['saml_sso_api_url'] == 'https://api.example'
    assert set(data) == {'saml_sso_api_url', 'saml_sso_client_id', 'saml_sso_client_secret',
                         'saml_sso_preserved_clients', 'saml_sso_provider'}
    assert result['env'] == ['GENESYSCLOUD_SSO_ACME_PROD_CLIENT_SECRET', 'GENESYSCLOUD_SSO_ACME_PROD_WFM_BOT_SECRET']


def test_a_template_the_org_holds_is_written_unsafe_and_never_evaluated(tmp_path):
    hostile = "Corp {{ lookup('ansible.builtin.pipe', 'id') }} {% raw %}"
    result = _org(name=hostile, saml_sso_client_id='id-{{ 7 * 6 }}')
    text = result['files'][0]['content']
    assert "name: !unsafe 'Corp {{ lookup(''ansible.builtin.pipe'', ''id'') }} {% raw %}'" in text
    data = _render(text, tmp_path)
    assert data['saml_sso_provider']['name'] == hostile
    assert data['saml_sso_client_id'] == 'id-{{ 7 * 6 }}'


@pytest.mark.parametrize('host', ['../../etc/x', 'a/b', '.hidden', 'line\nsaml_sso_client_secret: leaked', ' '])
def test_a_hostile_host_name_gives_a_safe_file_name_and_cannot_inject_yaml(host):
    result = _org(org=host)
    safe = result['host']
    assert safe != host and '/' not in safe and not safe.startswith('.')
    for entry in result['files']:
        assert os.path.normpath(entry['path']) == entry['path'] and not entry['path'].startswith(('/', '..'))
        assert entry['path'].split('/')[1] in (safe + '.yml', safe)
    text = result['files'][0]['content']
    assert '# The host name is not a safe file name: the host is exported as "%s"' % safe in text
    data = yaml.safe_load(text.replace('!unsafe', ''))
    assert data['saml_sso_client_secret'].startswith("{{ lookup('ansible.builtin.env', 'GENESYSCLOUD_SSO_")
    assert all(line.startswith(('#', ' ', '-', 'saml_sso_')) for line in text.splitlines()[1:])


def test_an_org_without_any_provider_is_not_adopted_and_goes_to_a_group_the_playbooks_do_not_run():
    bare_org = ex.export_org(_values(), SPECS, 'bare', provider=None, providers=[])
    assert bare_org['adopted'] is False and [f['path'] for f in bare_org['files']] == ['host_vars/bare.yml']
    assert 'saml_sso_provider' not in yaml.safe_load(bare_org['files'][0]['content'])
    assert 'nothing to adopt' in bare_org['files'][0]['content']
    text = ex.inventory_text([_org(), bare_org, None, _org(org='a/b')])
    groups = yaml.safe_load(text)
    assert sorted(groups['genesys_orgs']['hosts']) == sorted(['acme_prod', ex.path_segment('a/b')])
    assert list(groups['genesys_orgs_without_provider']['hosts']) == ['bare']
    assert list(yaml.safe_load(ex.inventory_text([_org()]))) == ['genesys_orgs']


def test_the_filters_are_registered_under_their_documented_names_and_mark_their_result_unsafe():
    filters = FilterModule().filters()
    assert sorted(filters) == ['sso_export', 'sso_export_inventory', 'sso_export_target']
    filter_dir = os.path.join(ROLE, '..', '..', 'plugins', 'filter')
    for name in filters:
        with open(os.path.join(filter_dir, name + '.yml'), encoding='utf-8') as handle:
            assert yaml.safe_load(handle)['DOCUMENTATION']['name'] == name
    result = filters['sso_export'](_values(), SPECS, org='acme', provider={}, providers=[])
    assert result['host'] == 'acme' and result['adopted'] is False
    assert 'genesys_orgs' in filters['sso_export_inventory']([result, None])


def _vault_loader(password):
    from ansible.parsing.vault import VaultSecret
    loader = DataLoader()
    loader.set_vault_secrets([('default', VaultSecret(password))])
    return loader


def test_a_vault_encrypted_value_is_written_back_as_the_same_ciphertext_never_as_its_text(tmp_path, monkeypatch):
    from ansible.parsing import vault as vault_module
    password = b'vault-password-for-the-test'
    secrets = [('default', vault_module.VaultSecret(password))]
    vault = vault_module.VaultLib(secrets)
    if hasattr(vault_module, 'VaultSecretsContext'):  # ansible-core >= 2.19: what ansible-playbook sets up
        monkeypatch.setattr(vault_module.VaultSecretsContext, '_current', vault_module.VaultSecretsContext(secrets))
    blocks = dict((name, vault.encrypt(text).decode('ascii')) for name, text in
                  (('secret', SECRETS[0]), ('client_id', 'vaulted-admin-id'), ('bot', SECRETS[1])))

    def indent(text):
        return '\n'.join('      ' + line for line in text.splitlines())
    source = tmp_path / 'inventory_vars.yml'
    source.write_text(
        'saml_sso_client_secret: !vault |\n%s\nsaml_sso_client_id: !vault |\n%s\n'
        'saml_sso_preserved_clients:\n  - name: bot\n    client_id: bot-id\n    client_secret: !vault |\n%s\n'
        % (indent(blocks['secret']).replace('      ', '  ', 1).replace('\n      ', '\n  '),
           indent(blocks['client_id']).replace('      ', '  ', 1).replace('\n      ', '\n  '),
           indent(blocks['bot'])))
    loaded = _vault_loader(password).load_from_file(str(source))
    assert str(loaded['saml_sso_client_secret']) == SECRETS[0]     # the inventory as Ansible reads it
    result = ex.export_org(_values(**loaded), SPECS, 'acme', provider=None, providers=[])
    text = result['files'][0]['content']
    for plain in (SECRETS[0], SECRETS[1], 'vaulted-admin-id'):
        assert plain not in text
    assert result['env'] == []                                      # nothing to set: the vault holds them
    assert 'written back as the same !vault ciphertext' in text
    exported = tmp_path / 'host_vars.yml'
    exported.write_text(text)
    again = _vault_loader(password).load_from_file(str(exported))
    assert str(again['saml_sso_client_secret']) == SECRETS[0]
    assert str(again['saml_sso_client_id']) == 'vaulted-admin-id'
    assert str(again['saml_sso_preserved_clients'][0]['client_secret']) == SECRETS[1]
    assert again['saml_sso_preserved_clients'][0]['client_id'] == 'bot-id'


def test_the_inventory_of_an_earlier_export_keeps_its_hosts_and_a_new_export_moves_a_host_to_its_group():
    earlier = ex.inventory_text([_org(org='kept'), _org(org='acme_prod'),
                                 ex.export_org(_values(), SPECS, 'was_bare', provider=None, providers=[])])
    # a --limit run that exports acme_prod again and finds a provider on was_bare
    text = ex.inventory_text([_org(org='acme_prod'), _org(org='was_bare')], earlier)
    groups = yaml.safe_load(text)
    assert sorted(groups['genesys_orgs']['hosts']) == ['acme_prod', 'kept', 'was_bare']
    assert 'genesys_orgs_without_provider' not in groups
    # only the two groups and safe host names of a hand-edited or broken file are kept
    edited = 'genesys_orgs:\n  hosts:\n    ../x:\n    ok_host:\nother:\n  hosts:\n    foreign:\n'
    assert sorted(yaml.safe_load(ex.inventory_text([], edited))['genesys_orgs']['hosts']) == ['ok_host']
    for broken in ('[', 'just text', 'genesys_orgs: [1, 2]', 'genesys_orgs:\n  hosts: [a]\n'):
        assert yaml.safe_load(ex.inventory_text([_org()], broken))['genesys_orgs']['hosts'] == {'acme_prod': None}
    assert FilterModule().filters()['sso_export_inventory']([None], earlier).count('kept') == 1


def test_a_password_in_a_url_is_never_written_and_a_value_the_module_refuses_is_named():
    api = dict(name='G', metadataURL='https://user:pa55word@idp.example/md', sloURI='http://idp.example/slo\nX')
    options, files, notes = ex.provider_options('generic', api)
    assert options['metadata_url'] == 'https://***@idp.example/md'
    assert 'pa55word' not in repr(options) + repr(notes)
    assert any('metadata_url holds a user name or password' in n for n in notes)
    assert any(n.startswith('the org holds a value configure_sso.yml refuses') and 'slo_uri' in n for n in notes)
    assert all('\n' not in n for n in notes)
    text = ex.export_org(_values(), SPECS, 'acme', provider=dict(type='generic', api_fields=api),
                         providers=[dict(type='generic', name='G')])['files'][0]['content']
    assert 'pa55word' not in text
    assert yaml.safe_load(text)['saml_sso_provider']['slo_uri'] == 'http://idp.example/slo\nX'   # as the org holds it
