# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the platform probe core (genesys_platform_probe) against the in-memory fake API.

A fake clock makes the bounded waits instant: the budget (max_wait) is proven to bound every wait, the provider
the probe created is deleted whatever fails, a refused run sends nothing, and the shapes are read right.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_platform_probe_core as probe
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import GenesysError
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail, RunContext
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import (
    FakeIdpApi,
    bare,
    make_cert,
)

OKTA = dict(name='Okta', issuerURI='http://www.okta.com/x', ssoTargetURI='https://acme.okta.com/sso', disabled=True)


@pytest.fixture(autouse=True)
def _one_certificate(monkeypatch):
    """A cached RSA certificate instead of a fresh key per run (the e2e tests use the real one)."""
    monkeypatch.setattr(probe, 'make_probe_certificate', lambda name: make_cert('probe.example', kind='rsa'))


class Clock:
    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds > 0
        self.slept.append(seconds)
        self.now += seconds


def params(**extra):
    out = dict(mode='probe', i_understand_this_writes=True, name=None, max_wait=60.0, report_path=None,
               variant_file=None)
    out.update(extra)
    return out


def run(api, clock=None, check_mode=False, **extra):
    clock = clock or Clock()
    with RunContext(check_mode=check_mode) as ctx:
        return probe.core(params(**extra), ctx, client=api, clock=clock, sleep=clock.sleep)


class NeverReadable(FakeIdpApi):
    """GET of a custom provider keeps answering 404 (a read lag longer than any budget)."""

    def request(self, method, path, body=None, query=None, expect_404=False, headers=None):
        if method == 'GET' and path.startswith('/api/v2/identityproviders/') and path.rsplit('/', 1)[-1] in self.custom:
            self.request_count += 1
            self.log.append((method, path, None))
            if expect_404:
                return 404, None
            raise GenesysError(status=404, code='not.found', method=method, path=path)
        return FakeIdpApi.request(self, method, path, body=body, query=query, expect_404=expect_404, headers=headers)


class Exploding(FakeIdpApi):
    """The first PUT by id raises a programming error (not a GenesysError)."""

    def request(self, method, path, body=None, query=None, expect_404=False, headers=None):
        if method == 'PUT':
            raise RuntimeError('boom')
        return FakeIdpApi.request(self, method, path, body=body, query=query, expect_404=expect_404, headers=headers)


class RefusesDelete(FakeIdpApi):
    def request(self, method, path, body=None, query=None, expect_404=False, headers=None):
        if method == 'DELETE':
            raise GenesysError(status=400, code='identity.provider.last.enabled', message='refused', method=method,
                               path=path)
        return FakeIdpApi.request(self, method, path, body=body, query=query, expect_404=expect_404, headers=headers)


def test_refused_without_the_flag_before_any_request():
    api = FakeIdpApi(providers=dict(okta=OKTA))
    with pytest.raises(GenesysModuleFail) as failed:
        run(api, i_understand_this_writes=False)
    assert 'i_understand_this_writes=true' in failed.value.msg and failed.value.extra['refused'] is True
    assert api.log == []


@pytest.mark.parametrize('max_wait', [0, -1, 601, 3600])
def test_max_wait_out_of_range_fails_before_any_request(max_wait):
    api = FakeIdpApi()
    with pytest.raises(GenesysModuleFail) as failed:
        run(api, max_wait=max_wait)
    assert 'max_wait' in failed.value.msg and '600' in failed.value.msg
    assert api.log == []


def test_refused_at_29_providers_reads_only(tmp_path):
    api = FakeIdpApi(custom=[dict(name='c%d' % n, issuerURI='https://i/%d' % n) for n in range(29)])
    with pytest.raises(GenesysModuleFail) as failed:
        run(api, report_path=str(tmp_path / 'r.json'), variant_file=str(tmp_path / 'v.yml'))
    assert 'already has 29' in failed.value.msg and failed.value.extra['providers'] == 29
    assert api.writes() == [] and list(tmp_path.iterdir()) == []


def test_28_providers_are_probed():
    api = FakeIdpApi(custom=[dict(name='c%d' % n, issuerURI='https://i/%d' % n) for n in range(28)])
    result = run(api)
    assert result['provider']['deleted'] is True and len(api.custom) == 28


def test_probe_against_the_fake_measures_its_behaviour_and_deletes(tmp_path):
    api = FakeIdpApi(providers=dict(okta=OKTA, purecloud=dict(name='PureCloud')))
    report_path, variant_path = tmp_path / 'probe-report.json', tmp_path / 'probe-variants.yml'
    result = run(api, report_path=str(report_path), variant_file=str(variant_path))
    assert result['variants'] == dict(read_lag_s=0.0, listing_lag_s=0.0, listing_ids='uuid', listing_self_uri='type',
                                      certificate_echo='verbatim', fill_relying_party=False, strict_fields=False)
    assert api.custom == {}
    # only custom paths were written; never a per-type one
    assert [w[0] for w in api.writes()] == ['POST', 'PUT', 'PUT', 'DELETE']
    assert all(w[1] == '/api/v2/identityproviders' or w[1].rsplit('/', 1)[-1] not in probe.PER_TYPE_TYPES
               for w in api.writes())
    post_body = api.writes()[0][2]
    assert post_body['disabled'] is True and post_body['name'].startswith(probe.NAME_PREFIX)
    import yaml
    assert yaml.safe_load(variant_path.read_text()) == result['variants']
    report = json.loads(report_path.read_text())
    assert 'PRIVATE KEY' not in report_path.read_text()
    assert report['measurements']['custom_fields']['dropped'] == []
    assert set(report['not_measured']) == set(['page_size', 'dropped_fields', 'refuse_last_provider_delete'])


def test_a_lag_longer_than_max_wait_is_bounded_and_not_guessed(tmp_path):
    api = NeverReadable(providers=dict(okta=OKTA))
    clock = Clock()
    start = clock.now
    result = run(api, clock=clock, max_wait=30.0, variant_file=str(tmp_path / 'v.yml'))
    # every wait stayed within the budget (plus the cleanup's own bounded wait, not needed here)
    assert clock.now - start <= 30.0 + probe.POLL_MAX
    assert max(clock.slept) <= probe.POLL_MAX
    assert 'read_lag_s' not in result['variants']
    assert 'at least 30' in result['report']['not_measured']['read_lag_s']
    assert result['provider']['deleted'] is True and api.custom == {}
    # the fields were taken from the POST answer, not guessed as dropped
    assert result['report']['measurements']['custom_fields']['dropped'] == []


def test_an_unexpected_error_still_deletes_the_provider():
    api = Exploding(providers=dict(okta=OKTA))
    with pytest.raises(GenesysModuleFail) as failed:
        run(api)
    assert 'RuntimeError: boom' in failed.value.msg and 'The probe provider was deleted' in failed.value.msg
    assert api.custom == {}


def test_a_refused_delete_fails_naming_the_leftover_and_the_way_out():
    api = RefusesDelete(providers=dict(okta=OKTA))
    with pytest.raises(GenesysModuleFail) as failed:
        run(api)
    name = failed.value.extra['provider']['name']
    assert 'could not be deleted' in failed.value.msg and 'probe_cleanup_name=%s' % name in failed.value.msg
    assert failed.value.extra['leftovers'][0]['name'] == name


def test_check_mode_reads_only_without_the_flag():
    api = FakeIdpApi(providers=dict(okta=OKTA))
    result = run(api, check_mode=True, i_understand_this_writes=False)
    assert api.writes() == [] and result['changed'] is True
    assert 'would create' in result['msg']


def test_cleanup_deletes_only_disabled_providers_of_that_name():
    name = probe.NAME_PREFIX + '20261201T000000Z-0a0b0c0d'
    api = FakeIdpApi(custom=[dict(name=name, issuerURI='https://i/1', disabled=True),
                             dict(name=name, issuerURI='https://i/2', disabled=False),
                             dict(name='Corp IdP', issuerURI='https://i/3', disabled=True)])
    result = run(api, mode='cleanup', name=name, i_understand_this_writes=False)
    assert len(result['deleted']) == 1 and len(result['skipped']) == 1
    assert sorted(r['data']['issuerURI'] for r in api.custom.values()) == ['https://i/2', 'https://i/3']


@pytest.mark.parametrize('mode', ['cleanup', 'probe'])
def test_a_name_the_probe_never_makes_is_refused_before_any_request(mode):
    # a probe under another name could never be cleaned up by the playbook's always: section
    api = FakeIdpApi()
    with pytest.raises(GenesysModuleFail) as failed:
        run(api, mode=mode, name='Corp-IdP')
    assert probe.NAME_PREFIX in failed.value.msg and api.log == []


def test_echo_and_shapes():
    pem = make_cert('probe.example', kind='rsa')
    assert probe.classify_echo(pem, pem) == 'verbatim'
    assert probe.classify_echo(pem, bare(pem)) == 'bare_base64'
    assert probe.classify_echo(pem, '') == 'absent'
    assert probe.classify_echo(pem, bare(make_cert('other.example'))) == 'other'
    uid = '0c7a9a54-2f0e-4b4e-8d0e-3c1b2a6e9f10'
    assert probe.id_shape('okta', 'okta') == 'type' and probe.id_shape(uid, 'okta') == 'uuid'
    assert probe.self_uri_shape(dict(id=uid, selfUri='/api/v2/identityproviders/okta'), 'okta') == 'type'
    assert probe.self_uri_shape(dict(id=uid, selfUri='/api/v2/identityproviders/' + uid), 'okta') == 'id'
    assert probe.self_uri_shape(dict(id='okta', selfUri='/api/v2/identityproviders/okta'), 'okta') == 'ambiguous'
    # uuid ids with selfUri by id: only the per-type endpoint's answer tells the okta entry from a custom one
    entities = [dict(id=uid, selfUri='/api/v2/identityproviders/' + uid),
                dict(id='11111111-2f0e-4b4e-8d0e-3c1b2a6e9f10', selfUri='/api/v2/identityproviders/x')]
    assert probe.match_per_type(entities, dict(okta=dict(id=uid))) == {0: 'okta'}


def test_variant_file_is_a_flat_yaml_mapping_in_key_order():
    import yaml
    text = probe.variant_file_text(dict(strict_fields=True, read_lag_s=1.5, listing_ids='type', page_size=25))
    assert yaml.safe_load(text) == dict(strict_fields=True, read_lag_s=1.5, listing_ids='type', page_size=25)
    keys = [line.split(':')[0] for line in text.splitlines() if line and not line.startswith(('#', '-'))]
    assert keys == ['read_lag_s', 'listing_ids', 'page_size', 'strict_fields']


@pytest.mark.parametrize('option', ['report_path', 'variant_file'])
def test_an_output_path_that_is_a_directory_fails_before_any_request(option, tmp_path):
    api = FakeIdpApi(providers=dict(okta=OKTA))
    with pytest.raises(GenesysModuleFail) as failed:
        run(api, **{option: str(tmp_path)})
    assert failed.value.msg.startswith('%s %s is a directory' % (option, tmp_path))
    assert api.log == []


class RefusesFullBody(FakeIdpApi):
    """A platform that refuses (400, no field named) a create carrying the optional fields."""

    def request(self, method, path, body=None, query=None, expect_404=False, headers=None):
        if method == 'POST' and 'providerName' in (body or {}):
            raise GenesysError(status=400, code='bad.request', message='invalid request', method=method, path=path)
        return FakeIdpApi.request(self, method, path, body=body, query=query, expect_404=expect_404, headers=headers)


class LostCreateAnswer(FakeIdpApi):
    """The create lands, but its answer is lost (a connection reset after the request was sent), and the listing
    shows the new provider only from its third read on (listing lag)."""

    hidden_listings = 2

    def request(self, method, path, body=None, query=None, expect_404=False, headers=None):
        answer = FakeIdpApi.request(self, method, path, body=body, query=query, expect_404=expect_404, headers=headers)
        if method == 'POST':
            raise GenesysError(status=None, code='connection.error', message='connection reset', method=method,
                               path=path)
        if method == 'GET' and path == '/api/v2/identityproviders' and self.custom and self.hidden_listings > 0:
            self.hidden_listings -= 1
            answer = (answer[0], dict(answer[1], entities=[e for e in answer[1]['entities'] if e['id'] not in self.custom]))
        return answer


def test_a_create_refused_with_every_field_is_retried_with_the_required_ones():
    api = RefusesFullBody(providers=dict(okta=OKTA))
    result = run(api)
    assert result['provider']['deleted'] is True and api.custom == {}
    assert 'required fields only' in result['report']['notes'][0]
    fields = result['report']['measurements']['custom_fields']
    assert fields['kept'] == [] and fields['dropped'] == [] and len(fields['refused_on_create']) == len(probe.PROBE_FIELDS)
    assert 'certificate_echo' in result['variants']


def test_a_create_with_an_unknown_outcome_is_found_by_name_and_deleted():
    api = LostCreateAnswer(providers=dict(okta=OKTA))
    with pytest.raises(GenesysModuleFail) as failed:
        run(api)
    assert 'connection reset' in failed.value.msg and 'The probe provider was deleted' in failed.value.msg
    assert api.custom == {} and [w[0] for w in api.writes()] == ['POST', 'DELETE']


def test_an_unwritable_report_fails_cleanly_with_the_measurements(tmp_path):
    api = FakeIdpApi(providers=dict(okta=OKTA))
    blocker = tmp_path / 'file'
    blocker.write_text('x')
    with pytest.raises(GenesysModuleFail) as failed:
        run(api, report_path=str(blocker / 'probe-report.json'))
    assert failed.value.msg.startswith('report_path %s could not be written' % (blocker / 'probe-report.json'))
    assert failed.value.extra['variants']['listing_ids'] == 'uuid' and api.custom == {}


def test_update_not_tried_says_why_for_the_lag_that_was_seen():
    api = NeverReadable(providers=dict(okta=OKTA))
    result = run(api, max_wait=10.0)
    assert 'reflected the create after 0.0 s, but the update was not tried' in \
        result['report']['not_measured']['listing_lag_s']
