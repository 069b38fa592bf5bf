# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the journaled change of genesys_identity_provider.

:class:`Change` owns one run on one provider, in this order (the order, the journal states and the requests are
the safety contract; docs/reliability.md "Safety invariants"):

A change is one recoverable unit (docs/reliability.md, "Safety invariants"):

1. an unfinished change journal of this org in ``backup_dir`` is finished or undone first (local files: no
   request unless one exists);
2. ``preserved_clients`` are validated before anything changes (no change when one fails);
3. read and plan; for a real change: take the per-org lock (``lock_dir``), re-read and re-plan under it,
   re-check the lockout guard from a fresh listing, write the backup and the journal (``intent``);
4. the write (never repeated blindly after a time-out: an unknown outcome is resolved by reading);
5. after a write that disables or deletes an enabled provider: the guard invariant again from a fresh listing,
   compensated at once (rollback) when another run left the org without an enabled sign-in;
6. ``settle_delay`` after the write, the one read-back (re-read while the platform still shows the previous
   state, within ``consistency_timeout``), compared with the intent (``verified``, ``not_kept``) and with the
   state before: a value that is neither is a concurrent change (``Plan.concurrent``). One read serves both the
   verification and the concurrent-change check (issue 13 A3: "a fresh read after a settle delay compared with
   the intent"), and the clients of step 7 are proven only once the write is visible;
7. ``preserved_clients`` validated again, whatever step 6 said; a failure rolls the change back, and the
   rollback is itself re-read and verified after ``settle_delay``;
8. a concurrent change seen in step 6 is reported, not "verified"; the journal is closed and the lock released.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_api import (
    ORG_PATH,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    GenesysModuleFail,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_permissions import (
    CannotCheck,
    check_write_permissions,
    read_token_info,
    retire_unused_backup,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_txn import (
    ABANDONED,
    COMPLETE,
    ROLLBACK_FAILED,
    ROLLED_BACK,
    ROLLING_BACK,
    UNKNOWN,
    VERIFIED,
    WRITTEN,
    Journal,
    OrgLock,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_oauth_check_core import (
    _targets as _client_targets,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import (
    ACTION_CREATE,
    ACTION_RESTORE,
    API_BASE,
    CUSTOM_TYPE,
    FAMILY_CUSTOM,
    FIELD_TO_OPTION,
    MAX_CUSTOM_PROVIDERS,
    IdpError,
    certificate_summaries,
    classify_entity,
    listing_is_ambiguous,
    lockout_check,
    org_has_sign_in,
    plan,
    provider_path,
    providers_overview,
    reduces_sign_in,
    same_provider,
    sanitize,
    service_provider,
    validate_provider_id,
    writable_copy,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_backup import (
    DEFAULT_BACKUP_DIR,
    host_of,
    org_matches,
    slug,
    write_backup,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_input import (
    given_org_short_name,
    label as provider_label,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_read import (
    locate,
    remembered_dropped,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_recovery import (
    recover_journals,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_txn import (
    DEFAULT_LOCK_DIR,
)


class Change:
    """One run of the module on one provider: recover, validate, plan, lock, write, verify, re-validate, roll back."""

    def __init__(self, run, request, check_client=None):
        """``run``: the Reader; ``request``: the ProviderRequest; ``check_client``: the preserved-client check
        (oauth_check's check_client, given by the core so that tests can replace it)."""
        ptype, state, desired, restore, metadata = request
        self.check_client = check_client
        self.run = run
        self.params = run.params
        self.ctx = run.ctx
        self.ptype = ptype
        self.state = state
        self.desired = desired
        self.restore = restore
        self.metadata = metadata
        self.lock = None
        self.journal = None
        self.plan = None
        self.concurrent_fields = []   # step 6: fields another writer changed since the write (Plan.concurrent)
        self.result = dict(changed=False, existed=None, verified=None, not_kept=[], dropped=[], rolled_back=False,
                           recovered=[], journal_file=None, failed_step=None)
        self.step = 'read'

    # ---------------------------------------------------------------- helpers
    def failure_fields(self):
        fields = dict(failed_step=self.step)
        for key in ('backup_file', 'journal_file', 'clients_before', 'clients_after', 'rolled_back', 'rollback',
                    'recovered', 'existed', 'verified', 'not_kept', 'dropped', 'end_state', 'id', 'diff', 'changed',
                    'read_back', 'organization', 'service_provider', 'providers'):
            if self.result.get(key) not in (None, [], {}) or key in ('rolled_back',):
                fields[key] = self.result.get(key)
        if 'organization' not in fields and (self.run._org is not None or given_org_short_name(self.params)):
            fields['organization'] = dict(self.run.organization())   # no request: read before, or given
        return fields

    def release(self):
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def _clients_params(self):
        keys = ('region', 'api_url', 'login_url', 'validate_certs', 'ca_path', 'timeout', 'retries')
        params = dict((k, self.params.get(k)) for k in keys)
        params.update(clients=self.params.get('preserved_clients'), probe_paths=self.params.get('probe_paths'),
                      expect=self.params.get('client_expectations'))
        return params

    def check_clients(self, when):
        """The oauth-check result shape (passed, failed_clients, report) for the preserved clients, or None."""
        if not self.params.get('preserved_clients'):
            return None
        params = self._clients_params()
        reports = [self.check_client(params, target, self.ctx) for target in _client_targets(params)]
        failed = [r['name'] or r['client_id'] for r in reports if not r['passed']]
        return dict(passed=not failed, failed_clients=failed, report=reports, when=when,
                    msg=('all %d OAuth client(s) passed' % len(reports)) if not failed else
                    '%d of %d OAuth client(s) failed the check' % (len(failed), len(reports)))

    @staticmethod
    def client_failures(check):
        lines = []
        for r in (check or {}).get('report') or []:
            if r.get('passed'):
                continue
            bad = ['%s: %s' % (c['name'], c['detail']) for c in r.get('checks') or [] if not c.get('passed')]
            lines.append('%s: %s' % (r.get('name') or r.get('client_id'), ' | '.join(bad)))
        return '; '.join(lines)

    def settle(self, since):
        delay = max(0.0, float(self.params.get('settle_delay') or 0.0))
        remaining = delay - (time.time() - since)
        if remaining > 0:
            self.run.sleep(remaining)

    def backup_directory(self):
        return os.path.expanduser(self.params.get('backup_dir') or DEFAULT_BACKUP_DIR)

    def take_lock(self, org):
        if not self.params.get('lock', True) or self.lock is not None:
            return
        key = org.get('short_name') or org.get('id')
        if not key:
            raise GenesysModuleFail('Cannot take the per-org lock: the org short name is unknown (GET %s gave none). '
                                    'Set org_short_name, or lock=false to run without the lock.' % ORG_PATH)
        label = 'org %s' % key
        lock = OrgLock(self.params.get('lock_dir') or DEFAULT_LOCK_DIR, host_of(getattr(self.run.client, 'api_url', '')),
                       key, timeout=self.params.get('lock_timeout'), sleep=self.run.sleep, warn=self.ctx.warn,
                       label=label)
        lock.acquire(what='%s %s' % ('genesys_identity_provider', provider_label(self.ptype, self.params)))
        self.lock = lock
        self.result['lock_waited'] = round(lock.waited, 1)

    def check_backup_target(self):
        """A backup is applied only to the org and API host it was made of (unless restore_across_orgs)."""
        doc, params = self.restore, self.params
        if params.get('restore_across_orgs'):
            self.ctx.warn('restore_across_orgs is true: the backup %s is applied without checking that it was made '
                          'of this org.' % params['restore_from'])
            return
        api_url = getattr(self.run.client, 'api_url', None)
        if host_of(doc.get('api_url')) != host_of(api_url):
            raise GenesysModuleFail(
                'Refusing to restore %s: it was made against %s, this task talks to %s. A backup is applied only to '
                'the org it came from (it would make this org trust another org\'s IdP). Nothing was changed. Check '
                'region/api_url, or set restore_across_orgs=true if you really mean to copy it.'
                % (params['restore_from'], host_of(doc.get('api_url')) or 'an unknown API host', host_of(api_url)))
        org = self.run.organization(required=True, full=True)
        saved = doc.get('organization') or {}
        if not org_matches(saved, org):
            raise GenesysModuleFail(
                'Refusing to restore %s: it was made of the org %s (id %s), this task is connected to the org %s '
                '(id %s). A backup is applied only to the org it came from (it would make this org trust another '
                'org\'s IdP). Nothing was changed. Use the credentials of that org, or set restore_across_orgs=true '
                'if you really mean to copy it.'
                % (params['restore_from'], saved.get('short_name') or '?', saved.get('id') or '?',
                   org.get('short_name') or '?', org.get('id') or '?'))

    # ---------------------------------------------------------------- reading
    def locate(self):
        return locate(self.run, self.ptype, self.restore, self.state)

    def read_target(self, provider_id):
        """One read of the target (None when absent)."""
        if self.ptype == CUSTOM_TYPE:
            if not provider_id:
                return None
            return self.run.read(CUSTOM_TYPE, provider_id, self.label)
        return self.run.read(self.ptype, None, self.label)

    def wait_applied(self, provider_id, before, intent, deleting=False):
        """Read until the write is visible (bounded by consistency_timeout); returns (object or None, seen).

        ``seen`` is True when the read shows the write took effect: for a delete, a 404; otherwise an object
        that differs from ``before`` (a read still equal to the previous state is read-after-write lag).
        """
        timeout = max(0.0, float(self.params.get('consistency_timeout') or 0.0))
        started = time.time()
        deadline = started + timeout
        delay = 0.25
        last = None
        warned = False
        for attempt in range(1, 1001):
            if not warned and time.time() - started >= 30:
                warned = True
                org = (self.run._org or {}).get('short_name') or 'this org'
                self.ctx.warn('%s: waited %ds for Genesys Cloud to show the %s of the %s identity provider (it is '
                              'eventually consistent; waiting up to %ss, consistency_timeout).'
                              % (org, int(time.time() - started), 'deletion' if deleting else 'write', self.label,
                                 self.params.get('consistency_timeout')))
            current = self.read_target(provider_id)
            last = current
            if deleting:
                if current is None:
                    return None, True
            elif current is not None:
                if not same_provider(self.ptype, current, before) or same_provider(self.ptype, current, intent):
                    return current, True
            remaining = deadline - time.time()
            if remaining <= 0:
                break
            self.run.sleep(min(delay, remaining))
            delay = min(delay * 2, 2.0)
        return last, False

    # ---------------------------------------------------------------- run
    def run_plan(self):
        """Read and plan: sets self.current, provider_id, label and self.plan (every path: present, absent, restore)."""
        run, params = self.run, self.params
        current, provider_id = self.locate()
        self.provider_id = provider_id
        named = params if self.restore is None else (self.restore.get('provider') or {})
        self.label = provider_label(self.ptype, named, current)
        try:
            if self.restore is not None:
                self.plan = plan(self.ptype, current, self.restore['provider'], restore=True)
            elif self.state == 'absent':
                self.plan = plan(self.ptype, current, None, 'absent')
            else:
                remembered = remembered_dropped(run, self.ptype, (current or {}).get('name') or params.get('name'))
                self.plan = plan(self.ptype, current, self.desired, 'present', ignore=remembered)
        except IdpError as exc:
            raise GenesysModuleFail(str(exc))
        if self.plan.action in (ACTION_CREATE, ACTION_RESTORE) and current is None:
            check_limit(run, self.ptype, self.plan.payload)

    # the plan's facts, under the names the steps use
    current = property(lambda self: self.plan.current)
    payload = property(lambda self: self.plan.payload)
    fields = property(lambda self: self.plan.fields)
    write = property(lambda self: self.plan.method)
    after_obj = property(lambda self: self.plan.expected)
    changed = property(lambda self: self.plan.changed)

    def guard(self):
        """The lockout guard for the planned change (raises when it would leave no enabled sign-in)."""
        if not self.plan.guard or self.params.get('force'):
            return
        run = self.run
        purecloud = self.current if self.ptype == 'purecloud' else run.read('purecloud')
        if listing_is_ambiguous(run.entities(), run.known):
            run.resolve_types()
        refusal = lockout_check(run.entities(), self.ptype, self.provider_id, self.current, self.after_obj,
                                known=run.known, purecloud_state=purecloud)
        if refusal:
            raise GenesysModuleFail(refusal, provider=sanitize(self.ptype, self.current))

    def reduces_sign_in(self):
        return reduces_sign_in(self.ptype, self.current, self.after_obj)

    def execute(self):
        """The steps of the module docstring in their order; returns the result."""
        org_before = self.run._org
        self.step = 'recover'                 # 1. an unfinished change of this org is finished or undone first
        recover_journals(self)
        self.step = 'clients_before'          # 2. the preserved clients, before anything changes
        self.validate_clients_before()
        self.step = 'read'                    # 3. read and plan (again under the lock), the lockout guard
        self.read_and_plan()
        self.step = 'guard'
        self.guard()
        overview = None
        if self.params.get('list_providers'):
            # classified with the per-type ids this run read (the target's, purecloud's for the guard)
            overview = providers_overview(self.run.entities(), self.run.known)
        self.report_plan()
        end_state = self.current
        if self.changed and not self.ctx.check_mode:
            end_state = self.apply()           # 4.-8.
        self.report_end(end_state, overview, org_before)
        self.step = None
        self.result['failed_step'] = None
        return self.result

    def validate_clients_before(self):
        if not (self.params.get('preserved_clients') and self.params.get('validate_clients_before', True)):
            return
        before = self.check_clients('before')
        self.result['clients_before'] = before
        if before['passed']:
            self.run.adopt_org(before)   # the admin client's own check answers the org: no GET of its own
            return
        failing = [c for c in before.get('report') or [] if not c.get('passed')]
        if failing and all(c.get('unreachable') for c in failing):
            raise GenesysModuleFail('No change was made: the Genesys Cloud host could not be reached, so the '
                                    'preserved OAuth clients were not checked (this is not a failure of '
                                    'the clients). %s' % self.client_failures(before))
        raise GenesysModuleFail('No change was made: a preserved OAuth client fails before the change. %s'
                                % self.client_failures(before))

    def clients_of_this_org(self, org):
        """Before a write: every preserved client proven in step 2 must belong to the org this task changes.

        Its proof says nothing about this org otherwise: with 200 orgs in one inventory, another org's bot pasted
        into this org's host vars passes before and after the change while this org's own automation is never
        checked. Compared without a request of its own: the client's org (its ``tokens/me``; the short name from its
        probe of ``/organizations/me``) against this org (read for the lock, or given as ``org_short_name``); by id
        when both are known, else by short name; a side that is not known is not compared.
        """
        foreign = []
        for entry in (self.result.get('clients_before') or {}).get('report') or []:
            theirs = entry.get('organization') or {}
            if org.get('id') and theirs.get('id'):
                same = theirs['id'] == org['id']
            elif org.get('short_name') and theirs.get('short_name'):
                same = str(theirs['short_name']).lower() == str(org['short_name']).lower()
            else:
                continue
            if not same:
                foreign.append('%s (org %s, id %s)' % (
                    entry.get('name') or entry.get('client_id'), theirs.get('short_name') or theirs.get('name') or '?',
                    theirs.get('id') or '?'))
        if foreign:
            raise GenesysModuleFail(
                'No change was made: the preserved OAuth client(s) %s belong to another org than the one this task '
                'changes (org %s, id %s), so proving them would not show that this org\'s automation keeps working. '
                'Give the credentials of this org\'s own clients in preserved_clients%s.'
                % ('; '.join(foreign), org.get('short_name') or '?', org.get('id') or '?',
                   '' if org.get('id') else ' (or correct org_short_name, which names this org)'),
                failed_step='clients_org')

    def read_and_plan(self):
        """Read and plan; for a real change take the lock and, when the org changed since the read, re-plan."""
        run, params = self.run, self.params
        if self.restore is not None:
            self.check_backup_target()
        if params.get('list_providers'):
            run.entities()   # the listing first: the overview, and the module's own checks, from one GET
        read_started = time.time()
        self.run_plan()
        if not self.changed or self.ctx.check_mode:
            return
        org = run.organization(required=True)
        self.clients_of_this_org(org)
        self.take_lock(org)
        if self.lock is not None and self.lock.changed_since(read_started):
            # re-read under the lock: another run may have changed the org since the read that decided
            run.forget_listing()
            if params.get('list_providers'):
                run.entities()
            self.run_plan()

    def report_plan(self):
        """The result keys the plan decides (the same in check mode and in the real run)."""
        plan, result = self.plan, self.result
        before, after = plan.before, plan.after
        result.update(
            changed=self.changed,
            existed=plan.existed,
            proposed=after if self.changed else {},
            diff=dict(before=before, after=after),
            changed_options=plan.changed_options,
            backup_file=None,
            provider=before if not self.changed else (after if self.ctx.check_mode else None),
            certificates=certificate_summaries(self.current) if not self.changed or self.state == 'absent' else
            certificate_summaries(self.payload),
            service_provider=None,
        )
        if self.metadata is not None:
            result['metadata'] = self.metadata
        if self.ptype == CUSTOM_TYPE:
            result['id'] = self.provider_id

    def report_end(self, end_state, overview, org_before):
        """The result keys of the provider as the run leaves it (check mode with a change: as planned)."""
        run, ctx, result = self.run, self.ctx, self.result
        if self.changed and not ctx.check_mode:
            result['provider'] = sanitize(self.ptype, end_state) if end_state is not None else {}
            result['certificates'] = certificate_summaries(end_state)
        elif self.changed:
            result['provider'] = self.plan.after
            result['verified'] = None
            me = self.admin_token_info()
            result['permissions'] = check_write_permissions(run.client, self.write, self.ptype == CUSTOM_TYPE,
                                                            self.label, ctx.warn, result, me)   # predicts a 403
        else:
            result['verified'] = True
        result['end_state'] = sanitize(self.ptype, end_state) if end_state is not None else {}
        if self.state == 'present' and self.ptype != 'purecloud':
            # the values of the provider as it ends (check mode with a change: as planned), never a wished value
            result['service_provider'] = self.sp_values(
                (self.after_obj or end_state) if self.changed and ctx.check_mode else end_state)
        if overview is not None:
            result['providers'] = overview
        if run._org is not None or given_org_short_name(self.params) or org_before is not None:
            result['organization'] = dict(run.organization())  # no request: read above, or given
        elif getattr(self, 'client_org', None):
            result['organization'] = dict(self.client_org)  # from the preserved clients' probe: no request
        result['api_requests'] = getattr(run.client, 'request_count', None)

    def admin_token_info(self):
        """Check mode with a change: the admin token's tokens/me (one GET, which the permission prediction needs
        anyway), and with it the prediction of ``clients_org``: the real run would stop on a preserved client of
        another org (compared by org id; a CannotCheck is returned for the permission check to report)."""
        try:
            me = read_token_info(self.run.api)
        except CannotCheck as exc:
            return exc
        org = (me or {}).get('organization') or {}
        if org.get('id'):
            self.clients_of_this_org(dict(id=org['id'], short_name=given_org_short_name(self.params)))
        return me

    def sp_values(self, obj):
        """service_provider of the provider ``obj`` as Genesys Cloud holds it (None without a SAML provider).

        The org short name (OrganizationName): org_short_name, else the org this run read, else the preserved
        clients' answer of GET /organizations/me (clients_before), else one GET /organizations/me of its own, the
        only answer that carries thirdPartyOrgName (a converged run without preserved clients pays that request).
        """
        if obj is None or self.ptype == 'purecloud':
            return None
        run = self.run
        short = given_org_short_name(self.params) or (run._org or {}).get('short_name')
        for entry in ([] if short else (self.result.get('clients_before') or {}).get('report') or []):
            org = entry.get('organization') or {}
            if org.get('short_name'):
                self.client_org = dict(short_name=org['short_name'], id=org.get('id'), name=org.get('name'))
                short = org['short_name']
                break
        if not short:
            short = run.organization().get('short_name')
        return service_provider(domain=getattr(run.client, 'domain', None),
                                login_url=getattr(run.client, 'login_url', None),
                                relying_party_identifier=obj.get('relyingPartyIdentifier'), org_short_name=short,
                                name_identifier_format=obj.get('nameIdentifierFormat'),
                                slo_binding=obj.get('sloBinding'))

    # ---------------------------------------------------------------- the write as one unit
    def apply(self):
        """Steps 4-8: backup and journal, the write, the guard after it, the one read-back (verify and the
        concurrent-change check), the clients again, the verdict."""
        self.step = 'backup'
        self.backup_and_journal(self.run.organization(required=True))
        self.step = 'write'
        written_at = time.time()
        self.write_once()
        self.step = 'guard_after_write'       # 5. another run may have disabled the other sign-ins meanwhile
        self.guard_after_write()
        self.step = 'verify'                  # 6. settle_delay after the write: the one read-back, against the intent
        self.settle(written_at)
        end_state, visible = self.wait_applied(self.provider_id, self.current, self.payload,
                                               deleting=self.write == 'DELETE')
        end_state, unseen = self.verify(end_state, visible, written_at)
        self.step = 'clients_after'           # 7. the preserved clients again, whatever the verification said
        after = self.validate_clients_after()
        if unseen is not None:
            self.step = 'verify'
            self.fail_unseen(unseen, after)
        self.step = 'final_verify'            # 8. a concurrent change seen by the read-back; the journal closed
        return self.final_verify(end_state)

    def backup_and_journal(self, org):
        if self.params.get('backup'):
            self.result['backup_file'] = write_backup(self.run, self.ptype, self.current)
            self.journal = self.new_journal(org)
            self.result['journal_file'] = self.journal.path

    def write_once(self):
        """send_write; a write the platform refused (4xx) retires the backup and the journal (nothing changed).

        Only the write's own answer counts as a refusal: the read-back after it (step 6) is outside, so a read
        refused after an accepted write never retires the backup of a change that happened."""
        result = self.result
        try:
            self.send_write()
        except GenesysModuleFail as exc:
            status = exc.extra.get('status')
            if isinstance(status, int) and 400 <= status < 500 and status != 408:
                # refused by the platform: nothing changed, so the backup and journal of this write are not real
                if self.journal is not None:
                    self.journal.update(ABANDONED, note='the write was refused (HTTP %d): nothing changed' % status)
                if result.get('backup_file'):
                    result['backup_file'] = retire_unused_backup(
                        result['backup_file'], 'the write was refused (HTTP %d %s): nothing changed'
                        % (status, exc.extra.get('code') or ''))
                    exc.extra['backup_file'] = result['backup_file']
            raise
        result['id'] = self.provider_id if self.ptype == CUSTOM_TYPE else result.get('id')

    def guard_after_write(self):
        """After a write that takes a sign-in away: a fresh listing must still show one, else roll back at once."""
        run = self.run
        if not self.reduces_sign_in() or self.params.get('force'):
            return
        run.forget_listing()
        entities = run.entities()
        purecloud = None if self.ptype == 'purecloud' else run.read('purecloud')
        if org_has_sign_in(entities, self.ptype, self.provider_id, self.after_obj, run.known, purecloud,
                           own_id=(self.current or {}).get('id')):
            return
        rollback = self.rollback('the org had no enabled sign-in left after the write')
        raise GenesysModuleFail(
            'LOCKOUT PREVENTED: after this run %s the %s identity provider, a fresh listing showed no other '
            'enabled way to sign in (another run changed the org at the same time). The change was %s. '
            'Check the org now with genesys_identity_provider_info.'
            % ('deleted' if self.write == 'DELETE' else 'disabled', self.label,
               'rolled back' if rollback.get('verified') else 'NOT rolled back (%s)' % rollback.get('msg')))

    def verify(self, end_state, visible, written_at):
        """Compare the read-back with the intent; returns (end state, the "not shown" message or None)."""
        result, params = self.result, self.params
        unseen = None
        when = time.strftime('%H:%M:%S', time.gmtime(written_at))
        if self.write == 'DELETE':
            result['verified'] = visible
            if not visible:
                unseen = ('The %s identity provider was deleted at %s, but Genesys Cloud still showed it after %ss'
                          % (self.label, when, params.get('consistency_timeout')))
        elif visible:
            result['read_back'] = visible
            self.concurrent_fields = self.plan.concurrent(end_state)
            self.record_not_kept(end_state)
        elif end_state is not None:
            # readable, but still as before: the platform did not keep the change (or shows it later)
            result['read_back'] = visible
            self.record_not_kept(end_state, still_as_before=True)
        else:
            result['read_back'] = visible
            unseen = ('The %s identity provider was written at %s, but Genesys Cloud did not show it within %ss '
                      '(HTTP 404: the platform is eventually consistent)' % (
                          self.label, when, params.get('consistency_timeout')))
            end_state = dict(self.payload)
            if self.provider_id:
                end_state['id'] = self.provider_id
            result['verified'] = False
        if self.journal is not None and result['verified']:
            self.journal.update(VERIFIED)
        return end_state, unseen

    def validate_clients_after(self):
        """The preserved clients after the write; a failure rolls the change back (rollback_on_failure)."""
        result = self.result
        after = self.check_clients('after')
        if after is None:
            return None
        result['clients_after'] = after
        if after['passed']:
            return after
        if self.params.get('rollback_on_failure', True):
            rollback = self.rollback('a preserved OAuth client fails after the change')
            how = ('the provider was restored from %s' % result.get('backup_file') if self.current is not None
                   else 'the provider this run created was removed again')
            state = how if rollback.get('verified') else ('the provider was NOT restored: the rollback '
                                                          'failed (%s); restore it with restore_from %s'
                                                          % (rollback.get('msg'), result.get('backup_file')))
        else:
            state = 'the provider was NOT restored (rollback_on_failure is false)'
        raise GenesysModuleFail('A preserved OAuth client fails after the %s identity provider changed; %s. '
                                'After the change: %s' % (self.label, state, self.client_failures(after)))

    def fail_unseen(self, unseen, after):
        raise GenesysModuleFail(
            '%s. The preserved OAuth clients %s. What was written: %s. Check it with '
            'genesys_identity_provider_info (type=%s%s)%s; raise consistency_timeout to wait longer.'
            % (unseen, 'pass' if after is not None else 'were not checked (none given)',
               'deleted' if self.write == 'DELETE' else ', '.join(self.plan.changed_options) or 'the provider',
               self.ptype, (', id=%s' % self.provider_id) if self.ptype == CUSTOM_TYPE and self.provider_id else '',
               ('; the journal %s stays open and the next run verifies it' % self.journal.path)
               if self.journal is not None else ''))

    def final_verify(self, end_state):
        """The concurrent change the read-back showed (step 6: ``concurrent_fields``, only set from a visible
        read-back) is reported; closes the journal. Returns the end state.

        A delete reaches this step only verified (a delete not shown fails in step 6), so ``verified`` decides.
        """
        if self.concurrent_fields:
            self.concurrent()
        if self.journal is not None:
            if self.result.get('verified'):
                self.journal.update(COMPLETE)
            else:
                self.journal.update(WRITTEN, note='written; not verified yet')
        return end_state

    def record_not_kept(self, end_state, still_as_before=False):
        """Compare the read-back with the intent: ``not_kept`` (options), of which ``dropped`` (the platform holds
        no value for them on this type: reported once, remembered in the journal, not compared again)."""
        result, ctx = self.result, self.ctx
        result['not_kept'] = self.plan.not_kept(end_state)
        dropped = self.plan.dropped(end_state)
        concurrent = set(FIELD_TO_OPTION.get(f, f) for f in self.concurrent_fields)
        result['dropped'] = sorted(set(FIELD_TO_OPTION.get(f, f) for f in dropped))
        # a dropped field does not make the change unverified (the platform has no place for it on this type)
        result['verified'] = not [o for o in result['not_kept'] if o not in result['dropped']]
        if self.journal is not None and dropped:
            self.journal.update(dropped=dropped)
        for option in result['dropped']:
            ctx.warn('Genesys Cloud did not keep %s on the %s type: remove it from the task (it is not compared '
                     'again on this org).' % (option, self.label))
        differs = [o for o in result['not_kept'] if o not in result['dropped'] and o not in concurrent]
        if differs:
            if still_as_before:
                when = (' (still as before %ss after the write)' % self.params.get('consistency_timeout'),
                        ' Raise consistency_timeout if the platform is only slow to show it.')
            else:
                when = (' (read %ss after the write: a change another run or person made at the same time would show '
                        'the same)' % self.params.get('settle_delay'), '')
            ctx.warn('Genesys Cloud did not keep the value(s) of %s for the %s identity provider%s; the next run will '
                     'try again.%s' % (', '.join(differs), self.label, when[0], when[1]))

    def concurrent(self):
        what = 'it showed values this run did not write'
        differing = sorted(set(FIELD_TO_OPTION.get(f, f) for f in self.concurrent_fields))
        if self.journal is not None:
            self.journal.update(COMPLETE, note='concurrent change: %s' % what)
        self.result['verified'] = False
        raise GenesysModuleFail(
            'CONCURRENT CHANGE: the %s identity provider was written by this run, but read %ss later %s%s (neither '
            'what this run wrote nor what was there before): another run or person changed it at the same time. '
            'This run did not undo that change. Check the provider (genesys_identity_provider_info) and run again '
            'once only one run changes this org.'
            % (self.label, self.params.get('settle_delay'), what,
               (' (fields %s)' % ', '.join(differing)) if differing else ''))

    def new_journal(self, org):
        directory = self.backup_directory()
        what = self.ptype if self.ptype != CUSTOM_TYPE else 'custom-%s' % slug(
            (self.current or {}).get('name') or (self.payload or {}).get('name') or self.params.get('name'))
        stem = '%s_%s' % (slug(org.get('short_name') or org.get('id') or 'org'), what)
        client = self.run.client
        return Journal.create(
            directory, stem,
            api_url=getattr(client, 'api_url', None), client_id=getattr(client, 'client_id', None),
            organization=dict(short_name=org.get('short_name'), id=org.get('id')),
            type=self.ptype, provider_id=self.provider_id, label=self.label,
            name=(self.payload or self.current or {}).get('name'),
            operation=self.write, before=self.current, payload=self.payload,
            backup_file=self.result.get('backup_file'),
            clients=[c.get('name') or c.get('client_id') for c in self.params.get('preserved_clients') or []])

    def send_write(self):
        """Send the write (the read-back is step 6). Resolves an unknown outcome by reading."""
        run, ptype, label = self.run, self.ptype, self.label
        verb = 'delete' if self.write == 'DELETE' else ('create' if self.current is None else 'update')
        action = '%s the %s identity provider' % (verb, label)
        if self.write == 'POST':
            status, data, unknown = run.api.create_provider(self.payload, action)
            if unknown is None:
                self.provider_id = (data or {}).get('id')
                if not self.provider_id:
                    if self.journal is not None:
                        self.journal.update(UNKNOWN, note='created without an id in the answer')
                    raise GenesysModuleFail('Genesys Cloud created the %s identity provider but returned no id; '
                                            'run the task again (it finds the provider by name).' % label)
                validate_provider_id(self.provider_id, 'the answer of POST %s' % API_BASE)
        elif self.write == 'DELETE':
            status, data, unknown = run.api.delete_provider(ptype, self.provider_id, action)
        else:
            status, data, unknown = run.api.put_provider(ptype, self.provider_id, self.payload, action)
        if unknown is not None:
            if self.journal is not None:
                self.journal.update(UNKNOWN, note=unknown.describe())
            found = self.resolve_unknown()
            if found is None:
                raise GenesysModuleFail(
                    'The outcome of the %s of the %s identity provider is unknown (%s) and it did not become '
                    'visible within %ss. It was not repeated and nothing was rolled back (a late write could land '
                    'after a rollback). %sRun the task again: it finds out first whether the write took effect.'
                    % (verb, label, unknown.describe(), self.params.get('consistency_timeout'),
                       ('The journal %s keeps the intent. ' % self.journal.path) if self.journal else ''))
            self.ctx.warn('The %s of the %s identity provider timed out, but a read shows it took effect.'
                          % (verb, label))
        if self.journal is not None:
            self.journal.update(WRITTEN, provider_id=self.provider_id)
        self.result['id'] = self.provider_id

    def resolve_unknown(self):
        """After a write with an unknown outcome: True-ish when a read shows it took effect, else None."""
        if self.write == 'POST':
            name = (self.payload or {}).get('name')
            deadline = time.time() + max(0.0, float(self.params.get('consistency_timeout') or 0.0))
            for attempt in range(100):
                self.run.forget_listing()
                matches = [e for e in self.run.entities() if classify_entity(e)[0] == FAMILY_CUSTOM and
                           e.get('name') == name]
                if len(matches) == 1:
                    self.provider_id = validate_provider_id(matches[0].get('id'), 'the identity provider listing')
                    return True
                if time.time() >= deadline:
                    return None
                self.run.sleep(min(2.0, max(0.05, deadline - time.time())))
            return None
        obj, seen = self.wait_applied(self.provider_id, self.current, self.payload, deleting=self.write == 'DELETE')
        if seen and (self.write == 'DELETE' or same_provider(self.ptype, obj, self.payload)):
            return True
        return None

    def rollback(self, reason):
        """Put the previous state back, then re-read and verify it after the settle delay.

        The rollback write is sent again only when a read showed the previous state and then, after the settle
        delay, this run's change again (a delayed write of the change landed after the rollback); at most 3 times.
        A rollback the platform does not show within consistency_timeout is reported as not verified (the journal
        stays open, so the next run verifies it), never re-sent blindly.
        """
        run, ptype, result = self.run, self.ptype, self.result
        info = dict(reason=reason, verified=False, msg=None, attempts=0)
        result['rollback'] = info
        if self.journal is not None:
            self.journal.update(ROLLING_BACK, note=reason)
        before = self.current
        if getattr(run.client, 'unknown_attempts', 0):
            # an attempt of the write timed out after it was sent and was repeated: the first attempt may still
            # land; wait it out (the client's timeout) so that it cannot undo the rollback unseen
            quiet = max(float(self.params.get('timeout') or 0.0), float(self.params.get('settle_delay') or 0.0))
            info['waited_for_late_write'] = quiet
            run.sleep(quiet)
        for attempt in range(1, 4):
            info['attempts'] = attempt
            started = time.time()
            try:
                if before is None:
                    if ptype == CUSTOM_TYPE and not self.provider_id:
                        raise GenesysModuleFail('the id of the created provider is unknown')
                    run.call('remove the %s identity provider this run created' % self.label, 'DELETE',
                             provider_path(ptype, self.provider_id), expect_404=True)
                else:
                    run.call('restore the %s identity provider' % self.label, 'PUT',
                             provider_path(ptype, self.provider_id), body=writable_copy(before))
            except GenesysModuleFail as exc:
                info['msg'] = exc.msg
                break
            obj, seen = self.wait_applied(self.provider_id, self.payload, before, deleting=before is None)
            if not seen or (before is not None and not same_provider(ptype, obj, before)):
                info['msg'] = ('the rollback was sent, but Genesys Cloud did not show the previous state within %ss'
                               % self.params.get('consistency_timeout'))
                break
            self.settle(started)
            fresh = self.read_target(self.provider_id)
            if (before is None and fresh is None) or (before is not None and same_provider(ptype, fresh, before)):
                info['verified'] = True
                info['msg'] = None
                break
            info['msg'] = 'the change came back after the rollback (a delayed write of it landed again)'
        result['rolled_back'] = info['verified']
        if info['verified']:  # the handoff reflects the provider as it ends: the restored one (or none)
            result['end_state'] = sanitize(ptype, before) if before is not None else {}
            result['service_provider'] = self.sp_values(before)
        if self.journal is not None:
            if info['verified']:
                self.journal.update(ROLLED_BACK)
            elif info['attempts'] and info['msg'] and info['msg'].startswith('the rollback was sent'):
                self.journal.update(ROLLING_BACK, note=info['msg'])
            else:
                self.journal.update(ROLLBACK_FAILED, note=info.get('msg'))
        return info


def check_limit(run, ptype, payload):
    """The integration limit before creating a custom provider (checked before any write, in check mode too)."""
    if ptype == CUSTOM_TYPE:
        # The platform counts every SAML integration of both families (not the Genesys Cloud login).
        if len(run.entities()) >= MAX_CUSTOM_PROVIDERS and listing_is_ambiguous(run.entities(), run.known):
            run.resolve_types()   # near the limit: the purecloud entry must not be counted
        saml = [e for e in run.entities() if run.classify(e)[1] != 'purecloud']
        if len(saml) >= MAX_CUSTOM_PROVIDERS:
            raise GenesysModuleFail('Cannot create the custom identity provider %r: the org already has %d single '
                                    'sign-on integrations, the most Genesys Cloud allows (%d). Delete one you no '
                                    'longer use (state=absent) first.'
                                    % (payload.get('name'), len(saml), MAX_CUSTOM_PROVIDERS))
