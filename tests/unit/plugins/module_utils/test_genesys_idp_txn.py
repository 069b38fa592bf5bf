# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The change as one recoverable unit (issue 13 A, B5, D14, D15, E16 c): journal, per-org lock, re-plan under the
lock, post-write lockout guard, verification, preserved clients after the write, verified rollback, unknown-outcome
writes, backups applied only to their org, private backup directories.

Every test drives the public ``core()`` against the in-memory fake API; the preserved-client check
(``check_client``) is replaced by a switch the test flips, so "the change broke a bot" is one line.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import stat
import time

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_txn as txn
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_core as idp_core
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import GenesysError
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail, RunContext
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import (
    FakeIdpApi,
    bare,
    make_cert,
)

OLD = dict(name='Okta', issuerURI='urn:old', ssoTargetURI='https://old.example/sso', disabled=False)
BOT = dict(client_id='bot', client_secret='bot-secret-1a2b', name='reporting-bot', probe_paths=None, expect=None)


class Api(FakeIdpApi):
    """The fake with hooks: ``after[(METHOD, path)]`` runs after a request; ``unknown`` makes writes time out."""

    def __init__(self, *args, **kwargs):
        FakeIdpApi.__init__(self, *args, **kwargs)
        self.after = {}
        self.unknown = {}      # METHOD -> 'applied' | 'lost': the write times out after (not) taking effect

    def request(self, method, path, body=None, query=None, expect_404=False, headers=None):
        mode = self.unknown.get(method.upper())
        if mode == 'lost':
            self.log.append((method.upper(), path, body))
            raise GenesysError(status=None, code='connection.error', message='read time-out', method=method, path=path)
        answer = FakeIdpApi.request(self, method, path, body=body, query=query, expect_404=expect_404)
        hook = self.after.get((method.upper(), path))
        if hook is not None:
            hook(self)
        if mode == 'applied':
            raise GenesysError(status=None, code='connection.error', message='read time-out', method=method, path=path)
        return answer


@pytest.fixture
def clients(monkeypatch):
    """The preserved-client check: ``clients['ok']`` decides; every call is recorded in ``clients['calls']``."""
    state = dict(ok=True, calls=0)

    def fake_check(params, target, ctx):
        state['calls'] += 1
        passed = state['ok'] if not callable(state['ok']) else state['ok']()
        return dict(client_id=target['client_id'], name=target['name'], passed=passed,
                    checks=[dict(name='token', passed=passed, detail='granted' if passed else 'HTTP 401 invalid_client')],
                    token_lifetime=None, organization=None, client=None, roles=[], probes=[])

    monkeypatch.setattr(idp_core, 'check_client', fake_check)
    return state


@pytest.fixture
def no_sleep(monkeypatch):
    slept = []
    monkeypatch.setattr(time, 'sleep', slept.append)
    return slept


def params(**kw):
    p = dict((k, v.get('default')) for k, v in idp_core.SPEC['argument_spec'].items())
    p.update(dict(api_url='https://api.mypurecloud.ie', client_id='admin', client_secret='s', consistency_timeout=0.5,
                  settle_delay=0.0))
    p.update(kw)
    return p


def run(api, check=False, **kw):
    ctx = RunContext(check_mode=check, diff_mode=True)
    return idp_core.core(params(**kw), ctx, client=api), ctx


def fail(api, check=False, **kw):
    with pytest.raises(GenesysModuleFail) as info:
        run(api, check=check, **kw)
    return info.value


def okta(**kw):
    args = dict(type='okta', name='Okta', issuer_uri='urn:new', sso_target_uri='https://new.example/sso',
                certificates=[make_cert('okta-new')])
    args.update(kw)
    return args


def journals(directory):
    return sorted(glob.glob(os.path.join(str(directory), '*' + txn.JOURNAL_SUFFIX)))


def journal_doc(path):
    with open(path) as handle:
        return json.load(handle)


def provider_writes(api):
    return [(m, p) for m, p, b in api.writes()]


# ---------------------------------------------------------------------------------------------- journal

def test_a_journaled_change_records_every_step_and_ends_complete(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD)})
    result, ctx = run(api, backup=True, backup_dir=str(tmp_path), preserved_clients=[BOT], **okta())
    assert result['changed'] and result['verified'] is True and result['existed'] is True
    assert result['clients_before']['passed'] and result['clients_after']['passed'] and clients['calls'] == 2
    [path] = journals(tmp_path)
    doc = journal_doc(path)
    assert result['journal_file'] == path and doc['state'] == 'complete'
    assert [h['state'] for h in doc['history']] == ['intent', 'written', 'verified', 'complete']
    assert doc['backup_file'] == result['backup_file'] and doc['before']['issuerURI'] == 'urn:old'
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert result['end_state']['issuer_uri'] == 'urn:new'


def test_a_change_that_breaks_a_bot_is_rolled_back_and_the_rollback_verified(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD)})
    api.after[('PUT', '/api/v2/identityproviders/okta')] = lambda a: clients.update(ok=False)
    exc = fail(api, backup=True, backup_dir=str(tmp_path), preserved_clients=[BOT], **okta())
    assert exc.extra['failed_step'] == 'clients_after' and exc.extra['rolled_back'] is True
    assert 'restored from' in exc.msg and 'reporting-bot: token: HTTP 401' in exc.msg
    assert api.state('okta')['issuerURI'] == 'urn:old'
    assert provider_writes(api) == [('PUT', '/api/v2/identityproviders/okta')] * 2
    assert journal_doc(journals(tmp_path)[0])['state'] == 'rolled-back'


def test_clients_are_validated_after_the_write_even_when_it_cannot_be_read_back(tmp_path, clients, no_sleep):
    # the old role skipped step 6 and the rollback when step 5 could not read the provider
    api = Api(providers={'okta': dict(OLD)}, not_found_reads_after_write=1000)
    api.after[('PUT', '/api/v2/identityproviders/okta')] = lambda a: clients.update(ok=False)
    exc = fail(api, backup=True, backup_dir=str(tmp_path), preserved_clients=[BOT], consistency_timeout=0, **okta())
    assert exc.extra['failed_step'] == 'clients_after' and clients['calls'] == 2
    assert api.state('okta')['issuerURI'] == 'urn:old'   # rolled back (sent; the read-back is still 404)


def test_a_client_failing_before_the_change_means_no_change(tmp_path, clients):
    clients['ok'] = False
    api = Api(providers={'okta': dict(OLD)})
    exc = fail(api, backup=True, backup_dir=str(tmp_path), preserved_clients=[BOT], **okta())
    assert exc.extra['failed_step'] == 'clients_before' and 'No change was made' in exc.msg
    assert api.writes() == [] and journals(tmp_path) == []


def _interrupted(tmp_path, api, state, payload_issuer='urn:new', **extra):
    """A journal as a run killed half way leaves it (the provider as the fake holds it now)."""
    backup = tmp_path / 'acme-prod_okta_backup.json'
    backup.write_text(json.dumps(dict(format=idp_core.BACKUP_FORMAT, version=1, type='okta', provider=dict(OLD),
                                      api_url=api.api_url, organization=dict(short_name='acme-prod', id='org-id-1'))))
    payload = dict(OLD, issuerURI=payload_issuer)
    journal = txn.Journal.create(str(tmp_path), 'acme-prod_okta', api_url=api.api_url, client_id='admin',
                                 organization=dict(short_name='acme-prod', id='org-id-1'), type='okta', provider_id=None,
                                 label='okta', name='Okta', operation='PUT', before=dict(OLD), payload=payload,
                                 backup_file=str(backup), clients=['reporting-bot'])
    journal.update(state, **extra)
    return journal


def test_the_next_run_undoes_an_interrupted_change_that_broke_a_bot(tmp_path, clients):
    # killed right after the PUT: the org holds the change, the bot fails. The old next run said "No change was
    # made: a preserved OAuth client fails before the change" and never undid it.
    api = Api(providers={'okta': dict(OLD, issuerURI='urn:new')})
    journal = _interrupted(tmp_path, api, txn.WRITTEN)
    clients['ok'] = lambda: api.state('okta')['issuerURI'] == 'urn:old'
    exc = fail(api, backup=True, backup_dir=str(tmp_path), preserved_clients=[BOT], **okta())
    assert exc.extra['failed_step'] == 'recover' and 'ROLLED BACK' in exc.msg and journal.path in exc.msg
    assert 'No change was made' not in exc.msg
    assert api.state('okta')['issuerURI'] == 'urn:old'
    assert journal_doc(journal.path)['state'] == 'rolled-back'
    assert provider_writes(api) == [('PUT', '/api/v2/identityproviders/okta')]   # the undo only


def test_the_next_run_finishes_an_interrupted_change_that_works(tmp_path, clients):
    # killed after the PUT, before the verification: the old next run said "no change needed" (never validated)
    api = Api(providers={'okta': dict(OLD, issuerURI='urn:new')})
    journal = _interrupted(tmp_path, api, txn.WRITTEN)
    result, ctx = run(api, backup=True, backup_dir=str(tmp_path), preserved_clients=[BOT], issuer_uri='urn:new',
                      type='okta')
    assert [r['action'] for r in result['recovered']] == ['finished'] and clients['calls'] == 2
    assert any('Finished an interrupted change' in w for w in ctx.warnings)
    assert journal_doc(journal.path)['state'] == 'complete' and result['changed'] is False


def test_an_interrupted_write_that_never_landed_is_abandoned(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD)})
    journal = _interrupted(tmp_path, api, txn.INTENT)
    result, ctx = run(api, backup=True, backup_dir=str(tmp_path), preserved_clients=[BOT], **okta())
    assert result['recovered'][0]['action'] == 'abandoned' and journal_doc(journal.path)['state'] == 'abandoned'
    assert result['changed'] and api.state('okta')['issuerURI'] == 'urn:new'


def test_an_interrupted_change_needs_the_preserved_clients_to_be_finished(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD, issuerURI='urn:new')})
    _interrupted(tmp_path, api, txn.WRITTEN)
    exc = fail(api, backup=True, backup_dir=str(tmp_path), type='okta', issuer_uri='urn:new')
    assert 'reporting-bot' in exc.msg and 'preserved_clients' in exc.msg and api.writes() == []


def test_check_mode_reports_an_unfinished_journal_and_writes_nothing(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD, issuerURI='urn:new')})
    journal = _interrupted(tmp_path, api, txn.WRITTEN)
    result, ctx = run(api, check=True, backup=True, backup_dir=str(tmp_path), preserved_clients=[BOT], **okta())
    assert result['recovered'] == [dict(journal=journal.path, state='written', action='pending')]
    assert any('unfinished change' in w for w in ctx.warnings)
    assert api.writes() == [] and journal_doc(journal.path)['state'] == 'written'


def test_a_journal_of_another_org_is_left_alone(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD, issuerURI='urn:new')})
    journal = _interrupted(tmp_path, api, txn.WRITTEN, client_id='other-admin',
                           organization=dict(short_name='other-org', id='org-id-2'))
    result, ctx = run(api, backup=True, backup_dir=str(tmp_path), preserved_clients=[BOT], issuer_uri='urn:new',
                      type='okta')
    assert result['recovered'] == [] and journal_doc(journal.path)['state'] == 'written'


# ---------------------------------------------------------------------------------------------- unknown outcomes

def test_a_timed_out_put_that_did_not_land_is_never_rolled_back_nor_repeated(tmp_path, clients, no_sleep):
    api = Api(providers={'okta': dict(OLD)})
    api.unknown['PUT'] = 'lost'
    exc = fail(api, backup=True, backup_dir=str(tmp_path), preserved_clients=[BOT], **okta())
    assert exc.extra['failed_step'] == 'write' and 'outcome of the update' in exc.msg and 'not repeated' in exc.msg
    assert provider_writes(api) == [('PUT', '/api/v2/identityproviders/okta')]
    assert journal_doc(journals(tmp_path)[0])['state'] == 'unknown' and 'rollback' not in exc.extra


def test_a_timed_out_put_that_landed_is_found_by_reading_and_verified(tmp_path, clients, no_sleep):
    api = Api(providers={'okta': dict(OLD)})
    api.unknown['PUT'] = 'applied'
    result, ctx = run(api, backup=True, backup_dir=str(tmp_path), preserved_clients=[BOT], **okta())
    assert result['verified'] is True and any('timed out, but a read shows it took effect' in w for w in ctx.warnings)
    assert provider_writes(api) == [('PUT', '/api/v2/identityproviders/okta')]


def test_a_timed_out_post_is_found_again_and_never_duplicated(tmp_path, clients, no_sleep):
    api = Api()
    api.unknown['POST'] = 'applied'
    args = dict(type='custom', name='Corp', issuer_uri='urn:corp', sso_target_uri='https://corp.example/sso',
                certificates=[make_cert('corp')])
    result, ctx = run(api, backup=True, backup_dir=str(tmp_path), **args)
    assert result['id'] == api.custom_by_name('Corp')[0]['id'] and len(api.custom_by_name('Corp')) == 1
    api.unknown.clear()
    again, ctx = run(api, backup=True, backup_dir=str(tmp_path), **args)
    assert again['changed'] is False and len(api.custom_by_name('Corp')) == 1
    assert [m for m, p in provider_writes(api)] == ['POST']


# ---------------------------------------------------------------------------------------------- concurrency

def test_the_lock_held_by_another_run_fails_cleanly_naming_it(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD)})
    lock_dir = tmp_path / 'locks'
    other = txn.OrgLock(str(lock_dir), 'api.mypurecloud.ie', 'acme-prod').acquire(what='another job')
    try:
        exc = fail(api, lock_dir=str(lock_dir), lock_timeout=0.3, **okta())
    finally:
        other.release()
    assert 'Another run is changing' in exc.msg and 'another job' in exc.msg and 'lock_timeout' in exc.msg
    assert api.writes() == []
    result, ctx = run(api, lock_dir=str(lock_dir), **okta())   # released: the next run goes through
    assert result['changed'] and result['lock_waited'] == 0.0


def test_a_run_re_reads_under_the_lock_when_another_run_changed_the_org_meanwhile(tmp_path, clients):
    # another run on this controller wrote (and released the lock) after this run's first read: the lost update
    api = Api(providers={'okta': dict(OLD)})
    lock_dir = tmp_path / 'locks'
    txn.OrgLock(str(lock_dir), 'api.mypurecloud.ie', 'acme-prod').acquire().release()

    def other_run_writes(a):
        a.providers['okta']['data']['name'] = 'Renamed by the other run'
        lock = txn.OrgLock(str(lock_dir), 'api.mypurecloud.ie', 'acme-prod').acquire()
        lock.release()

    api.after[('GET', '/api/v2/identityproviders/okta')] = lambda a: (api.after.clear(), other_run_writes(a))
    result, ctx = run(api, lock_dir=str(lock_dir), type='okta', issuer_uri='urn:new')
    okta_reads = [p for m, p, b in api.log if m == 'GET' and p.endswith('/okta')]
    assert len(okta_reads) >= 3   # the deciding read, the read under the lock, the read-back
    put = [b for m, p, b in api.log if m == 'PUT'][0]
    assert put['name'] == 'Renamed by the other run'   # the other run's field kept, not overwritten


def test_no_re_read_when_no_run_changed_the_org_since_the_read(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD)})
    result, ctx = run(api, lock_dir=str(tmp_path / 'locks'), type='okta', issuer_uri='urn:new')
    reads = [p for m, p, b in api.log if m == 'GET' and p.endswith('/okta')]
    assert len(reads) == 2   # deciding read, the one read-back (verify + concurrent check): no re-read (new lock file)


def test_the_guard_is_checked_again_after_the_write_and_a_lockout_is_compensated(tmp_path, clients):
    # SSO-only org (Genesys login disabled), okta and a custom provider enabled. This run disables okta (the guard
    # passes: the custom one is enabled); another controller disables the custom one at the same moment.
    api = Api(providers={'okta': dict(OLD), 'purecloud': dict(name='PureCloud', disabled=True)},
              custom=[dict(name='Corp', issuerURI='urn:c', disabled=False)])
    corp = api.custom_by_name('Corp')[0]['id']

    def other_controller(a):
        a.custom[corp]['data']['disabled'] = True

    api.after[('PUT', '/api/v2/identityproviders/okta')] = other_controller
    exc = fail(api, backup=True, backup_dir=str(tmp_path), type='okta', enabled=False)
    assert exc.extra['failed_step'] == 'guard_after_write' and 'LOCKOUT PREVENTED' in exc.msg
    assert 'rolled back' in exc.msg and api.state('okta')['disabled'] is False   # okta enabled again at once


def test_a_concurrent_change_after_the_write_is_reported_not_verified(tmp_path, clients, monkeypatch):
    api = Api(providers={'okta': dict(OLD)})
    sleeps = []

    def settle(seconds):
        sleeps.append(seconds)
        api.providers['okta']['data']['issuerURI'] = 'urn:other-run'   # another run wrote during the settle delay

    monkeypatch.setattr(time, 'sleep', settle)
    exc = fail(api, settle_delay=5.0, **okta())
    assert exc.extra['failed_step'] == 'final_verify' and 'CONCURRENT CHANGE' in exc.msg and 'issuer_uri' in exc.msg
    assert exc.extra['verified'] is False and sleeps and 4.0 < sleeps[0] <= 5.0


def test_one_read_back_settle_delay_after_the_write_then_the_clients(tmp_path, monkeypatch):
    # the order that makes one read serve both the verification and the concurrent-change check: the write, the
    # settle delay, the one read-back (visible), only then the preserved clients (proven once the write shows)
    api = Api(providers={'okta': dict(OLD)})
    events = []
    monkeypatch.setattr(time, 'sleep', lambda seconds: events.append(('sleep', round(seconds))))
    api.after[('PUT', '/api/v2/identityproviders/okta')] = lambda a: events.append(('PUT', 'okta'))
    api.after[('GET', '/api/v2/identityproviders/okta')] = lambda a: events.append(('GET', 'okta'))

    def fake_check(params, target, ctx):
        events.append(('clients', target['client_id']))
        return dict(client_id=target['client_id'], name=target['name'], passed=True, checks=[], token_lifetime=None,
                    organization=None, client=None, roles=[], probes=[])

    monkeypatch.setattr(idp_core, 'check_client', fake_check)
    result, ctx = run(api, settle_delay=30.0, preserved_clients=[BOT], validate_clients_before=False, **okta())
    assert result['verified'] is True and result['changed'] is True
    after_write = events[events.index(('PUT', 'okta')):]
    assert after_write == [('PUT', 'okta'), ('sleep', 30), ('GET', 'okta'), ('clients', 'bot')]


def test_a_concurrent_change_of_a_field_this_run_did_not_set_is_reported(tmp_path, clients, monkeypatch):
    # another run renames the provider during the settle delay: the name is neither what this run wrote (the
    # unchanged name) nor what was there before, so the one read-back reports it, after the clients were proven
    api = Api(providers={'okta': dict(OLD)})

    def other_run(seconds):
        api.providers['okta']['data']['name'] = 'Renamed by the other run'

    monkeypatch.setattr(time, 'sleep', other_run)
    exc = fail(api, settle_delay=5.0, preserved_clients=[BOT], type='okta', issuer_uri='urn:new')
    assert exc.extra['failed_step'] == 'final_verify' and 'CONCURRENT CHANGE' in exc.msg and '(fields name)' in exc.msg
    assert exc.extra['verified'] is False and clients['calls'] == 2   # before and after: proven whatever happened


def test_a_value_the_platform_left_as_before_is_not_kept_not_a_concurrent_change(tmp_path, clients, no_sleep):
    # the platform answers the write but keeps the old issuer (a field it does not keep): "not kept", the next
    # run tries again; it is no concurrent change (the value is the one before, not a third one)
    api = Api(providers={'okta': dict(OLD)})
    api.after[('PUT', '/api/v2/identityproviders/okta')] = (
        lambda a: a.providers['okta']['data'].update(issuerURI='urn:old'))
    result, ctx = run(api, settle_delay=1.0, **okta())
    assert result['verified'] is False and 'issuer_uri' in result['not_kept'] and result['changed'] is True
    assert any('did not keep the value(s) of issuer_uri' in w and 'read 1.0s after the write' in w for w in ctx.warnings)


def test_a_read_refused_after_an_accepted_write_does_not_retire_the_backup(tmp_path, clients, no_sleep):
    # the PUT was accepted (the change happened); the read-back is refused (403): the backup and the journal of a
    # real change must stay as they are (retiring them is only for a write the platform refused)
    api = Api(providers={'okta': dict(OLD)})

    def refuse_the_next_read(a):
        a.fail_next = ('GET', 403, 'missing.any.permissions', 'You are missing the permission sso:provider:view')

    api.after[('PUT', '/api/v2/identityproviders/okta')] = refuse_the_next_read
    exc = fail(api, backup=True, backup_dir=str(tmp_path), **okta())
    assert exc.extra['failed_step'] == 'verify' and api.state('okta')['issuerURI'] == 'urn:new'
    assert exc.extra['backup_file'].endswith('.json') and os.path.isfile(exc.extra['backup_file'])
    assert glob.glob(os.path.join(str(tmp_path), '*.not-applied')) == []
    assert journal_doc(journals(tmp_path)[0])['state'] == 'written'   # the next run verifies it


def _clients_of_org(monkeypatch, org):
    calls = []

    def fake_check(params, target, ctx):
        calls.append(target['client_id'])
        return dict(client_id=target['client_id'], name=target['name'], passed=True, checks=[], token_lifetime=None,
                    organization=dict(org), client=None, roles=[], probes=[])

    monkeypatch.setattr(idp_core, 'check_client', fake_check)
    return calls


def test_a_preserved_client_of_another_org_stops_the_change_before_the_write(tmp_path, monkeypatch):
    # 200 orgs in one inventory: another org's bot pasted into this org's vars passes before and after the change
    # while this org's own automation is never checked; the org read for the lock tells (no request of its own)
    calls = _clients_of_org(monkeypatch, dict(id='org-id-2', name='Other', short_name='other-prod'))
    api = Api(providers={'okta': dict(OLD)})
    exc = fail(api, preserved_clients=[BOT], lock_dir=str(tmp_path / 'locks'), **okta())
    assert exc.extra['failed_step'] == 'clients_org' and api.writes() == [] and calls == ['bot']
    assert 'reporting-bot (org other-prod, id org-id-2) belong to another org' in exc.msg
    assert 'org acme-prod, id org-id-1' in exc.msg and 'No change was made' in exc.msg


def test_a_preserved_client_of_this_org_passes_the_org_check(tmp_path, monkeypatch):
    _clients_of_org(monkeypatch, dict(id='org-id-1', name='Acme', short_name=None))
    api = Api(providers={'okta': dict(OLD)})
    result, ctx = run(api, preserved_clients=[BOT], lock_dir=str(tmp_path / 'locks'), **okta())
    assert result['changed'] is True and result['verified'] is True and len(api.writes()) == 1
    # the org was read once (the lock): the comparison made no request of its own
    assert [p for m, p, b in api.log if p == '/api/v2/organizations/me'] == ['/api/v2/organizations/me']


def test_a_given_org_short_name_is_compared_with_the_clients_short_name(tmp_path, monkeypatch):
    # the org named by org_short_name (not read: no id), the client's org known by its short name only: compared by
    # short name, case-insensitively; a typo in org_short_name is caught the same way
    _clients_of_org(monkeypatch, dict(id=None, name=None, short_name='ACME-PROD'))
    result, ctx = run(Api(providers={'okta': dict(OLD)}), preserved_clients=[BOT], org_short_name='acme-prod',
                      lock_dir=str(tmp_path / 'locks'), **okta())
    assert result['changed'] is True
    api = Api(providers={'okta': dict(OLD)})
    exc = fail(api, preserved_clients=[BOT], org_short_name='acme-prdo', lock_dir=str(tmp_path / 'locks'), **okta())
    assert exc.extra['failed_step'] == 'clients_org' and api.writes() == []
    assert 'reporting-bot (org ACME-PROD, id ?) belong to another org than the one this task changes (org ' \
           'acme-prdo, id ?)' in exc.msg and exc.msg.endswith(' (or correct org_short_name, which names this org).')


def test_no_org_check_and_no_request_for_it_when_nothing_changes(tmp_path, monkeypatch):
    # a converged run reads no org (the minimum: 6 requests); nothing is written, so nothing is compared
    _clients_of_org(monkeypatch, dict(id='org-id-2', name='Other', short_name='other-prod'))
    api = Api(providers={'okta': dict(OLD)})
    result, ctx = run(api, preserved_clients=[BOT], type='okta', name='Okta', issuer_uri='urn:old')
    assert result['changed'] is False and [p for m, p, b in api.log if p == '/api/v2/organizations/me'] == []


def test_every_client_is_compared_not_only_up_to_one_that_cannot_be(tmp_path, monkeypatch):
    # the first client's org is not known (nothing to compare), the second is another org's: still refused; and a
    # client without a name is named by its id, an org without a short name by its name, an unknown id as "?"
    orgs = iter([dict(id=None, name=None, short_name=None), dict(id='org-id-2', name='Other', short_name=None)])

    def fake_check(params, target, ctx):
        return dict(client_id=target['client_id'], name=target['name'], passed=True, checks=[], token_lifetime=None,
                    organization=next(orgs), client=None, roles=[], probes=[])

    monkeypatch.setattr(idp_core, 'check_client', fake_check)
    api = Api(providers={'okta': dict(OLD)})
    unnamed = dict(BOT, client_id='bot-2', name=None)
    exc = fail(api, preserved_clients=[BOT, unnamed], lock_dir=str(tmp_path / 'locks'), **okta())
    assert exc.extra['failed_step'] == 'clients_org' and api.writes() == []
    assert "the preserved OAuth client(s) bot-2 (org Other, id org-id-2) belong to another org than the one this " \
           "task changes (org acme-prod, id org-id-1), so proving them" in exc.msg
    assert exc.msg.endswith("own clients in preserved_clients.")   # the org has an id: no hint at org_short_name


def test_a_client_of_an_unnamed_other_org_is_named_by_its_id(tmp_path, monkeypatch):
    _clients_of_org(monkeypatch, dict(id='org-id-9', name=None, short_name=None))
    exc = fail(Api(providers={'okta': dict(OLD)}), preserved_clients=[BOT], lock_dir=str(tmp_path / 'locks'), **okta())
    assert 'the preserved OAuth client(s) reporting-bot (org ?, id org-id-9) belong to another org' in exc.msg


def test_the_verdict_closes_the_journal_complete_or_written(tmp_path, clients, no_sleep):
    # verified: the journal is complete (no note); not kept: written, "not verified yet" (the next run verifies it)
    api = Api(providers={'okta': dict(OLD)})
    result, ctx = run(api, backup=True, backup_dir=str(tmp_path / 'ok'), **okta())
    doc = journal_doc(journals(tmp_path / 'ok')[0])
    assert result['verified'] is True and doc['state'] == 'complete' and 'note' not in doc['history'][-1]
    api = Api(providers={'okta': dict(OLD)})
    api.after[('PUT', '/api/v2/identityproviders/okta')] = (
        lambda a: a.providers['okta']['data'].update(issuerURI='urn:old'))
    result, ctx = run(api, backup=True, backup_dir=str(tmp_path / 'kept'), **okta())
    doc = journal_doc(journals(tmp_path / 'kept')[0])
    assert result['verified'] is False and doc['state'] == 'written'
    assert doc['history'][-1]['note'] == 'written; not verified yet'


def test_a_concurrent_change_says_what_it_saw_and_closes_the_journal(tmp_path, clients, monkeypatch):
    api = Api(providers={'okta': dict(OLD)})
    monkeypatch.setattr(time, 'sleep', lambda s: api.providers['okta']['data'].update(issuerURI='urn:other-run'))
    exc = fail(api, settle_delay=2.0, backup=True, backup_dir=str(tmp_path), **okta())
    assert 'but read 2.0s later it showed values this run did not write (fields issuer_uri) (neither' in exc.msg
    doc = journal_doc(journals(tmp_path)[0])
    assert doc['state'] == 'complete'
    assert doc['history'][-1]['note'] == 'concurrent change: it showed values this run did not write'


def test_a_rollback_that_a_delayed_write_undoes_is_sent_again(tmp_path, clients):
    # the change's PUT lands late again after the rollback (a retried write): the rollback is verified after the
    # settle delay and sent again, instead of reporting "ROLLED BACK" while the org is on the new config
    api = Api(providers={'okta': dict(OLD)})
    state = dict(puts=0)

    def on_put(a):
        state['puts'] += 1
        if state['puts'] == 1:
            clients.update(ok=False)

    landed = dict(done=False)

    def late_landing(a):
        if state['puts'] == 2 and not landed['done'] and a.log[-1][0] == 'GET':
            reads_after_rollback = [e for e in a.log[[i for i, e in enumerate(a.log) if e[0] == 'PUT'][-1]:]
                                    if e[0] == 'GET']
            if len(reads_after_rollback) == 1:   # after the rollback's read-back, before its final read
                landed['done'] = True
                a.providers['okta']['data']['issuerURI'] = 'urn:new'

    api.after[('PUT', '/api/v2/identityproviders/okta')] = on_put
    api.after[('GET', '/api/v2/identityproviders/okta')] = late_landing
    exc = fail(api, **dict(okta(), preserved_clients=[BOT]))
    assert exc.extra['rollback']['verified'] is True and exc.extra['rollback']['attempts'] == 2
    assert api.state('okta')['issuerURI'] == 'urn:old'


# ---------------------------------------------------------------------------------------------- restore / backups

def _backup(tmp_path, org_id='org-id-1', short='acme-prod', api_url='https://api.mypurecloud.ie', provider=None):
    path = tmp_path / ('backup-%s.json' % short)
    path.write_text(json.dumps(dict(format=idp_core.BACKUP_FORMAT, version=1, type='okta',
                                    provider=provider or dict(OLD), api_url=api_url,
                                    organization=dict(short_name=short, id=org_id))))
    return str(path)


def test_a_backup_of_another_org_is_refused_before_any_write(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD, issuerURI='urn:new')})
    exc = fail(api, type=None, restore_from=_backup(tmp_path, org_id='org-id-2', short='other-org'))
    assert 'Refusing to restore' in exc.msg and 'other-org' in exc.msg and 'restore_across_orgs' in exc.msg
    assert api.writes() == []


def test_a_backup_from_another_api_host_is_refused(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD, issuerURI='urn:new')})
    exc = fail(api, type=None, restore_from=_backup(tmp_path, api_url='https://api.usw2.pure.cloud'))
    assert 'api.usw2.pure.cloud' in exc.msg and api.writes() == []


def test_restore_across_orgs_applies_a_foreign_backup_with_a_warning(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD, issuerURI='urn:new')})
    result, ctx = run(api, type=None, restore_from=_backup(tmp_path, org_id='org-id-2', short='other-org'),
                      restore_across_orgs=True)
    assert result['changed'] and api.state('okta')['issuerURI'] == 'urn:old'
    assert any('restore_across_orgs' in w for w in ctx.warnings)


def test_a_backup_of_this_org_is_applied(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD, issuerURI='urn:new')})
    result, ctx = run(api, type=None, restore_from=_backup(tmp_path))
    assert result['changed'] and api.state('okta')['issuerURI'] == 'urn:old'


def test_a_tampered_backup_id_is_refused_before_any_request(tmp_path, clients):
    api = Api()
    path = tmp_path / 'tampered.json'
    path.write_text(json.dumps(dict(format=idp_core.BACKUP_FORMAT, version=1, type='custom',
                                    provider=dict(id='../oauth/clients/bot', name='x', issuerURI='urn:x'),
                                    api_url=api.api_url, organization=dict(short_name='acme-prod', id='org-id-1'))))
    exc = fail(api, type=None, restore_from=str(path))
    assert 'provider.id' in exc.msg and api.log == []


def test_an_id_with_a_dot_segment_is_refused_before_any_request(clients):
    api = Api()
    exc = fail(api, type='custom', id='../tokens/me', state='absent')
    assert "option id" in exc.msg and api.log == []


def test_an_existing_backup_dir_is_never_chmodded(tmp_path, clients):
    shared = tmp_path / 'shared'
    shared.mkdir()
    os.chmod(str(shared), 0o755)
    api = Api(providers={'okta': dict(OLD)})
    result, ctx = run(api, backup=True, backup_dir=str(shared), **okta())
    assert stat.S_IMODE(os.stat(str(shared)).st_mode) == 0o755 and result['backup_file']


def test_a_group_or_world_writable_backup_dir_is_refused(tmp_path, clients):
    shared = tmp_path / 'tmp-like'
    shared.mkdir()
    os.chmod(str(shared), 0o1777)
    api = Api(providers={'okta': dict(OLD)})
    exc = fail(api, backup=True, backup_dir=str(shared), **okta())
    assert 'writable by other users' in exc.msg and api.writes() == []
    assert stat.S_IMODE(os.stat(str(shared)).st_mode) == 0o1777


def test_a_missing_backup_dir_is_created_private(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD)})
    run(api, backup=True, backup_dir=str(tmp_path / 'new' / 'dir'), **okta())
    assert stat.S_IMODE(os.stat(str(tmp_path / 'new' / 'dir')).st_mode) == 0o700


def test_a_backup_dir_with_a_nul_byte_is_a_clean_error(clients):
    exc = fail(Api(), backup=True, backup_dir='/tmp/x\x00y', **okta())
    assert 'backup_dir' in exc.msg and 'NUL' in exc.msg


# ---------------------------------------------------------------------------------------------- verification (E16 c)

def test_a_certificate_the_platform_did_not_keep_is_reported_not_kept(tmp_path, clients):
    # step 5's certificate comparison: a platform that keeps the old certificate must not read as verified
    old_cert = make_cert('okta-old')
    api = Api(providers={'okta': dict(OLD, certificates=[bare(old_cert)])})

    def keep_old_cert(a):
        a.providers['okta']['data']['certificates'] = [bare(old_cert)]
        a.providers['okta']['data'].pop('certificate', None)

    api.after[('PUT', '/api/v2/identityproviders/okta')] = keep_old_cert
    result, ctx = run(api, type='okta', certificates=[make_cert('okta-new')])
    assert result['not_kept'] == ['certificates'] and result['verified'] is False
    assert any('did not keep the value(s) of certificates' in w for w in ctx.warnings)


def test_a_verified_change_has_nothing_not_kept(tmp_path, clients):
    api = Api(providers={'okta': dict(OLD)})
    result, ctx = run(api, **okta())
    assert result['not_kept'] == [] and result['verified'] is True


def test_settle_delay_is_waited_before_the_final_read(tmp_path, clients, monkeypatch):
    slept = []
    monkeypatch.setattr(time, 'sleep', slept.append)
    api = Api(providers={'okta': dict(OLD)})
    started = time.time()
    run(api, settle_delay=3.0, **okta())
    assert slept and 2.0 < max(slept) <= 3.0 and time.time() - started < 2.0


def test_a_rollback_waits_out_a_repeated_write_whose_first_attempt_may_still_land(clients, no_sleep):
    # the client repeated the PUT after a read time-out: the first attempt may land late, after a rollback; the
    # rollback waits the client's timeout first (then verifies as usual)
    api = Api(providers={'okta': dict(OLD)})

    def broke_and_timed_out(a):
        clients.update(ok=False)
        a.unknown_attempts = 1

    api.after[('PUT', '/api/v2/identityproviders/okta')] = broke_and_timed_out
    exc = fail(api, timeout=7.0, **dict(okta(), preserved_clients=[BOT]))
    assert exc.extra['rollback']['waited_for_late_write'] == 7.0 and 7.0 in no_sleep
    assert exc.extra['rollback']['verified'] is True and api.state('okta')['issuerURI'] == 'urn:old'


def test_a_refused_write_leaves_no_real_looking_backup_and_closes_its_journal(tmp_path, clients):
    # issue 16 item 7: a 403 on the write changed nothing: its backup must not look like a real one
    api = Api(providers={'okta': dict(OLD)})
    api.fail_next = ('PUT', 403, 'missing.permissions', 'You are missing the following permission: sso:provider:edit')
    exc = fail(api, backup=True, backup_dir=str(tmp_path), **okta())
    assert exc.extra['failed_step'] == 'write' and exc.extra['status'] == 403
    assert glob.glob(os.path.join(str(tmp_path), '*.json')) == []
    assert exc.extra['backup_file'].endswith('.json.not-applied') and os.path.isfile(exc.extra['backup_file'])
    assert journal_doc(journals(tmp_path)[0])['state'] == 'abandoned'
    assert api.state('okta')['issuerURI'] == 'urn:old'
