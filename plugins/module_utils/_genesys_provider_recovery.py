# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the recovery of an interrupted provider change.

Owns step 1 of a run (:func:`recover_journals`): a change journal of this org that is not in a final state was left
by a run that was interrupted (killed, time-out, lost connection). :class:`Recovery` reads the provider and finishes
the change (written: verified, the preserved clients validated) or undoes it (the backup restored, verified), and
names the backup to restore from when neither is safe. Only local files and the reads of the target are involved
unless an undo writes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    GenesysModuleFail,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_txn import (
    ABANDONED,
    COMPLETE,
    INTENT,
    ROLLBACK_FAILED,
    ROLLED_BACK,
    ROLLING_BACK,
    UNKNOWN,
    WRITTEN,
    Journal,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import (
    ALL_TYPES,
    CUSTOM_TYPE,
    FAMILY_CUSTOM,
    classify_entity,
    provider_path,
    same_provider,
    sanitize,
    validate_provider_id,
    writable_copy,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_backup import (
    org_matches,
)


def recover_journals(change):
    """Step 1: every unfinished change journal of this org in backup_dir is finished or undone (check mode: reported)."""
    run, ctx = change.run, change.ctx
    directory = change.backup_directory()
    journals = Journal.unfinished(directory, getattr(run.client, 'api_url', None))
    if not journals:
        return
    org = None
    for journal in journals:
        doc = journal.doc
        if doc.get('client_id') and doc.get('client_id') != getattr(run.client, 'client_id', None):
            if org is None:
                org = run.organization(required=True, full=True)
            if not org_matches(doc.get('organization'), org):
                continue
        elif not doc.get('client_id'):
            if org is None:
                org = run.organization(required=True, full=True)
            if not org_matches(doc.get('organization'), org):
                continue
        if ctx.check_mode:
            ctx.warn('An unfinished change of this org (%s, state %s) is recorded in %s; the real run finishes or '
                     'undoes it before anything else.' % (doc.get('label'), journal.state, journal.path))
            change.result['recovered'].append(dict(journal=journal.path, state=journal.state, action='pending'))
            continue
        change.take_lock(doc.get('organization') or {})
        journal = Journal.load(journal.path)   # re-read under the lock: another run may have finished it
        if journal.final:
            continue
        change.result['recovered'].append(Recovery(change, journal).execute())


class Recovery:
    """Finish or undo one unfinished journal (the run that wrote it was interrupted)."""

    def __init__(self, change, journal):
        self.change = change
        self.journal = journal
        doc = journal.doc
        self.doc = doc
        self.ptype = doc.get('type')
        self.provider_id = doc.get('provider_id')
        if self.provider_id is not None:
            validate_provider_id(self.provider_id, 'change journal %s (provider_id)' % journal.path)
        self.label = doc.get('label') or self.ptype
        self.before = doc.get('before')
        self.payload = doc.get('payload')
        self.operation = doc.get('operation')

    def read(self):
        run = self.change.run
        if self.ptype == CUSTOM_TYPE and not self.provider_id:
            if self.operation == 'POST':
                run.forget_listing()
                name = (self.payload or {}).get('name')
                matches = [e for e in run.entities() if classify_entity(e)[0] == FAMILY_CUSTOM and e.get('name') == name]
                if len(matches) == 1:
                    self.provider_id = validate_provider_id(matches[0].get('id'), 'the identity provider listing')
                    self.journal.update(provider_id=self.provider_id)
                else:
                    return None
            else:
                return None
        path_id = self.provider_id if self.ptype == CUSTOM_TYPE else None
        return run.read(self.ptype, path_id, self.label)

    def matches_intent(self, obj):
        if self.operation == 'DELETE':
            return obj is None
        return obj is not None and same_provider(self.ptype, obj, self.payload)

    def matches_before(self, obj):
        return same_provider(self.ptype, obj, self.before)

    def execute(self):
        change, journal = self.change, self.journal
        ctx = change.ctx
        state = journal.state
        entry = dict(journal=journal.path, state=state, label=self.label)
        if self.ptype not in ALL_TYPES:
            raise GenesysModuleFail('The change journal %s names an unknown provider type %r; move it away to go on.'
                                    % (journal.path, self.ptype))
        current = self.read()
        if state in (ROLLING_BACK, ROLLBACK_FAILED):
            if self.matches_before(current):
                journal.update(ROLLED_BACK, note='the rollback was found in place by the next run')
                entry['action'] = 'rollback_verified'
                ctx.warn('The rollback of an interrupted change of the %s identity provider (journal %s) is in place '
                         'now: verified.' % (self.label, journal.path))
                return entry
            return self.undo(entry, 'an earlier rollback was interrupted or not verified')
        if state in (INTENT, UNKNOWN):
            if self.matches_intent(current):
                journal.update(WRITTEN, note='found written by the next run')
            elif self.matches_before(current) or (self.operation == 'POST' and current is None):
                journal.update(ABANDONED, note='the write never took effect')
                entry['action'] = 'abandoned'
                ctx.warn('An interrupted change of the %s identity provider (journal %s) never took effect; nothing '
                         'to finish.' % (self.label, journal.path))
                return entry
            else:
                journal.update(ROLLBACK_FAILED, note='the provider is neither as before nor as intended')
                raise GenesysModuleFail(
                    'An interrupted change of the %s identity provider (journal %s) left it neither as it was nor as '
                    'intended (another change reached it). Nothing was changed now. Check the provider, then restore '
                    'it with restore_from %s, or move the journal away to accept its current state.'
                    % (self.label, journal.path, self.doc.get('backup_file')))
        # written: verify, validate the clients, keep or undo
        if not self.matches_intent(current):
            entry['note'] = 'the provider no longer matches what the interrupted run wrote'
        check = change.check_clients('recovery')
        entry['clients'] = check
        if check is not None and not check['passed']:
            return self.undo(entry, 'a preserved OAuth client fails after the interrupted change',
                             fail_msg=change.client_failures(check))
        if check is None and self.doc.get('clients'):
            raise GenesysModuleFail(
                'An interrupted change of the %s identity provider (journal %s) still has to be validated with the '
                'preserved OAuth clients (%s), but this task gives none. Run it with preserved_clients, or restore '
                'the provider with restore_from %s.'
                % (self.label, journal.path, ', '.join(self.doc['clients']), self.doc.get('backup_file')))
        journal.update(COMPLETE, note='finished by the next run (verified%s)' % (
            ' and the preserved clients pass' if check else ''))
        entry['action'] = 'finished'
        ctx.warn('Finished an interrupted change of the %s identity provider (journal %s): %s.'
                 % (self.label, journal.path, 'it is in place and the preserved OAuth clients pass' if check else
                    'it is in place'))
        return entry

    def undo(self, entry, reason, fail_msg=None):
        change, journal = self.change, self.journal
        run = change.run
        journal.update(ROLLING_BACK, note=reason)
        ok = False
        msg = None
        try:
            if self.before is None:
                if self.ptype == CUSTOM_TYPE and not self.provider_id:
                    self.read()
                if self.ptype != CUSTOM_TYPE or self.provider_id:
                    run.call('remove the %s identity provider of the interrupted change' % self.label, 'DELETE',
                             provider_path(self.ptype, self.provider_id if self.ptype == CUSTOM_TYPE else None),
                             expect_404=True)
            else:
                run.call('restore the %s identity provider of the interrupted change' % self.label, 'PUT',
                         provider_path(self.ptype, self.provider_id if self.ptype == CUSTOM_TYPE else None),
                         body=writable_copy(self.before))
            started = time.time()
            change.settle(started)
            fresh = self.read()
            ok = self.matches_before(fresh)
            if not ok:
                msg = 'the provider is not as before after the rollback'
        except GenesysModuleFail as exc:
            msg = exc.msg
        journal.update(ROLLED_BACK if ok else ROLLBACK_FAILED, note=msg)
        entry['action'] = 'rolled_back' if ok else 'rollback_failed'
        change.result['rolled_back'] = ok
        change.result['rollback'] = dict(reason=reason, verified=ok, msg=msg, journal=journal.path)
        if ok and self.ptype == change.ptype and self.ptype != CUSTOM_TYPE:  # the handoff: the provider as it ends
            change.result['end_state'] = sanitize(self.ptype, self.before) if self.before is not None else {}
            change.result['service_provider'] = change.sp_values(self.before)
        raise GenesysModuleFail(
            'An interrupted change of the %s identity provider (journal %s) was %s because %s%s. Nothing else was '
            'changed by this run; fix the cause and run again.'
            % (self.label, journal.path, 'ROLLED BACK from %s' % self.doc.get('backup_file') if ok else
               'NOT rolled back (%s); restore it with restore_from %s' % (msg, self.doc.get('backup_file')),
               reason, (': %s' % fail_msg) if fail_msg else ''))
