# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plan() of the provider domain, directly: every action (none, create, update, delete, restore) for every type of
both families, the changed options, the diff, the expected read-back, the ignored (dropped) fields, the lockout
guard flag, and hostile inputs (no request is involved: the plan is pure)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_provider_model as idp
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_certs import load_certificates
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import bare, make_cert

SAML = [t for t in idp.ALL_TYPES if t != 'purecloud']
PER_TYPE_SAML = [t for t in idp.PER_TYPE_TYPES if t != 'purecloud']


def _current(ptype, **extra):
    obj = dict(id='0c7a9a54-2f0e-4b4e-8d0e-3c1b2a6e9f10' if ptype == 'custom' else ptype, name='Old', disabled=False,
               selfUri='/api/v2/identityproviders/%s' % ptype)
    if ptype != 'purecloud':
        obj.update(issuerURI='urn:old', ssoTargetURI='https://idp.example/sso', relyingPartyIdentifier='genesys.cloud.a')
    obj.update(extra)
    return obj


def _desired(ptype, **options):
    return idp.build_desired(ptype, options)


@pytest.mark.parametrize('ptype', idp.ALL_TYPES)
def test_none_when_the_options_hold(ptype):
    current = _current(ptype)
    options = dict(name='Old', enabled=True)
    if ptype != 'purecloud':
        options['issuer_uri'] = 'urn:old'
    p = idp.plan(ptype, current, _desired(ptype, **options))
    assert (p.action, p.method, p.changed, p.existed) == ('none', None, False, True)
    assert p.payload is None and p.fields == () and p.changed_options == []
    assert p.expected is current and p.before == p.after == idp.sanitize(ptype, current)
    assert p.guard is False


@pytest.mark.parametrize('ptype', SAML)
def test_create(ptype):
    p = idp.plan(ptype, None, _desired(ptype, name='New', issuer_uri='urn:new', enabled=True))
    assert p.action == 'create' and p.changed and not p.existed
    assert p.method == ('POST' if ptype == 'custom' else 'PUT')
    assert p.payload == dict(name='New', issuerURI='urn:new', disabled=False)
    assert p.expected is p.payload
    assert p.changed_options == ['enabled', 'issuer_uri', 'name']
    assert p.before == {} and p.after['issuer_uri'] == 'urn:new' and p.after['family'] == idp.family_of(ptype)
    assert p.guard is False   # creating never takes a sign-in away


def test_create_purecloud_is_a_put():
    p = idp.plan('purecloud', None, _desired('purecloud', enabled=True))
    assert (p.action, p.method, p.payload) == ('create', 'PUT', dict(disabled=False))
    assert p.guard is False


@pytest.mark.parametrize('ptype', SAML)
def test_update_keeps_the_fields_not_set(ptype):
    current = _current(ptype, providerName='Shown')
    p = idp.plan(ptype, current, _desired(ptype, issuer_uri='urn:new'))
    assert (p.action, p.method, p.fields, p.changed_options) == ('update', 'PUT', ('issuerURI',), ['issuer_uri'])
    assert p.payload['issuerURI'] == 'urn:new' and p.payload['providerName'] == 'Shown'
    assert 'id' not in p.payload and 'selfUri' not in p.payload
    assert p.before['issuer_uri'] == 'urn:old' and p.after['issuer_uri'] == 'urn:new'
    assert p.after['id'] == current['id']
    assert current['issuerURI'] == 'urn:old'   # the current object is never changed by planning


@pytest.mark.parametrize('ptype', idp.ALL_TYPES)
def test_disable_runs_the_guard(ptype):
    p = idp.plan(ptype, _current(ptype), _desired(ptype, enabled=False))
    assert p.action == 'update' and p.payload['disabled'] is True and p.guard is True


@pytest.mark.parametrize('ptype', idp.ALL_TYPES)
def test_delete(ptype):
    current = _current(ptype)
    p = idp.plan(ptype, current, None, 'absent')
    assert (p.action, p.method, p.payload, p.expected) == ('delete', 'DELETE', None, None)
    assert p.before == idp.sanitize(ptype, current) and p.after == {}
    assert p.guard is (ptype != 'purecloud')   # deleting the purecloud entry brings the default login back
    disabled = idp.plan(ptype, _current(ptype, disabled=True), None, 'absent')
    assert disabled.guard is False


@pytest.mark.parametrize('ptype', idp.ALL_TYPES)
def test_absent_and_already_gone(ptype):
    p = idp.plan(ptype, None, None, 'absent')
    assert (p.action, p.method, p.changed, p.existed, p.after, p.before) == ('none', None, False, False, {}, {})
    assert p.guard is False


@pytest.mark.parametrize('ptype', idp.ALL_TYPES)
def test_restore_puts_every_saved_field_back(ptype):
    saved = _current(ptype, name='Saved')
    if ptype != 'purecloud':
        saved['issuerURI'] = 'urn:saved'
    current = _current(ptype)
    p = idp.plan(ptype, current, saved, restore=True)
    assert p.action == 'restore' and p.method == 'PUT' and p.restore
    assert p.payload == idp.writable_copy(saved)
    assert 'name' in p.fields
    assert p.not_kept(saved) == [] and p.dropped(current) == []
    assert 'name' in p.not_kept(current)


@pytest.mark.parametrize('ptype', idp.ALL_TYPES)
def test_restore_of_an_unchanged_provider_is_none(ptype):
    saved = _current(ptype)
    p = idp.plan(ptype, copy.deepcopy(saved), saved, restore=True)
    assert (p.action, p.method, p.state) == ('none', None, 'present')


def test_restore_recreates_a_deleted_custom_provider_without_its_id():
    saved = _current('custom', name='Saved')
    p = idp.plan('custom', None, saved, restore=True)
    assert (p.action, p.method) == ('restore', 'POST')
    assert 'id' not in p.payload and 'selfUri' not in p.payload


@pytest.mark.parametrize('ptype', ['okta', 'custom', 'purecloud'])
def test_restore_of_a_backup_without_provider_deletes(ptype):
    p = idp.plan(ptype, _current(ptype), None, 'present', restore=True)
    assert (p.action, p.method, p.state, p.expected) == ('restore', 'DELETE', 'absent', None)
    gone = idp.plan(ptype, None, None, 'present', restore=True)
    assert gone.action == 'none'


def test_restore_of_a_saved_provider_the_api_would_refuse_to_create():
    with pytest.raises(idp.IdpError, match='needs issuer_uri'):
        idp.plan('okta', None, dict(name='NoIssuer', disabled=False), restore=True)


@pytest.mark.parametrize('ptype, options, message', [
    ('okta', dict(name='X'), 'needs issuer_uri'),
    ('custom', dict(issuer_uri='urn:x'), 'needs name'),
    ('generic', dict(issuer_uri='urn:x'), 'needs name'),
])
def test_create_refusals(ptype, options, message):
    with pytest.raises(idp.IdpError, match=message):
        idp.plan(ptype, None, _desired(ptype, **options))


def test_certificates_compare_as_fingerprints():
    cert, other = load_certificates([make_cert('CN=idp'), make_cert('CN=idp2')])
    current = _current('okta', certificate=cert.b64, certificates=[cert.b64])
    same = idp.plan('okta', current, dict(certificates=[cert]))
    assert same.action == 'none'
    rotated = idp.plan('okta', current, dict(certificates=[cert, other]))
    assert rotated.fields == ('certificates',)
    assert rotated.payload['certificate'] is None and rotated.payload['certificates'] == [cert.b64, other.b64]
    assert rotated.after['certificates'] and 'b64' not in str(rotated.after)


def test_ignored_dropped_fields_are_not_compared_while_unset():
    current = _current('okta')   # holds no providerName: an earlier run saw the platform drop it
    p = idp.plan('okta', current, _desired('okta', provider_name='Shown'), ignore=('providerName',))
    assert (p.action, p.ignored, p.compared) == ('none', ('providerName',), {})
    held = _current('okta', providerName='Other')   # holds one now: compared again
    q = idp.plan('okta', held, _desired('okta', provider_name='Shown'), ignore=('providerName',))
    assert (q.action, q.ignored, q.fields) == ('update', (), ('providerName',))


def test_not_kept_and_dropped_of_a_read_back():
    current = _current('okta')
    p = idp.plan('okta', current, _desired('okta', issuer_uri='urn:new', provider_name='Shown'))
    read_back = dict(p.payload, providerName=None)
    assert p.not_kept(read_back) == ['provider_name']
    assert p.dropped(read_back) == ['providerName']
    assert p.not_kept(dict(p.payload, providerName='Else')) == ['provider_name']
    assert p.dropped(dict(p.payload, providerName='Else')) == []
    assert p.not_kept(p.payload) == [] and p.dropped(p.payload) == []


def test_concurrent_fields_of_a_read_back():
    # the one read-back of a change: a value that is neither what the plan wrote nor what was there before is
    # another writer's; "as before" (not kept, lagging) and "no value" (dropped) are not
    current = _current('okta', providerName='Before')
    p = idp.plan('okta', current, _desired('okta', issuer_uri='urn:new', provider_name='Shown'))
    assert p.concurrent(p.payload) == []                                          # as written
    assert p.concurrent(dict(p.payload, issuerURI='urn:old')) == []               # as before: not kept
    assert p.concurrent(dict(p.payload, providerName=None)) == []                 # dropped by the platform
    assert p.concurrent(dict(p.payload, issuerURI='urn:third')) == ['issuerURI']  # another writer's value
    assert p.concurrent(dict(p.payload, name='Renamed')) == ['name']              # a field this plan did not set
    assert p.concurrent(dict(p.payload, disabled=True)) == ['disabled']
    cert = bare(make_cert('someone-else'))
    assert p.concurrent(dict(p.payload, certificates=[cert])) == ['certificates']  # fingerprints, not text
    assert p.concurrent(None) == []


def test_a_server_filled_value_is_no_concurrent_change():
    # the platform fills an empty relyingPartyIdentifier on a write (docs/genesys-api.md section 6): a value the
    # write left empty and the platform filled is not another writer's
    current = _current('okta', relyingPartyIdentifier=None)
    p = idp.plan('okta', current, _desired('okta', issuer_uri='urn:new'))
    assert p.payload.get('relyingPartyIdentifier') in (None, '')
    filled = dict(p.payload, relyingPartyIdentifier='https://login.mypurecloud.ie/saml')
    assert p.concurrent(filled) == [] and p.not_kept(filled) == []
    assert p.concurrent(dict(filled, issuerURI='urn:third')) == ['issuerURI']
    emptied = idp.plan('okta', _current('okta', relyingPartyIdentifier='x'),
                       _desired('okta', issuer_uri='urn:new', relying_party_identifier=''))
    assert emptied.payload['relyingPartyIdentifier'] == ''   # written empty: the platform fills it
    assert emptied.concurrent(dict(emptied.payload, relyingPartyIdentifier='https://login.mypurecloud.ie/saml')) == []


def test_certificates_another_writer_added_count_even_when_this_run_wrote_none():
    p = idp.plan('okta', _current('okta'), _desired('okta', issuer_uri='urn:new'))
    assert not idp.api_fingerprints(p.payload)
    assert p.concurrent(dict(p.payload, certificates=[bare(make_cert('added-by-another-run'))])) == ['certificates']


def test_concurrent_fields_need_a_previous_state():
    # a created provider has no "before" to tell another writer's value from one the platform did not keep
    p = idp.plan('okta', None, _desired('okta', issuer_uri='urn:new'))
    assert p.concurrent(dict(p.payload, issuerURI='urn:third')) == []
    assert p.not_kept(dict(p.payload, issuerURI='urn:third')) == ['issuer_uri']   # still not verified


def test_a_plan_cannot_be_changed():
    p = idp.plan('okta', None, _desired('okta', issuer_uri='urn:x'))
    with pytest.raises(AttributeError):
        p.action = 'none'
    with pytest.raises(AttributeError):
        p.anything = 1
    assert 'create' in repr(p)


@pytest.mark.parametrize('args, message', [
    (('nope', None, {}), 'unknown provider type'),
    (('../okta', None, {}), 'unknown provider type'),
    ((None, None, {}), 'unknown provider type'),
    (('okta', None, {}, 'gone'), 'unknown state'),
    (('okta', ['not', 'a', 'dict'], {}), 'must be an object'),
    (('okta', 'text', {}), 'must be an object'),
    (('okta', None, ['x']), 'must be an object'),
    (('okta', {}, 'x', 'present', True), 'must be an object'),
])
def test_hostile_inputs_are_refused(args, message):
    with pytest.raises(idp.IdpError, match=message):
        idp.plan(*args)


def test_fields_the_type_lacks_never_reach_the_payload():
    # a desired object is built by build_desired (which refuses such options); plan() still never sends a field the
    # type lacks unless the current object held it (a stale or foreign object is written back as read)
    current = _current('purecloud')
    p = idp.plan('purecloud', current, dict(disabled=True, issuerURI='urn:injected', bogus='x'))
    assert p.payload == dict(name='Old', disabled=True)
    fresh = idp.plan('purecloud', None, dict(disabled=False, issuerURI='urn:injected', bogus='x'))
    assert fresh.payload == dict(disabled=False)


def test_restore_keeps_unknown_saved_fields_and_drops_read_only_ones():
    saved = _current('okta', futureField='kept', selfUri='https://evil.example/x', id='okta')
    p = idp.plan('okta', _current('okta'), saved, restore=True)
    assert p.payload['futureField'] == 'kept'
    assert 'selfUri' not in p.payload and 'id' not in p.payload
