# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the read side of genesys_identity_provider.

Owns every read a run makes and what it remembers between them: the client calls with their "Failed to <action>"
advice, the listing (one GET per run, cached), the ids of per-type providers learnt from their reads, the org
(short name and id), finding the target (by type, by custom id or unique name, or as a backup names it) and what
earlier change journals of this org remember (dropped fields, custom providers the listing does not show yet).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    GenesysModuleFail,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_api import (
    ApiCallError,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import (
    CUSTOM_TYPE,
    FAMILY_CUSTOM,
    FAMILY_PER_TYPE,
    PER_TYPE_TYPES,
    classify_entity,
    listing_is_ambiguous,
    validate_provider_id,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_backup import (
    DEFAULT_BACKUP_DIR,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_input import (
    given_org_short_name,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_txn import (
    ABANDONED,
    JOURNAL_SUFFIX,
    ROLLED_BACK,
    Journal,
    TxnError,
)


class Reader:
    """The read side of one task run: the facade's calls, the listing cache, the per-type ids it learnt, the org."""

    def __init__(self, params, ctx, api):
        self.params = params
        self.ctx = ctx
        self.api = api                 # the facade (_genesys_api.GenesysApi): every request goes through it
        self.client = api.client       # the connection facts (api_url, client_id, request_count, unknown_attempts)
        self._entities = None
        self._org = None
        self.sleep = time.sleep
        self.known = {}          # provider id -> per-type type, from GET /identityproviders/{type}
        self._resolved = False

    def call(self, action, method, path, body=None, expect_404=False):
        """One request through the facade (a failure: "Failed to <action>: ..." with its advice)."""
        return self.api.call(action, method, path, body=body, expect_404=expect_404)

    def forget_listing(self):
        self._entities = None

    def entities(self):
        """The listing of both families (cached: one GET per run)."""
        if self._entities is None:
            self._entities = self.api.list_providers()
        return self._entities

    def read(self, ptype, provider_id=None, label=None):
        data = self.api.read_provider(ptype, provider_id, label)
        if data is None:
            return None
        if ptype != CUSTOM_TYPE and data.get('id') is not None:
            self.known[data['id']] = ptype
        return data

    def classify(self, entity):
        return classify_entity(entity, self.known)

    def resolve_types(self):
        """When the listing does not show which entries are per-type (UUID ids, selfUri by id), read every
        per-type endpoint once to learn their ids (docs/genesys-api.md section 6: the listing shape is unknown)."""
        if self._resolved or not listing_is_ambiguous(self.entities(), self.known):
            return
        self._resolved = True
        read_types = set(self.known.values())
        for ptype in [t for t in PER_TYPE_TYPES if t not in read_types]:
            self.read(ptype)

    def organization(self, required=False, full=False):
        """dict(short_name, id, name) of the org (the facade's GET of the organization, once), or None on failure.

        ``full``: the id is needed too (checking a backup's org), so a given org_short_name does not suffice.
        """
        if full and self._org is not None and not self._org.get('id'):
            self._org = None
        if self._org is None:
            short = given_org_short_name(self.params) if not full else None
            if short:
                self._org = dict(short_name=short, id=None, name=None)
            else:
                try:
                    self._org = self.api.organization('read the organization (for the backup file name)')
                except ApiCallError as exc:
                    if required:
                        raise
                    self.ctx.warn('Could not read the org short name for the service_provider values (%s); set '
                                  'org_short_name to avoid the lookup.' % exc.error.describe())
                    self._org = dict(short_name=None, id=None, name=None)
        return self._org

    def adopt_org(self, check):
        """Take the org from a preserved-client check of the admin client itself (the same client id on the same
        API host: an OAuth client belongs to one org), so that no GET of the organization of its own is needed.

        Only a passed check with the org's id and short name counts; a preserved client with another client id is
        never taken (it may belong to another org: its org must not become this org's lock key or backup org).
        """
        own = getattr(self.client, 'client_id', None)
        if self._org is not None or not own:
            return
        for entry in (check or {}).get('report') or []:
            org = entry.get('organization') or {}
            if entry.get('passed') and entry.get('client_id') == own and org.get('id') and org.get('short_name'):
                self._org = dict(short_name=org['short_name'], id=org['id'], name=org.get('name'))
                return

    def reread(self, ptype, provider_id, label):
        """Read the provider after a write, waiting out eventual consistency (404 = not there yet)."""
        timeout = max(0.0, float(self.params.get('consistency_timeout') or 0.0))
        deadline = time.time() + timeout
        delay = 0.25
        attempts = 0
        while True:
            attempts += 1
            current = self.read(ptype, provider_id, label)
            if current is not None:
                return current, attempts
            remaining = deadline - time.time()
            if remaining <= 0 or attempts >= 100:
                return None, attempts
            self.sleep(min(delay, remaining))
            delay = min(delay * 2, 2.0)

    def read_listed(self, ptype, provider_id, label):
        """Read a provider the listing shows: a 404 then means "not readable yet" (eventual consistency).

        Re-reads within consistency_timeout; never treats it as absent (that would re-create it or, for a
        per-type provider, rewrite it from the options alone).
        """
        current, dummy = self.reread(ptype, provider_id, label)
        if current is None:
            raise GenesysModuleFail('The %s identity provider is listed by Genesys Cloud but could not be read (HTTP 404 '
                                    'for %ss: the platform is eventually consistent after a change). Nothing was '
                                    'changed; run the task again, or raise consistency_timeout.'
                                    % (label, self.params.get('consistency_timeout')))
        return current


def locate(run, ptype, restore=None, state='present'):
    """(current object or None, provider id) of the target: by type, by custom id or name, or as a backup names it."""
    params = run.params
    provider_id = None
    if ptype == CUSTOM_TYPE:
        if restore is not None:
            saved = restore.get('provider') or {}
            current = None
            if saved.get('id'):
                current = run.read(CUSTOM_TYPE, saved['id'], 'custom %r' % saved.get('name'))
                provider_id = saved['id'] if current is not None else None
            if current is None and saved.get('name'):
                current, provider_id = find_custom(run, dict(), current_id=None, name=saved.get('name'))
                if current is not None and saved.get('id') and provider_id != saved['id']:
                    # e.g. restored (re-created) from this backup before: same org (checked), same name
                    run.ctx.warn('The backup %s names the custom provider %r by the id %s, which no longer '
                                 'exists; it is applied to the provider of that name (id %s).'
                                 % (params['restore_from'], saved.get('name'), saved['id'], provider_id))
        else:
            current, provider_id = find_custom(run, params)
            if current is None and params.get('id') and state == 'present':
                raise GenesysModuleFail('No custom identity provider has the id %s. Remove id to find or create '
                                        'the provider by its name.' % params['id'])
    else:
        current = run.read(ptype)
        if current is None and any(run.classify(e) == (FAMILY_PER_TYPE, ptype) for e in run.entities()):
            current = run.read_listed(ptype, None, ptype)   # listed, so the 404 was eventual consistency
    return current, provider_id


def find_custom(run, params, current_id=None, name=None):
    """(current object or None, id) of a custom provider by id, else by unique name."""
    provider_id = current_id or params.get('id')
    if provider_id:
        current = run.read(CUSTOM_TYPE, provider_id, 'custom %r' % provider_id)
        return current, provider_id
    name = name if name is not None else params.get('name')

    def candidates():
        customs = [e for e in run.entities() if run.classify(e)[0] == FAMILY_CUSTOM]
        found = [e for e in customs if e.get('name') == name]
        return found or [e for e in customs if (e.get('name') or '').lower() == (name or '').lower()]

    matches = candidates()
    if len(matches) > 1 and listing_is_ambiguous(run.entities(), run.known):
        # two entries of that name and a listing that does not show types: one may be a per-type provider
        run.resolve_types()
        matches = candidates()
    if not matches:
        remembered = remembered_custom(run, name)
        if remembered is not None:
            return remembered
    if len(matches) > 1:
        ids = [str(m.get('id')) for m in matches]
        raise GenesysModuleFail('%d custom identity providers are named %r (ids %s). Nothing was changed. Give id to '
                                'choose the one this task manages, and remove the others (e.g. a duplicate left by an '
                                'interrupted create) with type=custom, id=<id>, state=absent; '
                                'genesys_identity_provider_info with type=custom and id shows each one.'
                                % (len(matches), name, ', '.join(ids)))
    if not matches:
        return None, None
    provider_id = matches[0].get('id')
    current = run.read_listed(CUSTOM_TYPE, provider_id, 'custom %r' % name)
    return current, provider_id


def journal_docs(run, limit=200):
    """The change journals of ``backup_dir`` for this API host, newest first (at most ``limit``)."""
    directory = os.path.expanduser(run.params.get('backup_dir') or DEFAULT_BACKUP_DIR)
    api_url = getattr(run.client, 'api_url', None)
    try:
        names = sorted((n for n in os.listdir(directory) if n.endswith(JOURNAL_SUFFIX)), reverse=True)
    except (OSError, IOError, ValueError):
        return
    for entry in names[:limit]:
        try:
            doc = Journal.load(os.path.join(directory, entry)).doc
        except TxnError:
            continue
        if doc.get('api_url') == api_url:
            yield entry, doc


def remembered_dropped(run, ptype, name):
    """API fields that Genesys Cloud did not keep on this type of this org, per earlier journals (reported once)."""
    dropped = set()
    for entry, doc in journal_docs(run):
        if doc.get('type') == ptype and (ptype != CUSTOM_TYPE or doc.get('name') == name):
            dropped.update(f for f in doc.get('dropped') or [] if isinstance(f, str))
    return dropped


def remembered_custom(run, name):
    """A custom provider this collection created by that name, per a change journal, that the listing does not
    show yet (the listing lags behind writes on the real platform): (current, id) when its id still reads."""
    for entry, doc in journal_docs(run):
        if doc.get('type') != CUSTOM_TYPE or doc.get('operation') != 'POST' or doc.get('name') != name \
                or not doc.get('provider_id') or doc.get('state') in (ROLLED_BACK, ABANDONED):
            continue
        try:
            provider_id = validate_provider_id(doc['provider_id'], 'change journal %s (provider_id)' % entry)
        except GenesysModuleFail:
            continue
        current = run.read(CUSTOM_TYPE, provider_id, 'custom %r' % name)
        if current is not None:
            return current, provider_id
    return None
