# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests that kill the surviving mutants of the provider safety code (docs/mutation.md, "Survivors in the safety
code"): the lockout guard before and after the write (``Change.guard``, ``Change.guard_after_write``,
``lockout_check``, ``org_has_sign_in``), the input checks (``check_inputs``), ``provider_path`` and ``slug``.

Each test was checked by applying the mutant to the source by hand and seeing the test fail.  The two
``Change`` guards are driven on a stand-in object (the run's reads, listing and rollback recorded), so a test
pins the decision (refused or not, rolled back or not) and the requests the guard sends.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_provider_model as model
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_backup import slug
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_change import Change
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_input import check_inputs

UUID_OKTA = '0c7a9a54-2f0e-4b4e-8d0e-3c1b2a6e9f10'     # a per-type entry listed by UUID, like a custom one
UUID_CORP = '5d1e2f30-4a5b-4c6d-8e7f-901a2b3c4d5e'
PC_OFF = dict(id='purecloud', name='PureCloud', disabled=True)


def _on(pid, name='x'):
    return dict(id=pid, name=name, disabled=False)


# ---------------------------------------------------------------- lockout_check

def test_lockout_check_skips_the_target_by_its_own_id_when_the_listing_shows_it_like_a_custom_entry():
    # okta listed by UUID without a type shape: only before['id'] tells it is the target itself
    before = dict(id=UUID_OKTA, name='Okta', disabled=False)
    after = dict(before, disabled=True)
    refusal = model.lockout_check([_on(UUID_OKTA, 'Okta'), PC_OFF], 'okta', None, before, after)
    assert refusal and 'Refusing to disable the okta identity provider' in refusal


def test_lockout_check_classifies_with_known_and_reads_the_whole_listing():
    # known names the UUID entry as okta (the target); the disabled login comes after it in the listing
    before = dict(name='Okta', disabled=False)     # no id: only the classification can skip the entry
    after = dict(before, disabled=True)
    entities = [_on(UUID_OKTA, 'Okta'), PC_OFF]
    assert model.lockout_check(entities, 'okta', None, before, after, known={UUID_OKTA: 'okta'})
    # a custom entry with another id is another way in
    assert model.lockout_check(entities + [_on(UUID_CORP)], 'okta', None, before, after,
                               known={UUID_OKTA: 'okta'}) is None


def test_lockout_check_skips_the_custom_target_by_the_target_id():
    before = dict(name='Corp', disabled=False)     # no id: only target_id tells it is the target
    refusal = model.lockout_check([_on(UUID_CORP, 'Corp'), PC_OFF], 'custom', UUID_CORP, before, None)
    assert refusal and 'Refusing to delete the custom identity provider' in refusal
    # another custom provider enabled: no refusal
    assert model.lockout_check([_on(UUID_CORP, 'Corp'), _on(UUID_OKTA), PC_OFF], 'custom', UUID_CORP,
                               before, None) is None


# ---------------------------------------------------------------- org_has_sign_in

def test_org_has_sign_in_classifies_with_known():
    entities = [_on(UUID_OKTA, 'Okta (lagging listing)'), PC_OFF]
    off = dict(name='Okta', disabled=True)
    assert model.org_has_sign_in(entities, 'okta', None, off, known={UUID_OKTA: 'okta'}) is False
    assert model.org_has_sign_in(entities, 'okta', None, off) is True      # unknown: a custom way in


def test_org_has_sign_in_reads_the_login_entry_after_the_target():
    entities = [_on('okta', 'Okta (lagging listing)'), PC_OFF]
    assert model.org_has_sign_in(entities, 'okta', None, dict(name='Okta', disabled=True)) is False


def test_org_has_sign_in_skips_the_target_by_own_id():
    entities = [_on(UUID_OKTA, 'Okta (lagging listing)'), PC_OFF]
    off = dict(name='Okta', disabled=True)
    assert model.org_has_sign_in(entities, 'okta', None, off, own_id=UUID_OKTA) is False
    assert model.org_has_sign_in(entities, 'okta', None, off, own_id='other') is True


def test_org_has_sign_in_uses_the_login_as_read_for_another_type():
    off = dict(name='Okta', disabled=True)
    assert model.org_has_sign_in([], 'okta', None, off, purecloud_state=dict(name='PureCloud', disabled=True)) is False
    assert model.org_has_sign_in([], 'okta', None, off, purecloud_state=None) is True


# ---------------------------------------------------------------- provider_path, slug, check_inputs

def test_provider_path_refusal_names_the_bad_type():
    with pytest.raises(model.ProviderIdError) as err:
        model.provider_path('okta/../x')
    assert repr('okta/../x') in str(err.value)


@pytest.mark.parametrize('text, expected', [('Xerox', 'Xerox'), ('-X corp X-', 'X-corp-X'), ('', 'provider')])
def test_slug_strips_only_dashes(text, expected):
    assert slug(text) == expected


@pytest.mark.parametrize('option', ['backup_dir', 'lock_dir', 'restore_from'])
def test_check_inputs_refuses_a_nul_byte_in_every_path_option(option):
    with pytest.raises(GenesysModuleFail) as err:
        check_inputs({option: '/tmp/a\x00b'})
    assert option in err.value.msg and 'NUL' in err.value.msg


def test_check_inputs_checks_the_probe_paths_of_the_preserved_clients():
    bot = dict(client_id='bot', client_secret='s', probe_paths=None)
    with pytest.raises(GenesysModuleFail) as err:
        check_inputs(dict(preserved_clients=[bot], probe_paths=['https://evil.example/api/v2/x']))
    assert err.value.msg.startswith('probe_paths:')
    with pytest.raises(GenesysModuleFail) as err:
        check_inputs(dict(preserved_clients=[dict(bot, probe_paths=['/api/v2/../oauth'])], probe_paths=None))
    assert err.value.msg.startswith('clients[0].probe_paths:')
    check_inputs(dict(preserved_clients=[bot], probe_paths=['/api/v2/organizations/me']))   # fine


# ---------------------------------------------------------------- Change.guard / Change.guard_after_write

class _Run:
    def __init__(self, entities, known=None, purecloud=None):
        self._entities, self.known, self._purecloud = entities, dict(known or {}), purecloud
        self.reads, self.resolved, self.forgot = [], 0, 0

    def read(self, ptype):
        self.reads.append(ptype)
        return self._purecloud

    def entities(self):
        return self._entities

    def resolve_types(self):
        self.resolved += 1

    def forget_listing(self):
        self.forgot += 1


class _Plan:
    guard = True


class _Change:
    """Stands in for a Change: the attributes the two guards read, the rollback recorded."""

    def __init__(self, run, ptype, current, after_obj, provider_id=None, write='PUT', verified=True):
        self.run, self.ptype, self.current, self.after_obj = run, ptype, current, after_obj
        self.provider_id, self.write, self.label, self.params, self.plan = provider_id, write, ptype, {}, _Plan()
        self.verified, self.rollbacks = verified, []

    def reduces_sign_in(self):
        return True

    def rollback(self, reason):
        self.rollbacks.append(reason)
        return dict(verified=self.verified, msg=None if self.verified else 'PUT answered 503')


def test_guard_of_the_login_decides_on_its_own_object_without_reading_it_again():
    run = _Run([])
    change = _Change(run, 'purecloud', dict(id='purecloud', name='PureCloud', disabled=False),
                     dict(name='PureCloud', disabled=True))
    with pytest.raises(GenesysModuleFail) as err:
        Change.guard(change)
    assert 'Refusing to disable the Genesys Cloud login' in err.value.msg
    assert run.reads == []


def test_guard_resolves_the_types_of_an_ambiguous_listing_only():
    change = _Change(_Run([_on(UUID_CORP)]), 'okta', dict(name='Okta', disabled=False), dict(name='Okta', disabled=False))
    Change.guard(change)
    assert change.run.resolved == 1
    change.run = _Run([_on(UUID_CORP)], known={UUID_CORP: 'gsuite'})
    Change.guard(change)
    assert change.run.resolved == 0


def test_guard_passes_known_and_the_login_as_read():
    run = _Run([_on(UUID_OKTA, 'Okta')], known={UUID_OKTA: 'okta'}, purecloud=dict(name='PureCloud', disabled=True))
    change = _Change(run, 'okta', dict(name='Okta', disabled=False), dict(name='Okta', disabled=True))
    with pytest.raises(GenesysModuleFail) as err:
        Change.guard(change)
    assert 'Refusing to disable the okta identity provider' in err.value.msg and run.reads == ['purecloud']


def test_guard_skips_the_custom_target_by_its_provider_id():
    run = _Run([_on(UUID_CORP, 'Corp'), PC_OFF], purecloud=dict(name='PureCloud', disabled=True))
    change = _Change(run, 'custom', dict(name='Corp', disabled=False), dict(name='Corp', disabled=True),
                     provider_id=UUID_CORP)
    with pytest.raises(GenesysModuleFail):
        Change.guard(change)


def _after_write_fails(change):
    with pytest.raises(GenesysModuleFail) as err:
        Change.guard_after_write(change)
    assert change.rollbacks == ['the org had no enabled sign-in left after the write']
    return err.value.msg


def test_guard_after_write_for_the_login_itself_reads_no_login():
    run = _Run([])
    change = _Change(run, 'purecloud', dict(id='purecloud', name='PureCloud', disabled=False),
                     dict(name='PureCloud', disabled=True))
    msg = _after_write_fails(change)
    assert run.reads == [] and run.forgot == 1
    assert 'after this run disabled the purecloud identity provider' in msg and 'The change was rolled back.' in msg


def test_guard_after_write_skips_the_per_type_target_and_says_what_was_not_rolled_back():
    run = _Run([_on('okta', 'Okta (lagging listing)')], purecloud=dict(name='PureCloud', disabled=True))
    change = _Change(run, 'okta', dict(name='Okta', disabled=False), None, write='DELETE', verified=False)
    msg = _after_write_fails(change)
    assert run.reads == ['purecloud']
    assert 'after this run deleted the okta identity provider' in msg
    assert 'The change was NOT rolled back (PUT answered 503).' in msg


def test_guard_after_write_skips_the_custom_target_by_its_provider_id():
    run = _Run([_on(UUID_CORP, 'Corp')], purecloud=dict(name='PureCloud', disabled=True))
    change = _Change(run, 'custom', dict(name='Corp', disabled=False), dict(name='Corp', disabled=True),
                     provider_id=UUID_CORP)
    _after_write_fails(change)


def test_guard_after_write_passes_known_and_the_login_as_read():
    run = _Run([_on(UUID_OKTA, 'Okta')], known={UUID_OKTA: 'okta'}, purecloud=dict(name='PureCloud', disabled=True))
    change = _Change(run, 'okta', dict(name='Okta', disabled=False), dict(name='Okta', disabled=True))
    _after_write_fails(change)


def test_guard_after_write_skips_the_target_by_the_id_it_had():
    run = _Run([_on(UUID_OKTA, 'Okta')], purecloud=dict(name='PureCloud', disabled=True))
    change = _Change(run, 'okta', dict(id=UUID_OKTA, name='Okta', disabled=False), dict(name='Okta', disabled=True))
    _after_write_fails(change)
    # another provider enabled: no rollback
    change = _Change(_Run([_on(UUID_OKTA, 'Okta'), _on(UUID_CORP)], purecloud=dict(name='PureCloud', disabled=True)),
                     'okta', dict(id=UUID_OKTA, name='Okta', disabled=False), dict(name='Okta', disabled=True))
    Change.guard_after_write(change)
    assert change.rollbacks == []
