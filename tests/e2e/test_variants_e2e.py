"""The collection converges on every plausible platform behaviour (issue 14 items 2 and 3).

One emulator per platform variant (``--variant``, and the ``pessimistic`` profile), one org on each, and ONE
inventory whose hosts point at the different emulators, so that each step below is one ``ansible-playbook`` run
over every variant at once:

1. ``configure_sso.yml --check`` predicts the real run (changed on every org, nothing written);
2. the real run configures every org in one run (an okta provider with fields some types drop);
3. the re-run reports ``changed=0`` with no warning;
4. a module playbook: a custom provider created and found again (even while the listing lags), ``_info``
   classifying every entry whatever the listing's id shapes, and the lockout guard refusing to disable the last
   enabled provider of an SSO-only org.

The lags are scaled down for ``make test`` (``VARIANTS_SCALE``, default 1/80: read lag 1.5 s, listing lag 0.75 s);
``make variants`` runs the same file with the real figures (read lag 120 s, listing lag 60 s).
"""

import os

import pytest

from helpers import run_playbook
from role_helpers import CONFIGURE, org_seed, summaries, writes

from genesys_emulator.testing import EmulatorProcess

try:
    from genesys_emulator.idp_kit import TestIdP
except ImportError:
    from genesys_emulator.saml_idp import TestIdP

SCALE = float(os.environ.get('VARIANTS_SCALE', '0.0125'))
READ_LAG = 120 * SCALE
LISTING_LAG = 60 * SCALE
DROPPED = ['ssoBinding', 'providerName', 'displayOnLogin', 'metadataURL', 'forceAuthn', 'logoImageData',
           'nameIdentifierFormat']

# name -> emulator arguments
VARIANTS = {
    'default': [],
    'read-lag': ['--variant', 'read_lag_s=%s' % READ_LAG],
    'listing-lag': ['--variant', 'listing_lag_s=%s' % LISTING_LAG],
    'ids-by-type': ['--variant', 'listing_ids=type'],
    'selfuri-by-id': ['--variant', 'listing_self_uri=id'],
    'paged': ['--variant', 'page_size=2'],
    'bare-base64': ['--variant', 'certificate_echo=bare_base64'],
    'filled-rp': ['--variant', 'fill_relying_party=true'],
    'dropped': ['--variant', 'dropped_fields=%s' % ','.join(DROPPED)],
    'strict': ['--variant', 'strict_fields=true'],
    'last-delete': ['--variant', 'refuse_last_provider_delete=true'],
    'pessimistic': ['--variant-profile', 'pessimistic', '--variant', 'read_lag_s=%s' % READ_LAG,
                    '--variant', 'listing_lag_s=%s' % LISTING_LAG],
}

IDP = TestIdP(entity_id='https://idp.variants.example/entity', sso_url='https://idp.variants.example/sso')
OLD = TestIdP(entity_id='https://old.variants.example/entity', sso_url='https://old.variants.example/sso')

# SSO-only org: okta (enabled) is the only enabled sign-in; a disabled custom provider besides it (3 listing
# entries: the paged variant shows 2 pages)
PROVIDERS = {
    'okta': {'name': 'Okta', 'issuerURI': OLD.entity_id, 'ssoTargetURI': OLD.sso_url,
             'certificates': [OLD.certificate_b64], 'disabled': False},
    'purecloud': {'name': 'PureCloud', 'disabled': True},
    'custom': [{'name': 'Legacy', 'issuerURI': 'urn:legacy', 'ssoTargetURI': 'https://legacy.variants.example/sso',
                'disabled': True}],
}

# the role's provider: fields that the dropping variants drop on the okta type (reported once, then not compared)
PROVIDER = {'type': 'okta', 'name': 'Okta', 'issuer_uri': IDP.entity_id, 'sso_target_uri': IDP.sso_url,
            'certificates': [IDP.certificate_pem], 'name_identifier_format': 'emailAddress',
            'sso_binding': 'HTTP-POST'}


def _host(name):
    return 'var-%s' % name


@pytest.fixture(scope='module')
def fleet(tmp_path_factory):
    """{variant: EmulatorProcess}: one emulator per variant, each with its one org."""
    started = {}
    try:
        for index, (name, args) in enumerate(sorted(VARIANTS.items()), start=1):
            seed = {'orgs': [org_seed(_host(name), 900 + index, providers=PROVIDERS)]}
            emu = EmulatorProcess(seed=seed, extra_args=args, start_timeout=60)
            emu.start()
            started[name] = emu
        yield started
    finally:
        for emu in started.values():
            emu.stop()


def _inventory(fleet, backups):
    hosts = {}
    for name, emu in fleet.items():
        host = _host(name)
        hosts[host] = {
            'saml_sso_api_url': emu.url, 'saml_sso_login_url': emu.url, 'saml_sso_ca_path': emu.ca_path,
            'saml_sso_client_id': host + '-admin', 'saml_sso_client_secret': host + '-admin-secret',
            'saml_sso_preserved_clients': [{'name': 'reporting-bot', 'client_id': host + '-bot',
                                            'client_secret': host + '-bot-secret'}],
        }
    common = {'saml_sso_backup_dir': str(backups), 'saml_sso_provider': PROVIDER, 'saml_sso_settle_delay': 0.2,
              'saml_sso_consistency_timeout': max(30, 4 * READ_LAG), 'saml_sso_lock_dir': str(backups / 'locks')}
    return {'genesys_orgs': {'hosts': hosts, 'vars': common}}


def _warnings(result, host):
    return [w for t in result.tasks if t['host'] == host for w in (t.get('result') or {}).get('warnings') or []]


def _step4(result, host):
    found = [t for t in result.tasks if t['host'] == host and 'Configure the SAML identity provider' in t['task']]
    return found[-1]['result'] if found else {}


def test_the_role_converges_on_every_variant(fleet, tmp_path):
    inventory = _inventory(fleet, tmp_path / 'backups')
    forks = ['--forks', str(len(fleet))]

    checked = run_playbook(CONFIGURE, inventory=inventory, check=True, diff=True, args=forks, timeout=600)
    assert checked.rc == 0, checked.stdout[-3000:]
    for name, emu in fleet.items():
        assert writes(emu.requests(org=_host(name))) == [], name          # check mode never writes
    predicted = dict((h, s['changed']) for h, s in summaries(checked).items())

    applied = run_playbook(CONFIGURE, inventory=inventory, args=forks, timeout=900)
    done = summaries(applied)
    assert applied.rc == 0, dict((h, s.get('error')) for h, s in done.items() if s.get('status') != 'ok')
    assert dict((h, s['changed']) for h, s in done.items()) == predicted   # check mode predicted the real run
    assert all(predicted.values()), predicted
    for name in fleet:
        step4 = _step4(applied, _host(name))
        assert step4.get('verified') is True, (name, step4.get('not_kept'), step4.get('msg'))
        if name in ('dropped', 'pessimistic'):
            assert step4.get('dropped') == ['name_identifier_format', 'sso_binding'], (name, step4.get('dropped'))

    again = run_playbook(CONFIGURE, inventory=inventory, args=forks, timeout=900)
    assert again.rc == 0, again.stdout[-3000:]
    for name in fleet:
        host = _host(name)
        assert summaries(again)[host]['changed'] is False, (name, summaries(again)[host].get('changed_options'))
        assert _warnings(again, host) == [], (name, _warnings(again, host))


MODULE_PLAY = '''
- hosts: genesys_orgs
  gather_facts: false
  connection: local
  module_defaults:
    group/genesyscloud.sso.genesys:
      api_url: "{{ saml_sso_api_url }}"
      login_url: "{{ saml_sso_login_url }}"
      ca_path: "{{ saml_sso_ca_path }}"
      client_id: "{{ saml_sso_client_id }}"
      client_secret: "{{ saml_sso_client_secret }}"
  vars:
    custom: &custom
      type: custom
      name: Variant Custom
      enabled: false
      issuer_uri: urn:variant:custom
      sso_target_uri: https://custom.variants.example/sso
      backup: true
      backup_dir: "{{ saml_sso_backup_dir }}/{{ inventory_hostname }}"
      lock_dir: "{{ saml_sso_lock_dir }}"
      settle_delay: 0.2
      consistency_timeout: "{{ saml_sso_consistency_timeout }}"
  tasks:
    - name: Create a custom provider
      genesyscloud.sso.genesys_identity_provider: *custom
      register: created
    - name: The same again (found again, also while the listing lags)
      genesyscloud.sso.genesys_identity_provider: *custom
      register: again
    - name: Read every provider of the org
      genesyscloud.sso.genesys_identity_provider_info: {}
      register: listed
    - name: Try to disable the last enabled provider of this SSO-only org
      genesyscloud.sso.genesys_identity_provider:
        type: okta
        enabled: false
        lock_dir: "{{ saml_sso_lock_dir }}"
        settle_delay: 0.2
      register: guard
      ignore_errors: true
    - name: Check
      ansible.builtin.assert:
        that:
          - created is changed
          - again is not changed
          - again.id == created.id
          - guard is failed
          - "'Refusing to disable the okta identity provider' in guard.msg"
          - >-
            (listed.providers | map(attribute='type') | list | sort)
            == ['custom', 'custom', 'okta', 'purecloud']
          - >-
            (listed.providers | selectattr('type', 'equalto', 'custom') | map(attribute='name') | list | sort)
            == ['Legacy', 'Variant Custom']
'''


def test_the_modules_find_classify_and_guard_on_every_variant(fleet, tmp_path):
    inventory = _inventory(fleet, tmp_path / 'backups')
    result = run_playbook(MODULE_PLAY, inventory=inventory, args=['--forks', str(len(fleet))], timeout=900)
    failed = [(t['host'], t['task'], (t.get('result') or {}).get('msg')) for t in result.tasks
              if t['status'] == 'failed' and not t['task'].startswith('Try to disable')]
    assert result.rc == 0 and not failed, failed
    for name, emu in fleet.items():
        customs = [c for c in next(o for o in emu.state()['orgs'] if o['name'] == _host(name))['custom']
                   if c.get('name') == 'Variant Custom']
        assert len(customs) == 1, name                                   # never duplicated
