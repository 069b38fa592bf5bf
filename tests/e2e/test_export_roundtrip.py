# -*- coding: utf-8 -*-
"""Adopt orgs as they are (issue 16 item 10): ``audit_sso.yml`` with ``saml_sso_export_dir`` writes the role's input
of every org, and ``configure_sso.yml --check`` on the exported inventory reports no change, on every provider type.

One emulator with one org per provider type (the ten per-type SAML types, the Genesys Cloud login alone, a custom
provider, and an org with no provider at all), ONE audit run that exports them all and ONE check run over the
exported inventory. The secrets are never in the files: the check run gets them from the environment variables the
placeholders name.
"""

import base64
import hashlib
import os
import re
import stat

import pytest
import yaml

from helpers import run_playbook
from role_helpers import AUDIT, CONFIGURE, org_seed, secrets_of, summaries, writes

from genesys_emulator.saml_idp import TestIdP

IDP = TestIdP(entity_id='https://idp.export.example/entity', sso_url='https://idp.export.example/sso')
IDP2 = TestIdP(entity_id='https://idp2.export.example/entity', sso_url='https://idp2.export.example/sso')
LOGO = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>').decode('ascii')

SAML_PER_TYPE = ('adfs', 'cic', 'generic', 'gsuite', 'identitynow', 'okta', 'onelogin', 'ping', 'pureengage',
                 'salesforce')
HOSTILE_HOST = 'weird org/../x'
# API field -> option of genesys_identity_provider (written out here, independent of the collection's table)
FIELD_OPTIONS = {
    'name': 'name', 'issuerURI': 'issuer_uri', 'ssoTargetURI': 'sso_target_uri', 'sloURI': 'slo_uri',
    'sloBinding': 'slo_binding', 'relyingPartyIdentifier': 'relying_party_identifier',
    'nameIdentifierFormat': 'name_identifier_format', 'ssoBinding': 'sso_binding',
    'signAuthnRequests': 'sign_authn_requests', 'endpointCompression': 'endpoint_compression',
    'logoImageData': 'logo_image_data', 'providerName': 'provider_name', 'displayOnLogin': 'display_on_login',
    'metadataURL': 'metadata_url', 'forceAuthn': 'force_authn', 'autoProvisionUsers': 'auto_provision_users',
}
HOSTILE_NAME = "Corp {{ lookup('ansible.builtin.pipe', 'touch /tmp/pwned-by-export') }} IdP"


def _saml(ptype, index):
    body = {
        'name': '%s IdP' % ptype.title(),
        'disabled': False,
        'issuerURI': 'https://idp.export.example/%s/entity' % ptype,
        'ssoTargetURI': 'https://idp.export.example/%s/sso' % ptype,
        'sloURI': 'https://idp.export.example/%s/slo' % ptype,
        'sloBinding': 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
        'relyingPartyIdentifier': 'genesys.cloud.export-%s' % ptype,
        'certificates': [IDP.certificate_b64],
        'certificate': IDP.certificate_b64,
        'nameIdentifierFormat': 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        'ssoBinding': 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
        'signAuthnRequests': index % 2 == 0,
        'providerName': 'Export %s' % ptype,
        'displayOnLogin': index % 2 == 1,
        'metadataURL': 'https://idp.export.example/%s/metadata' % ptype,
        'forceAuthn': index % 3 == 0,
        'logoImageData': LOGO,
    }
    if ptype == 'generic':
        body['endpointCompression'] = True
    if ptype == 'pureengage':
        body['autoProvisionUsers'] = True
    if ptype == 'salesforce':
        body['disabled'] = True       # exported as enabled: false (the Genesys Cloud login stays on)
    if ptype == 'okta':
        body.pop('certificates')      # the single-certificate field only
    return body


def _orgs():
    orgs = {}
    for index, ptype in enumerate(SAML_PER_TYPE):
        providers = {ptype: _saml(ptype, index)}
        if ptype == 'salesforce':
            providers['purecloud'] = {'name': 'PureCloud', 'disabled': False}
        if ptype == 'okta':
            providers['purecloud'] = {'name': 'PureCloud', 'disabled': True}
        orgs['export-%s' % ptype] = providers
    orgs['export-purecloud'] = {'purecloud': {'name': 'PureCloud', 'disabled': False}}
    custom = _saml('custom', 11)
    custom.update(name=HOSTILE_NAME, certificates=[IDP.certificate_b64, IDP2.certificate_b64], endpointCompression=False)
    custom.pop('certificate')
    orgs['export-custom'] = {'custom': [custom]}
    orgs['export-bare'] = {}
    return orgs


ORGS = _orgs()
SEED = {'orgs': [org_seed(name, 900 + i, providers=providers) for i, (name, providers) in enumerate(ORGS.items())]}
# inventory host -> emulator org (one host name that is no safe file name)
HOSTS = dict((HOSTILE_HOST if name == 'export-custom' else name, name) for name in ORGS)

pytestmark = pytest.mark.emulator_seed(SEED)


def _fingerprint(b64):
    return hashlib.sha256(base64.b64decode(b64)).hexdigest()


def _pem_fingerprint(pem):
    body = ''.join(line for line in pem.splitlines() if not line.startswith('-----'))
    return _fingerprint(body)


def _safe_name(host):
    return host if host != HOSTILE_HOST else re.sub(r'[^A-Za-z0-9._-]+', '_', host).lstrip('.')[:80] + '-' + \
        hashlib.sha256(host.encode('utf-8')).hexdigest()[:12]


def test_export_then_check_reports_no_change_on_every_type(emu, tmp_path):
    export_dir = tmp_path / 'export'
    hosts = {}
    for host, org in HOSTS.items():
        hosts[host] = {
            'saml_sso_client_id': org + '-admin',
            'saml_sso_client_secret': org + '-admin-secret',
            'saml_sso_preserved_clients': [
                {'name': 'reporting-bot', 'client_id': org + '-bot', 'client_secret': org + '-bot-secret'}],
        }
    audit_inventory = {'genesys_orgs': {'hosts': hosts, 'vars': {
        'saml_sso_api_url': emu.url, 'saml_sso_login_url': emu.url, 'saml_sso_ca_path': emu.ca_path,
        'saml_sso_backup_dir': str(tmp_path / 'backups'), 'saml_sso_lock_dir': str(tmp_path / 'locks'),
        'saml_sso_settle_delay': 0.2, 'saml_sso_export_dir': str(export_dir)}}}

    # one more host whose own export directory cannot be made (a regular file is in the way): that org fails the
    # audit naming saml_sso_export_dir, and no inventory lists it
    blocker = tmp_path / 'not-a-directory'
    blocker.write_text('a file')
    hosts['export-baddir'] = dict(hosts['export-adfs'], saml_sso_export_dir=str(blocker / 'export'))
    # one secret kept in Ansible Vault (the others as plain values): the export writes back the same ciphertext
    hosts['export-okta']['saml_sso_preserved_clients'][0]['client_secret'] = VAULT_MARK
    password_file = tmp_path / 'vault-password'
    password_file.write_text(VAULT_PASSWORD)
    vault_args = ['--vault-password-file', str(password_file), '--forks', '14']

    # the audit under --check (it writes nothing to the orgs, the export files all the same), at -vvv: no secret shows
    audit = run_playbook(AUDIT, inventory=_with_vault(audit_inventory, 'export-okta-bot-secret'), check=True,
                         verbosity=3, args=vault_args)
    assert audit.rc != 0
    failed = sorted(h for h, st in audit.stats.items() if st.get('failures'))
    assert failed == ['export-baddir'], audit.stdout[-3000:] + audit.stderr[-2000:]
    line = next(x for x in audit.stdout.splitlines() if 'The export to saml_sso_export_dir' in x)
    assert 'not-a-directory' in line and 'Not a directory' in line and '. Nothing was written to the org. Give a' in line
    assert os.listdir(str(tmp_path)).count('not-a-directory') == 1 and blocker.read_text() == 'a file'
    assert writes(emu.requests()) == []
    secrets = secrets_of(SEED) + [VAULT_PASSWORD]

    # --- the files: one host_vars per org, certificates as PEM files, no secret, inventory of every host
    groups = yaml.safe_load((export_dir / 'inventory.yml').read_text())
    exported_hosts = sorted(groups['genesys_orgs']['hosts'])
    assert exported_hosts == sorted(_safe_name(h) for h in HOSTS if h != 'export-bare')
    # nothing to adopt without any provider: a group configure_sso.yml does not run
    assert list(groups['genesys_orgs_without_provider']['hosts']) == ['export-bare']
    env = {}
    for host, org in HOSTS.items():
        safe = _safe_name(host)
        path = export_dir / 'host_vars' / (safe + '.yml')
        text = path.read_text()
        assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
        for secret in secrets:
            assert secret not in text, (host, 'a secret value is in the export')
        data = yaml.load(text, Loader=_UnsafeLoader)
        for name in re.findall(r"lookup\('ansible.builtin.env', '([A-Z0-9_]+)'\)", text):
            env[name] = org + ('-bot-secret' if 'REPORTING_BOT' in name else '-admin-secret')
        assert data['saml_sso_api_url'] == emu.url and data['saml_sso_client_id'] == org + '-admin'
        if host == 'export-bare':
            assert 'saml_sso_provider' not in data and 'nothing to adopt' in text
            continue
        provider = data['saml_sso_provider']
        seeded = ORGS[org]
        saml_types = [t for t in seeded if t != 'purecloud']
        expected_type = saml_types[0] if saml_types else 'purecloud'
        assert provider['type'] == expected_type, host
        if expected_type == 'purecloud':
            assert provider['enabled'] is (not seeded.get('purecloud', {}).get('disabled', False))
            continue
        body = seeded[expected_type]
        body = body[0] if isinstance(body, list) else body
        assert provider['enabled'] is (not body['disabled'])
        assert provider['issuer_uri'] == body['issuerURI']
        assert provider['logo_image_data'] == LOGO
        want = sorted(set(_fingerprint(c) for c in (body.get('certificates') or [body.get('certificate')])))
        got = []
        for ref in provider['certificates']:
            assert ref.startswith('{{ inventory_dir }}/certificates/%s/' % safe), ref
            got.append(_pem_fingerprint((export_dir / ref.split('}}/', 1)[1]).read_text()))
        assert sorted(got) == want, host
        for field, option in FIELD_OPTIONS.items():     # every field the org holds, under its module option
            if field in body:
                assert provider[option] == body[field], (host, option)
        if expected_type == 'generic':
            assert provider['endpoint_compression'] is True
        if expected_type == 'pureengage':
            assert provider['auto_provision_users'] is True
        if expected_type == 'custom':
            assert provider['id'] and isinstance(provider['name'], _Unsafe)   # written with !unsafe
            assert '"weird org/../x"' in text      # the comment names the host (quoted)
    assert not os.path.exists('/tmp/pwned-by-export')
    assert 'GENESYSCLOUD_SSO_EXPORT_OKTA_CLIENT_SECRET' in env
    assert 'GENESYSCLOUD_SSO_EXPORT_ADFS_REPORTING_BOT_SECRET' in env
    okta = (export_dir / 'host_vars' / 'export-okta.yml').read_text()
    assert 'REPORTING_BOT_SECRET' not in okta and 'client_secret: !vault |' in okta   # vaulted in, vaulted out

    # --- the round trip: configure_sso.yml --check on the exported inventory changes nothing on any org
    emu.clear_requests()
    check = run_playbook(CONFIGURE, inventory=str(export_dir / 'inventory.yml'), check=True, diff=True, env=env,
                         args=vault_args)
    assert check.rc == 0, check.stdout[-4000:] + check.stderr[-2000:]
    found = summaries(check)
    assert sorted(found) == exported_hosts
    for host, result in found.items():
        assert result['status'] == 'ok', (host, result.get('error'))
        assert result['changed'] is False, (host, result)
    assert writes(emu.requests()) == []
    for secret in secrets:
        assert secret not in check.stdout and secret not in check.stderr
        assert secret not in audit.stdout and secret not in audit.stderr
    assert not os.path.exists('/tmp/pwned-by-export')


VAULT_MARK = 'VAULTED-VALUE-GOES-HERE'
VAULT_PASSWORD = 'export-test-vault-password'


def _with_vault(inventory, secret):
    """The inventory as YAML text, with ``VAULT_MARK`` replaced by ``secret`` encrypted with ``VAULT_PASSWORD``."""
    from ansible.parsing.vault import VaultLib, VaultSecret

    block = VaultLib([('default', VaultSecret(VAULT_PASSWORD.encode()))]).encrypt(secret).decode('ascii')
    lines = []
    for line in yaml.safe_dump(inventory, sort_keys=False).splitlines():
        if VAULT_MARK in line:
            indent = len(line) - len(line.lstrip(' -')) + 2
            lines.append(line.replace(VAULT_MARK, '!vault |'))
            lines.extend(' ' * indent + part for part in block.splitlines())
        else:
            lines.append(line)
    return '\n'.join(lines) + '\n'


class _Unsafe(str):
    pass


class _UnsafeLoader(yaml.SafeLoader):
    pass


_UnsafeLoader.add_constructor(u'!unsafe', lambda loader, node: _Unsafe(loader.construct_scalar(node)))
_UnsafeLoader.add_constructor(u'!vault', lambda loader, node: {'vault': loader.construct_scalar(node)})
