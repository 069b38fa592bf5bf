# -*- coding: utf-8 -*-
"""The platform conformance probe (playbooks/probe_platform.yml, genesys_platform_probe) against the emulator.

One emulator for the module; each platform variant is set at run time (``POST /_emulator/variants``). The probe
must recover every variant it can measure (the variant file it writes equals what the emulator was set to, lags
to the polling resolution), leave nothing behind, never write a per-type provider and, refused, write nothing.
The single variants run the core in this process (a run takes a fraction of a second plus the lag); the
pessimistic profile (lags scaled down), the refusals and check mode run the real playbook.
"""

import json
import os
import re
import sys

import pytest
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from helpers import REPO, ensure_collections_link, run_playbook  # noqa: E402

sys.path.insert(0, ensure_collections_link())

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_platform_probe_core as probe_core  # noqa: E402
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (  # noqa: E402
    GenesysModuleFail,
    RunContext,
)

PLAYBOOK = os.path.join(REPO, 'playbooks', 'probe_platform.yml')
SECRET = 'probe-admin-secret-5d1c0e'
PER_TYPE_PATH = re.compile(r'^/api/v2/identityproviders/(%s)/?$' % '|'.join(probe_core.PER_TYPE_TYPES))


def _admin(org):
    return {'id': '%s-admin' % org, 'secret': SECRET, 'name': 'probe admin', 'grant_type': 'CLIENT-CREDENTIALS',
            'state': 'active', 'permissions': ['sso:provider:*', 'oauth:client:view']}


def _custom(count, prefix):
    return [{'name': '%s %02d' % (prefix, n), 'issuerURI': 'https://idp.example/%s/%d' % (prefix, n),
             'ssoTargetURI': 'https://idp.example/%s/%d/sso' % (prefix, n), 'disabled': True} for n in range(count)]


PER_TYPE = {'purecloud': {'name': 'PureCloud', 'disabled': False},
            'okta': {'name': 'Okta', 'issuerURI': 'http://www.okta.com/exk1probe',
                     'ssoTargetURI': 'https://acme.okta.com/app/probe/sso/saml', 'disabled': True}}
SEED = {'orgs': [
    # a small sandbox: the Genesys Cloud login and one per-type provider to read the listing shapes from
    {'name': 'probe-small', 'region': 'eu-west-1', 'clients': [_admin('probe-small')], 'providers': dict(PER_TYPE)},
    # 26 entries: with the probe's one, the listing needs two pages of 25 (pessimistic page_size is seen)
    {'name': 'probe-big', 'region': 'us-east-1', 'clients': [_admin('probe-big')],
     'providers': dict(PER_TYPE, custom=_custom(24, 'Partner'))},
    # 29 providers: the probe refuses
    {'name': 'probe-full', 'region': 'us-east-1', 'clients': [_admin('probe-full')],
     'providers': {'custom': _custom(29, 'Full')}},
]}
pytestmark = pytest.mark.emulator_seed(SEED)

# keys the probe never measures (it never writes a per-type provider and never deletes a last provider)
NEVER = ('dropped_fields', 'refuse_last_provider_delete')
LAG_KEYS = ('read_lag_s', 'listing_lag_s')


def set_variants(emu, variants, profile='default'):
    resp = requests.post(emu.url + '/_emulator/variants', params={'profile': profile}, json=variants,
                         verify=emu.ca_path, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def params(emu, org, **extra):
    out = dict(mode='probe', i_understand_this_writes=True, name=None, max_wait=30.0, report_path=None,
               variant_file=None, api_url=emu.url, login_url=emu.url, ca_path=emu.ca_path,
               client_id='%s-admin' % org, client_secret=SECRET, access_token=None, region=None,
               validate_certs=True, timeout=30.0, retries=5)
    out.update(extra)
    return out


def run_core(p, check_mode=False):
    with RunContext(check_mode=check_mode) as ctx:
        return probe_core.core(p, ctx)


def org_state(emu, org):
    return next(o for o in emu.state()['orgs'] if o['name'] == org)


def writes(emu, org):
    return [(r['method'], r['path']) for r in emu.requests(org=org) if r['method'] not in ('GET', 'HEAD')
            and r['path'].startswith('/api/')]


def assert_recovered(measured, effective, expect_keys):
    """Every measured key equals the emulator's setting (lags within the polling resolution)."""
    missing = [k for k in expect_keys if k not in measured]
    assert not missing, 'not measured: %s (measured %s)' % (missing, measured)
    for key, value in measured.items():
        assert key not in NEVER, key
        if key in LAG_KEYS:
            # polled every tenth of the time waited (0.1 s here) plus two requests on a loaded 2-core machine
            assert effective[key] - 0.4 <= value <= effective[key] + 1.2, (key, value, effective[key])
        else:
            assert value == effective[key], (key, value, effective[key])


def assert_clean(emu, org, before_custom):
    state = org_state(emu, org)
    assert len(state['custom']) == before_custom, [c['name'] for c in state['custom']]
    assert not [c for c in state['custom'] if c['name'].startswith(probe_core.NAME_PREFIX)]
    bad = [w for w in writes(emu, org) if PER_TYPE_PATH.match(w[1])]
    assert not bad, 'the probe wrote a per-type provider: %s' % bad


BASE_KEYS = ('read_lag_s', 'listing_lag_s', 'listing_ids', 'listing_self_uri', 'certificate_echo',
             'fill_relying_party', 'strict_fields')

SINGLE = [
    ({}, BASE_KEYS),
    ({'read_lag_s': 1.5}, BASE_KEYS),
    ({'listing_lag_s': 1.0}, BASE_KEYS),
    ({'listing_ids': 'type'}, tuple(k for k in BASE_KEYS if k != 'listing_self_uri')),   # id = type: selfUri ambiguous
    ({'listing_self_uri': 'id'}, BASE_KEYS),
    ({'page_size': 2}, BASE_KEYS + ('page_size',)),
    ({'certificate_echo': 'bare_base64'}, BASE_KEYS),
    ({'fill_relying_party': True}, BASE_KEYS),
    ({'dropped_fields': ['ssoBinding', 'providerName', 'forceAuthn']}, BASE_KEYS),
    ({'strict_fields': True}, BASE_KEYS),
    ({'refuse_last_provider_delete': True}, BASE_KEYS),
]


@pytest.mark.parametrize('variant,expect_keys', SINGLE, ids=[','.join(v) or 'default' for v, dummy in SINGLE])
def test_probe_recovers_each_single_variant(emu, variant, expect_keys, tmp_path):
    effective = set_variants(emu, variant)
    report_path, variant_path = str(tmp_path / 'probe-report.json'), str(tmp_path / 'probe-variants.yml')
    result = run_core(params(emu, 'probe-small', report_path=report_path, variant_file=variant_path))
    measured = result['variants']
    assert_recovered(measured, effective, expect_keys)
    # the file says the same as the result, and the report explains every key left out
    import yaml
    with open(variant_path) as handle:
        assert yaml.safe_load(handle) == measured
    with open(report_path) as handle:
        report = json.load(handle)
    assert report['variants'] == measured and report['complete'] is True
    assert set(report['not_measured']) | set(measured) == set(probe_core.VARIANT_KEYS)
    assert report['provider']['deleted'] is True and not report['leftovers']
    assert_clean(emu, 'probe-small', 0)
    if variant.get('dropped_fields'):
        # the per-type fields could not be probed; said so, never guessed
        assert 'never writes' in report['not_measured']['dropped_fields']
        assert report['measurements']['per_type_fields'].startswith('not probed')


def test_probe_pessimistic_playbook_recovers_it_and_the_file_feeds_the_emulator(emu, tmp_path):
    from genesys_emulator.testing import EmulatorProcess

    effective = set_variants(emu, {'read_lag_s': 1.5, 'listing_lag_s': 1.0}, profile='pessimistic')
    before = len(org_state(emu, 'probe-big')['custom'])
    out = tmp_path / 'out'
    out.mkdir()
    res = run_playbook(PLAYBOOK, extra_vars={
        'probe_i_understand_this_writes': True, 'probe_output_dir': str(out), 'probe_max_wait': 30,
        'saml_sso_api_url': emu.url, 'saml_sso_login_url': emu.url, 'saml_sso_ca_path': emu.ca_path,
        'saml_sso_client_id': 'probe-big-admin', 'saml_sso_client_secret': SECRET})
    assert res.rc == 0, res.stdout + res.stderr
    assert SECRET not in res.stdout + res.stderr
    report_text = (out / 'probe-report.json').read_text()
    assert SECRET not in report_text and 'PRIVATE KEY' not in report_text
    report = json.loads(report_text)
    assert_recovered(report['variants'], effective, BASE_KEYS + ('page_size',))
    assert report['variants']['page_size'] == 25 and report['measurements']['paging']['paged'] is True
    assert report['measurements']['custom_fields']['dropped'] == []   # the custom family keeps them all
    assert_clean(emu, 'probe-big', before)
    # the variant file is what the emulator reads: started with it, the emulator behaves like the probed org
    variant_file = str(out / 'probe-variants.yml')
    with EmulatorProcess(seed={'orgs': []}, extra_args=['--variant-file', variant_file]) as other:
        loaded = requests.get(other.url + '/_emulator/variants', verify=other.ca_path, timeout=30).json()
    for key, value in report['variants'].items():
        assert loaded[key] == value, key


def test_probe_refused_without_the_flag_or_at_29_providers_writes_nothing(emu, tmp_path):
    common = {'saml_sso_api_url': emu.url, 'saml_sso_login_url': emu.url, 'saml_sso_ca_path': emu.ca_path,
              'saml_sso_client_secret': SECRET, 'probe_max_wait': 5}
    out = tmp_path / 'noflag'
    out.mkdir()
    res = run_playbook(PLAYBOOK, extra_vars=dict(common, probe_output_dir=str(out),
                                                 saml_sso_client_id='probe-small-admin'))
    assert res.rc != 0
    assert 'i_understand_this_writes=true' in res.stdout and 'Nothing was sent' in res.stdout
    assert os.listdir(str(out)) == []
    assert emu.requests(org='probe-small') == []   # refused before any request (not even a token)

    out = tmp_path / 'full'
    out.mkdir()
    res = run_playbook(PLAYBOOK, extra_vars=dict(common, probe_output_dir=str(out), probe_i_understand_this_writes=True,
                                                 saml_sso_client_id='probe-full-admin'), verbosity=3)
    assert res.rc != 0
    assert 'already has 29 identity providers' in res.stdout and 'Nothing was written' in res.stdout
    assert os.listdir(str(out)) == []
    assert writes(emu, 'probe-full') == []
    assert len(org_state(emu, 'probe-full')['custom']) == 29
    assert SECRET not in res.stdout + res.stderr


def test_probe_check_mode_reads_only(emu, tmp_path):
    # the playbook in check mode: no flag needed, reads only, says what it would do, writes no file
    out = tmp_path / 'check'
    out.mkdir()
    res = run_playbook(PLAYBOOK, check=True, extra_vars={
        'probe_output_dir': str(out), 'saml_sso_api_url': emu.url, 'saml_sso_login_url': emu.url,
        'saml_sso_ca_path': emu.ca_path, 'saml_sso_client_id': 'probe-small-admin', 'saml_sso_client_secret': SECRET})
    assert res.rc == 0, res.stdout + res.stderr
    assert 'would create the disabled custom provider' in res.stdout
    assert os.listdir(str(out)) == [] and writes(emu, 'probe-small') == []
    assert [r['method'] for r in emu.requests(org='probe-small') if r['path'].startswith('/api/')] == ['GET'] * 13
    emu.clear_requests()
    result = run_core(params(emu, 'probe-small', i_understand_this_writes=False,
                             report_path=str(tmp_path / 'r.json'), variant_file=str(tmp_path / 'v.yml')),
                      check_mode=True)
    assert 'would create the disabled custom provider' in result['msg']
    assert [p['type'] for p in result['listing_shapes']['per_type']] == ['okta', 'purecloud']
    assert writes(emu, 'probe-small') == []
    assert sorted(os.listdir(str(tmp_path))) == ['check']


def test_probe_deletes_its_provider_when_a_step_fails(emu, tmp_path):
    set_variants(emu, {})
    # the update PUT of the throwaway provider fails (a PUT by id: never a per-type path)
    emu.add_fault(method='PUT', path=r'^/api/v2/identityproviders/[0-9a-f-]{36}$', status=400,
                  body={'message': 'injected', 'code': 'bad.request', 'status': 400}, count=1)
    report_path, variant_path = tmp_path / 'probe-report.json', tmp_path / 'probe-variants.yml'
    with pytest.raises(GenesysModuleFail) as failed:
        run_core(params(emu, 'probe-small', report_path=str(report_path), variant_file=str(variant_path)))
    assert 'The probe provider was deleted' in failed.value.msg
    assert failed.value.extra['provider']['deleted'] is True
    assert_clean(emu, 'probe-small', 0)
    report = json.loads(report_path.read_text())
    assert report['complete'] is False and 'injected' in report['error']
    assert not variant_path.exists()   # an incomplete run writes no variant file



def test_probe_cleanup_playbook_deletes_only_the_disabled_leftover_of_that_name(emu):
    name = probe_core.NAME_PREFIX + '20261201T000000Z-deadbeef'
    token = emu.token('probe-small-admin', SECRET)
    for disabled, issuer in ((True, 'left'), (False, 'enabled'), (True, 'other')):
        resp = requests.post(emu.url + '/api/v2/identityproviders', verify=emu.ca_path, timeout=30,
                             headers={'Authorization': 'Bearer ' + token},
                             json={'name': name if issuer != 'other' else 'Corp IdP', 'disabled': disabled,
                                   'issuerURI': 'https://idp.example/' + issuer})
        assert resp.status_code == 200, resp.text
    res = run_playbook(PLAYBOOK, extra_vars={
        'probe_cleanup_name': name, 'saml_sso_api_url': emu.url, 'saml_sso_login_url': emu.url,
        'saml_sso_ca_path': emu.ca_path, 'saml_sso_client_id': 'probe-small-admin', 'saml_sso_client_secret': SECRET})
    assert res.rc == 0, res.stdout + res.stderr
    left = sorted(c['issuerURI'] for c in org_state(emu, 'probe-small')['custom'])
    assert left == ['https://idp.example/enabled', 'https://idp.example/other']
    assert [w[0] for w in writes(emu, 'probe-small')] == ['POST', 'POST', 'POST', 'DELETE']   # 3 set up, 1 cleanup
