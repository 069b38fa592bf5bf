# -*- coding: utf-8 -*-
"""genesys_identity_provider / genesys_identity_provider_info through real ansible-playbook runs against the emulator.

Every type of both API families goes through: create -> check-mode re-run (no write in the emulator's request
log, changed false) -> update one field (check mode first: same changed and diff) -> rotate certificates (add,
overlap, remove the old one) -> disable the Genesys Cloud login -> guard refusal -> disable with force -> absent ->
absent again. Plus: 400s surfaced with cause and fix, backup + restore_from, the 404-after-write consistency fault,
the info module, and the module execution path.
"""

import copy
import json
import os
import stat

import pytest
import yaml

from helpers import DEFAULT_SEED, run_playbook   # first: it puts devkit/ on sys.path
from genesys_devkit.certs import make_certificate

SEED = copy.deepcopy(DEFAULT_SEED)
ORG = SEED['orgs'][0]
ADMIN = ORG['clients'][0]
pytestmark = pytest.mark.emulator_seed(SEED)

TYPES = ['adfs', 'cic', 'generic', 'gsuite', 'identitynow', 'okta', 'onelogin', 'ping', 'pureengage', 'salesforce',
         'custom']
WRITE_METHODS = ('PUT', 'POST', 'DELETE')


def _cert(cn, start_days=-1, end_days=365):
    """PEM of a self-signed EC P-256 certificate (the dev kit's factory)."""
    return make_certificate(cn, not_before_days=start_days, days=end_days).pem


CERT_A = _cert('idp-signing-a')
CERT_B = _cert('idp-signing-b')
EXPIRED = _cert('idp-expired', start_days=-60, end_days=-2)


def play(emu, tasks, execution='controller', **extra_vars):
    conn = {'api_url': emu.url, 'login_url': emu.url, 'ca_path': emu.ca_path, 'client_id': ADMIN['id'],
            'client_secret': ADMIN['secret'], 'retries': 2}
    vars_ = {'genesyscloud_sso_execution': execution, 'emu_url': emu.url, 'emu_ca': emu.ca_path}
    vars_.update(extra_vars)
    return [{'hosts': 'localhost', 'gather_facts': False, 'vars': vars_,
             'module_defaults': {'group/genesyscloud.sso.genesys': conn}, 'tasks': tasks}]


def idp_task(name, args, register='', **task_opts):
    task = {'name': name, 'genesyscloud.sso.genesys_identity_provider': args}
    if register is not None:
        task['register'] = register or name.replace(' ', '_')
    task.update(task_opts)
    return task


def clear_log(name='clear log'):
    return {'name': name, 'ansible.builtin.uri': {'url': '{{ emu_url }}/_emulator/requests', 'method': 'DELETE',
                                                  'ca_path': '{{ emu_ca }}'}}


def read_log(name):
    return {'name': name, 'ansible.builtin.uri': {'url': '{{ emu_url }}/_emulator/requests', 'ca_path': '{{ emu_ca }}',
                                                  'return_content': True}}


def by_task(result):
    """{task name: result} with 'failed' set from the callback status (callbacks do not see the key)."""
    out = {}
    for t in result.tasks:
        res = dict(t['result'])
        res['failed'] = t['status'] == 'failed'
        out[t['task']] = res
    return out


def log_writes(result, name):
    entries = result.task(name)['result']['json']
    return [(e['method'], e['path'], e['status']) for e in entries if e['method'] in WRITE_METHODS
            and e['path'].startswith('/api/v2/')]


def base_args(ptype):
    args = {'type': ptype, 'issuer_uri': 'https://idp.e2e.example/%s' % ptype,
            'sso_target_uri': 'https://idp.e2e.example/%s/sso' % ptype, 'certificates': [CERT_A],
            'name_identifier_format': 'emailAddress', 'sso_binding': 'HTTP-POST', 'enabled': True}
    if ptype in ('generic', 'custom'):
        args['name'] = 'E2E %s provider' % ptype
    if ptype == 'generic':
        args['endpoint_compression'] = True
    if ptype == 'pureengage':
        args['auto_provision_users'] = True
    return args


def assert_ok(result):
    assert result.rc == 0, result
    assert ADMIN['secret'] not in result.output


# ------------------------------------------------------------------------------------------- lifecycle
STEPS = ('create', 'recheck', 'update check', 'update', 'rotate add', 'rotate overlap again', 'rotate remove old',
         'login off', 'guard', 'guard absent', 'disable forced', 'login on', 'absent', 'absent again')


def lifecycle_tasks(ptype):
    args = base_args(ptype)
    key = {'type': ptype, 'name': args['name']} if ptype == 'custom' else {'type': ptype}
    update = dict(key, sso_target_uri='https://idp.e2e.example/%s/sso2' % ptype)
    named = lambda step, a, **kw: idp_task('%s: %s' % (ptype, step), a, register=None, **kw)  # noqa: E731
    return [
        named('create', args),
        clear_log('%s: clear log' % ptype),
        named('recheck', args, check_mode=True, diff=True),
        read_log('%s: log after recheck' % ptype),
        named('update check', update, check_mode=True, diff=True),
        named('update', update, diff=True),
        named('rotate add', dict(key, certificates=[CERT_A, CERT_B])),
        named('rotate overlap again', dict(key, certificates=[CERT_B.replace('\n', '\r\n'), CERT_A])),
        named('rotate remove old', dict(key, certificates=[CERT_B])),
        named('login off', {'type': 'purecloud', 'enabled': False}),
        named('guard', dict(key, enabled=False), ignore_errors=True),
        named('guard absent', dict(key, state='absent'), ignore_errors=True),
        named('disable forced', dict(key, enabled=False, force=True)),
        named('login on', {'type': 'purecloud', 'enabled': True}),
        named('absent', dict(key, state='absent')),
        named('absent again', dict(key, state='absent')),
    ]


@pytest.fixture(scope='module')
def lifecycle(emulator):
    """One ansible-playbook run: the whole lifecycle for every type, one type after the other."""
    emulator.reset()
    tasks = []
    for ptype in TYPES:
        tasks.extend(lifecycle_tasks(ptype))
    result = run_playbook(play(emulator, tasks), timeout=900)
    assert_ok(result)
    return result


@pytest.mark.parametrize('ptype', TYPES)
def test_lifecycle(lifecycle, emulator, ptype):
    result = lifecycle
    args = base_args(ptype)
    allr = by_task(result)
    r = dict((step, allr['%s: %s' % (ptype, step)]) for step in STEPS)
    created = r['create']
    assert created['changed'] is True
    assert created['provider']['issuer_uri'] == args['issuer_uri']
    assert created['provider']['name_identifier_format'] == 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'
    assert [c['subject'] for c in created['certificates']] == ['CN=idp-signing-a']
    assert created['service_provider']['acs_url'] == emulator.url + '/saml'
    assert created['service_provider']['organization_short_name'] == ORG['name']
    if ptype == 'custom':
        assert created['id']
    # check-mode re-run: no write, not changed
    assert r['recheck']['changed'] is False
    assert log_writes(result, '%s: log after recheck' % ptype) == []
    # update one field: check mode reports the same as the real run
    assert r['update check']['changed'] is True and r['update']['changed'] is True
    assert r['update check']['diff'] == r['update']['diff']
    assert r['update']['changed_options'] == ['sso_target_uri']
    assert r['update']['provider']['issuer_uri'] == args['issuer_uri']  # kept
    # rotation
    assert r['rotate add']['changed'] is True
    assert sorted(c['subject'] for c in r['rotate add']['certificates']) == ['CN=idp-signing-a', 'CN=idp-signing-b']
    assert r['rotate overlap again']['changed'] is False
    assert r['rotate remove old']['changed'] is True
    assert [c['subject'] for c in r['rotate remove old']['certificates']] == ['CN=idp-signing-b']
    # guard
    assert r['login off']['changed'] is True
    for name in ('guard', 'guard absent'):
        assert r[name]['failed'] is True
        assert 'Refusing to' in r[name]['msg'] and 'force=true' in r[name]['msg']
    assert r['disable forced']['changed'] is True and r['disable forced']['provider']['enabled'] is False
    # absent, twice
    assert r['absent']['changed'] is True and r['absent']['provider'] == {}
    assert r['absent again']['changed'] is False


def test_purecloud_lifecycle(emu):
    tasks = [
        idp_task('create', {'type': 'purecloud', 'name': 'Genesys Cloud login', 'enabled': True}),
        clear_log(),
        idp_task('recheck', {'type': 'purecloud', 'name': 'Genesys Cloud login'}, check_mode=True),
        read_log('log after recheck'),
        idp_task('rename', {'type': 'purecloud', 'name': 'Login'}),
        idp_task('guard', {'type': 'purecloud', 'enabled': False}, ignore_errors=True),
        idp_task('forced', {'type': 'purecloud', 'enabled': False, 'force': True}),
        idp_task('absent', {'type': 'purecloud', 'state': 'absent'}),
        idp_task('absent again', {'type': 'purecloud', 'state': 'absent'}),
        idp_task('bad option', {'type': 'purecloud', 'issuer_uri': 'x'}, ignore_errors=True),
    ]
    result = run_playbook(play(emu, tasks))
    assert_ok(result)
    r = by_task(result)
    assert r['create']['changed'] is True and r['create']['service_provider'] is None
    assert r['recheck']['changed'] is False and log_writes(result, 'log after recheck') == []
    assert r['rename']['changed'] is True and r['rename']['provider']['name'] == 'Login'
    assert r['guard']['failed'] is True and 'Genesys Cloud login' in r['guard']['msg']
    assert r['forced']['changed'] is True
    assert r['absent']['changed'] is True and r['absent again']['changed'] is False
    assert r['bad option']['failed'] is True
    assert 'issuer_uri (supported by: adfs, cic, generic' in r['bad option']['msg']


# ------------------------------------------------------------------------------------------- errors
def test_api_400_surfaced_with_cause_fix_and_correlation_id(emu):
    emu.add_fault(method='PUT', path='^/api/v2/identityproviders/okta$', status=400, count=1,
                  body={'status': 400, 'code': 'invalid.target.url', 'message': 'The target URL must be a valid '
                        'HTTPS URL.', 'contextId': 'e2e-cid-1', 'details': [], 'errors': []})
    tasks = [
        idp_task('fault', base_args('okta'), ignore_errors=True),
        idp_task('expired', dict(base_args('okta'), certificates=[EXPIRED], allow_expired_certificates=True),
                 ignore_errors=True),
        idp_task('expired refused locally', dict(base_args('okta'), certificates=[EXPIRED]), ignore_errors=True),
        idp_task('custom missing name', {'type': 'custom', 'id': 'no-such-id', 'issuer_uri': 'x'},
                 ignore_errors=True),
    ]
    result = run_playbook(play(emu, tasks))
    assert result.rc == 0, result
    r = by_task(result)
    msg = r['fault']['msg']
    assert r['fault']['failed'] and 'HTTP 400 invalid.target.url' in msg
    assert 'Cause:' in msg and 'Fix: set sso_target_uri' in msg and 'Correlation id: ' in msg
    assert r['fault']['code'] == 'invalid.target.url'
    msg = r['expired']['msg']  # the emulator refuses expired certificates like the real API
    assert 'HTTP 400 certificate.expired' in msg and 'Fix:' in msg and 'Correlation id:' in msg
    assert any('expired' in w for w in r['expired'].get('warnings', []))
    assert 'allow_expired_certificates' in r['expired refused locally']['msg']
    assert 'No custom identity provider has the id no-such-id' in r['custom missing name']['msg']
    writes = [e for e in emu.requests() if e['method'] in WRITE_METHODS and e['path'].startswith('/api/v2/')]
    assert [(e['method'], e['status']) for e in writes] == [('PUT', 400), ('PUT', 400)]


def test_consistency_fault_404_after_write(emu):
    emu.add_fault(method='GET', path='^/api/v2/identityproviders/(ping|purecloud)$', not_found_after_write_ms=1500)
    tasks = [
        idp_task('create', dict(base_args('ping'), relying_party_identifier='rp-ping', consistency_timeout=15)),
        # another write, not waited for: the org's provider GETs answer 404 for a while again (past its budget of
        # 0 s the task fails, saying what was written: the playbook goes on)
        idp_task('other write', {'type': 'purecloud', 'name': 'Login', 'consistency_timeout': 0}, ignore_errors=True),
        idp_task('update during the window', {'type': 'ping', 'slo_uri': 'https://idp.e2e.example/slo',
                                              'consistency_timeout': 15}),
    ]
    result = run_playbook(play(emu, tasks))
    assert_ok(result)
    created = result.task('create')['result']
    assert created['changed'] is True and created['provider']['issuer_uri'] == 'https://idp.e2e.example/ping'
    assert not any('could not be read back' in w for w in created.get('warnings', []))
    other = result.task('other write')['result']
    assert 'did not show it within 0' in other.get('msg', ''), other
    updated = result.task('update during the window')['result']
    assert updated['changed'] is True and updated['changed_options'] == ['slo_uri']
    assert updated['provider']['relying_party_identifier'] == 'rp-ping'  # merged with the real object, not rebuilt
    log = [(e['method'], e['path'], e['status']) for e in emu.requests()
           if e['path'].startswith('/api/v2/identityproviders')]
    ping_puts = [i for i, e in enumerate(log) if e[:2] == ('PUT', '/api/v2/identityproviders/ping')]
    assert len(ping_puts) == 2  # the create and the update: never re-created on a read
    after_create = log[ping_puts[0] + 1:]
    assert ('GET', '/api/v2/identityproviders/ping', 404) in after_create
    before_update = log[:ping_puts[1]]
    assert ('GET', '/api/v2/identityproviders', 200) in before_update  # the listing told "not readable yet"


# ------------------------------------------------------------------------------------------- backup/restore
def test_backup_and_restore(emu, tmp_path):
    backup_dir = str(tmp_path / 'backups')
    original = base_args('generic')
    tasks = [
        idp_task('create', original),
        idp_task('change', {'type': 'generic', 'certificates': [CERT_B], 'slo_uri': 'https://idp.e2e.example/slo',
                            'backup': True, 'backup_dir': backup_dir}),
        idp_task('restore check', {'restore_from': '{{ change.backup_file }}'}, check_mode=True, diff=True),
        idp_task('restore', {'restore_from': '{{ change.backup_file }}'}, diff=True),
        idp_task('restore again', {'restore_from': '{{ change.backup_file }}'}),
        idp_task('verify', {'type': 'generic', 'certificates': [CERT_A], 'endpoint_compression': True},
                 check_mode=True),
    ]
    result = run_playbook(play(emu, tasks))
    assert_ok(result)
    r = by_task(result)
    path = r['change']['backup_file']
    assert os.path.dirname(path) == backup_dir and os.path.basename(path).startswith(ORG['name'] + '_generic_')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(backup_dir).st_mode) == 0o700
    with open(path) as handle:
        text = handle.read()
    assert ADMIN['secret'] not in text and 'access_token' not in text
    assert json.loads(text)['provider']['ssoTargetURI'] == original['sso_target_uri']
    assert r['restore check']['changed'] is True and r['restore']['changed'] is True
    assert r['restore check']['diff'] == r['restore']['diff']
    assert r['restore again']['changed'] is False
    assert r['verify']['changed'] is False
    assert 'slo_uri' not in r['restore']['provider']


# ------------------------------------------------------------------------------------------- info + module path
def test_info_lists_both_families_and_filters(emu):
    soon = _cert('idp-soon', end_days=10)
    tasks = [
        idp_task('okta', base_args('okta')),
        idp_task('custom', dict(base_args('custom'), certificates=[soon], certificate_expiry_warn_days=5)),
        {'name': 'all', 'genesyscloud.sso.genesys_identity_provider_info': {}, 'register': 'all'},
        {'name': 'expiring', 'genesyscloud.sso.genesys_identity_provider_info': {'expiring_within_days': 30,
                                                                               'include_organization': True}},
        {'name': 'one', 'genesyscloud.sso.genesys_identity_provider_info': {'type': 'okta'}},
    ]
    result = run_playbook(play(emu, tasks))
    assert_ok(result)
    everything = result.task('all')['result']
    kinds = [(p['family'], p['type']) for p in everything['providers']]
    assert kinds == [('per_type', 'okta'), ('custom', 'custom')]
    assert everything['api_requests'] == 2  # token + one listing
    assert CERT_A.splitlines()[1] not in json.dumps(everything)
    expiring = result.task('expiring')['result']
    assert [p['name'] for p in expiring['providers']] == ['E2E custom provider']
    assert expiring['providers'][0]['certificates'][0]['days_left'] <= 10
    assert expiring['organization']['short_name'] == ORG['name']
    assert result.task('one')['result']['providers'][0]['certificates'][0]['subject'] == 'CN=idp-signing-a'


def test_module_execution_path_and_diff_output(emu):
    args = base_args('okta')
    tasks = [idp_task('create', args), idp_task('again', args)]
    result = run_playbook(play(emu, tasks, execution='module'), diff=True)
    assert_ok(result)
    assert result.task('create')['result']['changed'] is True
    assert result.task('again')['result']['changed'] is False
    assert 'CN=idp-signing-a' in result.stdout  # diff shows the certificate by subject
    assert CERT_A.splitlines()[1] not in result.output  # never the blob


def test_relative_certificate_file_is_found_in_files_dir(emu, tmp_path):
    (tmp_path / 'files').mkdir()
    (tmp_path / 'files' / 'idp-signing.pem').write_text(CERT_B)
    playbook = tmp_path / 'site.yml'
    playbook.write_text(yaml.safe_dump(play(emu, [idp_task('create', dict(base_args('gsuite'),
                                                                           certificates=['idp-signing.pem']))])))
    result = run_playbook(str(playbook))
    assert_ok(result)
    assert [c['subject'] for c in result.task('create')['result']['certificates']] == ['CN=idp-signing-b']


# ------------------------------------------------------------------------------------------- a real sign-in
def test_provider_from_metadata_accepts_a_signed_sign_in(emu, tmp_path):
    """Configure a custom provider from the test IdP's metadata; the emulator's ACS then accepts its response."""
    import requests
    from genesys_emulator.saml_idp import TestIdP

    test_idp = TestIdP(entity_id='https://idp.e2e.example/metadata-entity', sso_url='https://idp.e2e.example/sso')
    args = {'type': 'custom', 'name': 'Metadata IdP', 'idp_metadata': test_idp.metadata_xml(),
            'relying_party_identifier': 'genesys.cloud.e2e-org', 'org_short_name': ORG['name']}
    tasks = [idp_task('configure', args), idp_task('configure again', args)]
    result = run_playbook(play(emu, tasks))
    assert_ok(result)
    configured = result.task('configure')['result']
    assert configured['changed'] is True and result.task('configure again')['result']['changed'] is False
    assert configured['provider']['issuer_uri'] == test_idp.entity_id
    assert configured['provider']['name_identifier_format'].endswith(':emailAddress')
    assert configured['certificates'][0]['fingerprint'].replace(':', '').lower() == \
        test_idp.fingerprint_sha256.replace(':', '').lower()
    sp = configured['service_provider']
    assert sp['entity_id'] == 'genesys.cloud.e2e-org'
    email = ORG['users'][0]['email']
    saml_response = test_idp.signed_response(email, ORG['name'], audience=sp['entity_id'], acs_url=sp['acs_url'])
    answer = requests.post(sp['acs_url'], data={'SAMLResponse': saml_response}, verify=emu.ca_path, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()['provider_id'] == configured['id'] and answer.json()['email'] == email
    # replace the certificate with one the IdP does not sign with: the sign-in is refused
    swap = run_playbook(play(emu, [idp_task('swap', {'type': 'custom', 'name': 'Metadata IdP',
                                                       'certificates': [CERT_A]})]))
    assert_ok(swap)
    refused = requests.post(sp['acs_url'], data={'SAMLResponse': saml_response}, verify=emu.ca_path, timeout=30)
    assert refused.status_code == 403 and refused.json()['code'] == 'invalid.signature'
