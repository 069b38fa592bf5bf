# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Core of genesyscloud.sso.genesys_identity_provider (shared by the module and its action plugin).

Request pattern (what a run costs, after the token):

* per-type provider: 1 GET of ``/identityproviders/{type}`` (+ the listing when it
  answers 404, to tell "absent" from "not readable yet");
* custom provider by ``name``: 1 GET of the listing + 1 GET of ``/{id}``;
  by ``id``: 1 GET of ``/{id}``;
* + the listing when a change would disable or delete an enabled provider
  (lockout guard; skipped with ``force``) or create a custom provider
  (the 30-provider limit) and it was not read yet;
* + the listing up front with ``list_providers`` (the overview of the org; it then also
  serves the checks above, so it is never read twice);
* + ``GET /organizations/me`` only when the short name is needed and
  ``org_short_name`` is not set: for a backup file name or the lock, and for the
  ``service_provider`` values (OrganizationName) unless the preserved clients'
  probe of ``/api/v2/organizations/me`` answered it (no other answer carries it);
* + the write and the bounded re-reads after it.

A change is one recoverable unit (docs/reliability.md, "Safety invariants"):

1. an unfinished change journal of this org in ``backup_dir`` is finished or undone first (local files: no
   request unless one exists);
2. ``preserved_clients`` are validated before anything changes (no change when one fails);
3. read and plan; for a real change: take the per-org lock (``lock_dir``), re-read and re-plan under it,
   re-check the lockout guard from a fresh listing, write the backup and the journal (``intent``);
4. the write (never repeated blindly after a time-out: an unknown outcome is resolved by reading);
5. after a write that disables or deletes an enabled provider: the guard invariant again from a fresh listing,
   compensated at once (rollback) when another run left the org without an enabled sign-in;
6. read back and compare with the intent (``verified``, ``not_kept``);
7. ``preserved_clients`` validated again, whatever step 6 said; a failure rolls the change back, and the
   rollback is itself re-read and verified after ``settle_delay``;
8. after ``settle_delay``, a fresh read compared with the intent: a concurrent change is reported, not
   "verified"; the journal is closed and the lock released.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import json
import os
import re
import time

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    GenesysModuleFail,
    build_spec,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import (
    GenesysClient,
    GenesysError,
    to_module_fail,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_permissions import (
    check_write_permissions,
    retire_unused_backup,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_txn import (
    ABANDONED,
    JOURNAL_SUFFIX,
    COMPLETE,
    INTENT,
    ROLLBACK_FAILED,
    ROLLED_BACK,
    ROLLING_BACK,
    UNKNOWN,
    VERIFIED,
    WRITTEN,
    Journal,
    OrgLock,
    TxnError,
    check_private_dir,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_oauth_check_core import (
    DEFAULT_PROBE_PATHS,
    SPEC as _OAUTH_CHECK_SPEC,
    _targets as _client_targets,
    _validate_probe_paths as validate_probe_paths,
    check_client,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_certs import (
    CertificateError,
    check_validity,
    load_certificates,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import (
    ALL_TYPES,
    API_BASE,
    CUSTOM_TYPE,
    FAMILY_CUSTOM,
    FAMILY_PER_TYPE,
    MAX_CUSTOM_PROVIDERS,
    PER_TYPE_TYPES,
    PROVIDER_OPTIONS,
    SAML_TYPES,
    IdpError,
    build_desired,
    build_payload,
    certificate_summaries,
    changed_fields,
    classify_entity,
    describe_api_error,
    family_of,
    is_enabled,
    list_entities,
    listing_is_ambiguous,
    lockout_check,
    normalize_name_id_format,
    normalize_sso_binding,
    provider_path,
    providers_overview,
    restore_changed_fields,
    sanitize,
    sanitize_desired_after,
    ACTION_CREATE,
    ACTION_RESTORE,
    plan,
    reduces_sign_in,
    service_provider,
    supports,
    validate_provider_id,
    writable_copy,
    FIELD_TO_OPTION,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_options import (
    STATES,
    provider_option_spec,
)

DEFAULT_BACKUP_DIR = '~/.ansible/genesyscloud_sso_backups'
DEFAULT_LOCK_DIR = '~/.ansible/genesyscloud_sso_locks'
ORG_PATH = '/api/v2/organizations/me'
BACKUP_FORMAT = 'genesyscloud.sso/identity_provider_backup'
BACKUP_VERSION = 1

METADATA_OPTIONS = ('idp_metadata', 'idp_metadata_url', 'idp_entity_id')


def _spec_options():
    """The module's options: type and state, the provider options of the table, then the task options."""
    options = dict(
        type=dict(type='str', choices=list(ALL_TYPES)),
        state=dict(type='str', default='present', choices=list(STATES)),
        id=dict(type='str'),
    )
    options.update(provider_option_spec())
    options.update(_TASK_OPTIONS)
    return options


_TASK_OPTIONS = dict(
    allow_expired_certificates=dict(type='bool', default=False),
    certificate_expiry_warn_days=dict(type='int', default=30),
    idp_metadata=dict(type='str'),
    idp_metadata_url=dict(type='str'),
    idp_entity_id=dict(type='str'),
    backup=dict(type='bool', default=False),
    backup_dir=dict(type='path', default=DEFAULT_BACKUP_DIR),
    restore_from=dict(type='path'),
    force=dict(type='bool', default=False),
    consistency_timeout=dict(type='float', default=480.0),
    org_short_name=dict(type='str'),
    list_providers=dict(type='bool', default=False),
    preserved_clients=copy.deepcopy(_OAUTH_CHECK_SPEC['argument_spec']['clients']),
    probe_paths=dict(type='list', elements='str', default=list(DEFAULT_PROBE_PATHS)),
    client_expectations=copy.deepcopy(_OAUTH_CHECK_SPEC['argument_spec']['expect']),
    validate_clients_before=dict(type='bool', default=True),
    rollback_on_failure=dict(type='bool', default=True),
    lock=dict(type='bool', default=True),
    lock_dir=dict(type='path', default=DEFAULT_LOCK_DIR),
    lock_timeout=dict(type='float', default=120.0),
    settle_delay=dict(type='float', default=1.0),
    restore_across_orgs=dict(type='bool', default=False),
)

SPEC = build_spec(
    _spec_options(),
    mutually_exclusive=[('idp_metadata', 'idp_metadata_url')] + [
        ('restore_from', option) for option in PROVIDER_OPTIONS + METADATA_OPTIONS + ('id',)],
    required_one_of=[('type', 'restore_from')],
    required_if=[('type', 'custom', ('name', 'id'), True)],
)


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class _Run:
    """State of one task run (client, listing cache, org lookup)."""

    def __init__(self, params, ctx, client):
        self.params = params
        self.ctx = ctx
        self.client = client
        self._entities = None
        self._org = None
        self.sleep = time.sleep
        self.known = {}          # provider id -> per-type type, from GET /identityproviders/{type}
        self._resolved = False

    def call(self, action, method, path, body=None, expect_404=False):
        try:
            return self.client.request(method, path, body=body, expect_404=expect_404)
        except GenesysError as err:
            raise GenesysModuleFail(describe_api_error(err, action), **err.result_fields())

    def write_call(self, action, method, path, body=None, expect_404=False):
        """A write: ``(status, data, None)``, or ``(None, None, err)`` when its outcome is unknown.

        The outcome is unknown when the connection failed after the request may have reached the server (a
        read time-out, a reset) and the client did not (or could not) repeat it: a POST is never repeated; an
        idempotent PUT/DELETE is repeated by the client (its ``unknown_attempts`` counts such attempts, whose late
        landing a rollback then waits out). The caller finds out by reading. Any other failure raises
        GenesysModuleFail.
        """
        try:
            status, data = self.client.request(method, path, body=body, expect_404=expect_404)
            return status, data, None
        except GenesysError as err:
            if err.status is None and err.code == 'connection.error' and not getattr(err, 'never_sent', False):
                return None, None, err
            raise GenesysModuleFail(describe_api_error(err, action), **err.result_fields())

    def forget_listing(self):
        self._entities = None

    def entities(self):
        """The listing of both families (cached: one GET per run)."""
        if self._entities is None:
            self._entities = list_entities(
                lambda path: self.call('list the identity providers', 'GET', path)[1])
        return self._entities

    def read(self, ptype, provider_id=None, label=None):
        status, data = self.call('read the %s identity provider' % (label or ptype), 'GET',
                                 provider_path(ptype, provider_id), expect_404=True)
        if status == 404:
            return None
        data = data if isinstance(data, dict) else {}
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
        """dict(short_name, id, name) of the org (GET /api/v2/organizations/me, once), or None on failure.

        ``full``: the id is needed too (checking a backup's org), so a given org_short_name does not suffice.
        """
        if full and self._org is not None and not self._org.get('id'):
            self._org = None
        if self._org is None:
            short = self.params.get('org_short_name') if not full else None
            if short:
                self._org = dict(short_name=short, id=None, name=None)
            else:
                try:
                    status, data = self.client.request('GET', ORG_PATH)
                    data = data or {}
                    self._org = dict(short_name=data.get('thirdPartyOrgName'), id=data.get('id'),
                                     name=data.get('name'))
                except GenesysError as err:
                    if required:
                        raise GenesysModuleFail(describe_api_error(err, 'read the organization (for the backup '
                                                                   'file name)'), **err.result_fields())
                    self.ctx.warn('Could not read the org short name for the service_provider values (%s); set '
                                  'org_short_name to avoid the lookup.' % err.describe())
                    self._org = dict(short_name=None, id=None, name=None)
        return self._org

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


# ------------------------------------------------------------------ input

def _provider_options(params):
    return dict((o, params.get(o)) for o in PROVIDER_OPTIONS if params.get(o) is not None)


def _label(ptype, params, current=None):
    if ptype == CUSTOM_TYPE:
        name = (current or {}).get('name') or params.get('name') or params.get('id')
        return 'custom %r' % name
    return ptype


def _apply_metadata(ptype, options, params, ctx):
    """Fill options from IdP metadata (explicit options win). Returns the metadata summary or None."""
    xml = params.get('idp_metadata')
    url = params.get('idp_metadata_url')
    if not xml and not url:
        if params.get('idp_entity_id'):
            raise GenesysModuleFail('idp_entity_id selects an IdP inside idp_metadata / idp_metadata_url; give one '
                                    'of those too.')
        return None
    if ptype not in SAML_TYPES:
        raise GenesysModuleFail('idp_metadata/idp_metadata_url need a SAML provider type; %s has none of the SAML '
                                'fields.' % ptype)
    from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_metadata import (
        MetadataError,
        fetch_idp_metadata,
        mask_url,
        parse_idp_metadata,
        show_url,
        tls_off_warning,
        url_secrets,
    )
    if url:
        for secret in url_secrets(url):   # a userinfo password is masked wherever it would appear
            ctx.add_secret(secret)
        if params.get('validate_certs', True) is False:
            ctx.warn(tls_off_warning(url))
    try:
        if url:
            xml = fetch_idp_metadata(url, ca_path=params.get('ca_path'),
                                     validate_certs=params.get('validate_certs', True) is not False,
                                     timeout=params.get('timeout') or 30)
        binding = options.get('sso_binding')
        binding = normalize_sso_binding(binding) if binding else None
        meta = parse_idp_metadata(xml, entity_id=params.get('idp_entity_id'), sso_binding=binding,
                                  require_signing_certificate=options.get('certificates') is None)
    except (MetadataError, IdpError) as exc:
        raise GenesysModuleFail('Cannot use the IdP metadata%s: %s' % (
            (' from idp_metadata_url %s' % show_url(url)) if url else '', exc))
    for warning in meta.get('warnings') or []:
        ctx.warn('IdP metadata: %s' % warning)
    # The first NameID format of the metadata that Genesys Cloud accepts (others, e.g. urn:mace:..., are skipped),
    # emailAddress first when offered (name_identifier_formats_preferred).
    name_id = None
    offered = meta.get('name_identifier_formats_preferred') or meta.get('name_identifier_formats') or (
        [meta['name_identifier_format']] if meta.get('name_identifier_format') else [])
    for candidate in offered:
        try:
            name_id = normalize_name_id_format(candidate)
            break
        except IdpError:
            continue
    if offered and name_id is None and options.get('name_identifier_format') is None:
        ctx.warn('IdP metadata: none of its NameID formats (%s) is one Genesys Cloud accepts; name_identifier_format '
                 'was not taken from it.' % ', '.join(offered))
    mapping = (
        ('issuer_uri', meta.get('issuer_uri') or meta.get('entity_id')),
        ('sso_target_uri', meta.get('sso_target_uri')),
        ('sso_binding', meta.get('sso_binding')),
        ('slo_uri', meta.get('slo_uri')),
        ('slo_binding', meta.get('slo_binding')),
        ('certificates', meta.get('certificates') or None),
        ('name_identifier_format', name_id),
    )
    filled = []
    for option, value in mapping:
        if value in (None, '', []) or options.get(option) is not None or not supports(ptype, option):
            continue
        options[option] = value
        filled.append(option)
    from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import validate_option_strings
    try:   # what the metadata gives is checked like the options (https URLs, no control characters)
        validate_option_strings(dict((option, options[option]) for option in filled))
    except IdpError as exc:
        raise GenesysModuleFail('Cannot use the IdP metadata%s: a value it gives is refused: %s. Set that option '
                                'explicitly to override the metadata.' % (
                                    (' from idp_metadata_url %s' % show_url(url)) if url else '', str(exc).rstrip('.')))
    return dict(entity_id=meta.get('entity_id'), filled_options=filled, source=mask_url(url) or 'idp_metadata')


def _load_certs(options, params, ctx):
    if options.get('certificates') is None:
        return None
    try:
        certs = load_certificates(options['certificates'])
        for warning in check_validity(certs, allow_expired=params.get('allow_expired_certificates'),
                                      warn_days=params.get('certificate_expiry_warn_days')):
            ctx.warn(warning)
    except CertificateError as exc:
        raise GenesysModuleFail('Invalid certificates: %s' % exc)
    return certs


# ------------------------------------------------------------------ backup / restore

def _slug(text):
    return re.sub(r'[^A-Za-z0-9._-]+', '-', str(text or '')).strip('-')[:60] or 'provider'


def _write_backup(run, ptype, current):
    org = run.organization(required=True)
    try:
        directory = check_private_dir(run.params.get('backup_dir') or DEFAULT_BACKUP_DIR, 'backup_dir')
    except TxnError as exc:
        raise GenesysModuleFail(str(exc))
    now = _utcnow()
    org_part = _slug(org.get('short_name') or org.get('id') or 'org')
    what = ptype if ptype != CUSTOM_TYPE else 'custom-%s' % _slug((current or {}).get('name') or run.params.get('name'))
    filename = '%s_%s_%s.json' % (org_part, what, now.strftime('%Y%m%dT%H%M%S%fZ'))
    path = os.path.join(directory, filename)
    document = dict(
        format=BACKUP_FORMAT,
        version=BACKUP_VERSION,
        created=now.strftime('%Y-%m-%dT%H:%M:%SZ'),
        organization=dict(short_name=org.get('short_name'), id=org.get('id')),
        api_url=getattr(run.client, 'api_url', None),
        type=ptype,
        family=family_of(ptype),
        provider=current,
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as handle:
            json.dump(document, handle, indent=2, sort_keys=True)
            handle.write('\n')
        os.chmod(path, 0o600)
    except (OSError, IOError) as exc:
        raise GenesysModuleFail('Cannot write the backup file %s: %s. Nothing was changed.' % (path, exc))
    return path


def load_backup(path):
    """The backup document at ``path`` (validated)."""
    path = os.path.expanduser(path)
    try:
        with open(path) as handle:
            document = json.load(handle)
    except (OSError, IOError, ValueError) as exc:
        raise GenesysModuleFail('Cannot read the backup file %s: %s' % (path, exc))
    if not isinstance(document, dict) or document.get('format') != BACKUP_FORMAT:
        raise GenesysModuleFail('%s is not a genesys_identity_provider backup file (no "format": "%s").'
                                % (path, BACKUP_FORMAT))
    if document.get('version') != BACKUP_VERSION:
        raise GenesysModuleFail('%s has backup version %r; this collection reads version %d.'
                                % (path, document.get('version'), BACKUP_VERSION))
    if document.get('type') not in ALL_TYPES:
        raise GenesysModuleFail('%s names an unknown provider type %r.' % (path, document.get('type')))
    provider = document.get('provider')
    if provider is not None and not isinstance(provider, dict):
        raise GenesysModuleFail('%s: "provider" must be an object or null.' % path)
    if provider is not None and provider.get('id') is not None:
        validate_provider_id(provider['id'], 'backup file %s (provider.id)' % path)
    if provider is not None and provider.get('selfUri') is not None and not isinstance(provider['selfUri'], str):
        raise GenesysModuleFail('%s: "provider.selfUri" must be a string.' % path)
    return document


# ------------------------------------------------------------------ locate

def _find_custom(run, params, current_id=None, name=None):
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
        remembered = _remembered_custom(run, name)
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


def _journal_docs(run, limit=200):
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


def _remembered_dropped(run, ptype, name):
    """API fields that Genesys Cloud did not keep on this type of this org, per earlier journals (reported once)."""
    dropped = set()
    for entry, doc in _journal_docs(run):
        if doc.get('type') == ptype and (ptype != CUSTOM_TYPE or doc.get('name') == name):
            dropped.update(f for f in doc.get('dropped') or [] if isinstance(f, str))
    return dropped


def _remembered_custom(run, name):
    """A custom provider this collection created by that name, per a change journal, that the listing does not
    show yet (the listing lags behind writes on the real platform): (current, id) when its id still reads."""
    for entry, doc in _journal_docs(run):
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


# ------------------------------------------------------------------ core

def _check_dir_option(params, option):
    value = params.get(option)
    if isinstance(value, str) and '\x00' in value:
        raise GenesysModuleFail('%s contains a NUL byte; give a plain directory path.' % option)


def core(params, ctx, client=None):
    """Run the module: see the module documentation."""
    try:
        return _core(params, ctx, client)
    except GenesysModuleFail as exc:
        exc.extra.setdefault('failed_step', 'input')   # failed before reading anything
        raise


def _core(params, ctx, client=None):
    for option in ('backup_dir', 'lock_dir', 'restore_from'):
        _check_dir_option(params, option)
    if params.get('id') is not None:
        validate_provider_id(params['id'], 'option id')
    if params.get('preserved_clients'):
        validate_probe_paths(dict(probe_paths=params.get('probe_paths'), clients=params['preserved_clients']))
    restore = None
    if params.get('restore_from'):
        restore = load_backup(params['restore_from'])
        if params.get('type') and params['type'] != restore['type']:
            raise GenesysModuleFail('type=%s but the backup %s holds a %s provider.'
                                    % (params['type'], params['restore_from'], restore['type']))
        ptype = restore['type']
        state = 'present' if restore.get('provider') is not None else 'absent'
        options = {}
        metadata = None
        certs = None
    else:
        ptype = params['type']
        state = params.get('state') or 'present'
        options = _provider_options(params)
        try:
            if state == 'present':
                build_desired(ptype, options)  # option/type check before the metadata fetch
        except IdpError as exc:
            raise GenesysModuleFail(str(exc))
        metadata = _apply_metadata(ptype, options, params, ctx) if state == 'present' else None
        certs = _load_certs(options, params, ctx) if state == 'present' else None
    try:
        desired = build_desired(ptype, options, certs) if state == 'present' and restore is None else {}
    except IdpError as exc:
        raise GenesysModuleFail(str(exc))

    if client is None:
        try:
            client = GenesysClient(params, warn=ctx.warn)
        except GenesysError as err:
            raise to_module_fail(err)
    run = _Run(params, ctx, client)
    change = _Change(run, ptype, state, desired, restore, metadata)
    try:
        return change.execute()
    except TxnError as exc:
        raise GenesysModuleFail(str(exc), **change.failure_fields())
    except GenesysModuleFail as exc:
        for key, value in change.failure_fields().items():
            exc.extra.setdefault(key, value)
        raise
    finally:
        change.release()
        if hasattr(client, 'close'):
            client.close()


def _org_matches(doc_org, org):
    """True when the org of a backup/journal is the target org (by id when both have one, else short name)."""
    doc_org = doc_org or {}
    if doc_org.get('id') and org.get('id'):
        return doc_org['id'] == org['id']
    if doc_org.get('short_name') and org.get('short_name'):
        return doc_org['short_name'] == org['short_name']
    return False


def _host_of(url):
    text = str(url or '')
    text = re.sub(r'^[a-z]+://', '', text)
    return text.split('/', 1)[0].lower()


class _Change:
    """One run of the module on one provider: recover, validate, plan, lock, write, verify, re-validate, roll back."""

    def __init__(self, run, ptype, state, desired, restore, metadata):
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
        self.result = dict(changed=False, existed=None, verified=None, not_kept=[], rolled_back=False,
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
        if 'organization' not in fields and (self.run._org is not None or self.params.get('org_short_name')):
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
        reports = [check_client(params, target, self.ctx) for target in _client_targets(params)]
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
        lock = OrgLock(self.params.get('lock_dir') or DEFAULT_LOCK_DIR, _host_of(getattr(self.run.client, 'api_url', '')),
                       key, timeout=self.params.get('lock_timeout'), sleep=self.run.sleep, warn=self.ctx.warn,
                       label=label)
        lock.acquire(what='%s %s' % ('genesys_identity_provider', _label(self.ptype, self.params)))
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
        if _host_of(doc.get('api_url')) != _host_of(api_url):
            raise GenesysModuleFail(
                'Refusing to restore %s: it was made against %s, this task talks to %s. A backup is applied only to '
                'the org it came from (it would make this org trust another org\'s IdP). Nothing was changed. Check '
                'region/api_url, or set restore_across_orgs=true if you really mean to copy it.'
                % (params['restore_from'], _host_of(doc.get('api_url')) or 'an unknown API host', _host_of(api_url)))
        org = self.run.organization(required=True, full=True)
        saved = doc.get('organization') or {}
        if not _org_matches(saved, org):
            raise GenesysModuleFail(
                'Refusing to restore %s: it was made of the org %s (id %s), this task is connected to the org %s '
                '(id %s). A backup is applied only to the org it came from (it would make this org trust another '
                'org\'s IdP). Nothing was changed. Use the credentials of that org, or set restore_across_orgs=true '
                'if you really mean to copy it.'
                % (params['restore_from'], saved.get('short_name') or '?', saved.get('id') or '?',
                   org.get('short_name') or '?', org.get('id') or '?'))

    # ---------------------------------------------------------------- reading
    def locate(self):
        """(current object or None, provider id) of the target."""
        run, params = self.run, self.params
        ptype = self.ptype
        provider_id = None
        if ptype == CUSTOM_TYPE:
            if self.restore is not None:
                saved = self.restore.get('provider') or {}
                current = None
                if saved.get('id'):
                    current = run.read(CUSTOM_TYPE, saved['id'], 'custom %r' % saved.get('name'))
                    provider_id = saved['id'] if current is not None else None
                if current is None and saved.get('name'):
                    current, provider_id = _find_custom(run, dict(), current_id=None, name=saved.get('name'))
                    if current is not None and saved.get('id') and provider_id != saved['id']:
                        # e.g. restored (re-created) from this backup before: same org (checked), same name
                        self.ctx.warn('The backup %s names the custom provider %r by the id %s, which no longer '
                                      'exists; it is applied to the provider of that name (id %s).'
                                      % (params['restore_from'], saved.get('name'), saved['id'], provider_id))
            else:
                current, provider_id = _find_custom(run, params)
                if current is None and params.get('id') and self.state == 'present':
                    raise GenesysModuleFail('No custom identity provider has the id %s. Remove id to find or create '
                                            'the provider by its name.' % params['id'])
        else:
            current = run.read(ptype)
            if current is None and any(run.classify(e) == (FAMILY_PER_TYPE, ptype) for e in run.entities()):
                current = run.read_listed(ptype, None, ptype)   # listed, so the 404 was eventual consistency
        return current, provider_id

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
                if not _same_object(self.ptype, current, before) or _same_object(self.ptype, current, intent):
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
        self.label = _label(self.ptype, params if self.restore is None else (self.restore.get('provider') or {}),
                            current)
        try:
            if self.restore is not None:
                self.plan = plan(self.ptype, current, self.restore['provider'], restore=True)
            elif self.state == 'absent':
                self.plan = plan(self.ptype, current, None, 'absent')
            else:
                remembered = _remembered_dropped(run, self.ptype, (current or {}).get('name') or params.get('name'))
                self.plan = plan(self.ptype, current, self.desired, 'present', ignore=remembered)
        except IdpError as exc:
            raise GenesysModuleFail(str(exc))
        if self.plan.action in (ACTION_CREATE, ACTION_RESTORE) and current is None:
            _check_limit(run, self.ptype, self.plan.payload)

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
        run, params, ctx = self.run, self.params, self.ctx
        result = self.result
        overview = None
        org_before = run._org

        # 1. an unfinished change of this org is finished or undone first
        self.step = 'recover'
        self.recover_journals()

        # 2. the preserved clients, before anything changes
        self.step = 'clients_before'
        if params.get('preserved_clients') and params.get('validate_clients_before', True):
            before = self.check_clients('before')
            result['clients_before'] = before
            if not before['passed']:
                failing = [c for c in before.get('report') or [] if not c.get('passed')]
                if failing and all(c.get('unreachable') for c in failing):
                    raise GenesysModuleFail('No change was made: the Genesys Cloud host could not be reached, so the '
                                            'preserved OAuth clients were not checked (this is not a failure of '
                                            'the clients). %s' % self.client_failures(before))
                raise GenesysModuleFail('No change was made: a preserved OAuth client fails before the change. %s'
                                        % self.client_failures(before))

        # 3. read and plan
        self.step = 'read'
        if self.restore is not None:
            self.check_backup_target()
        if params.get('list_providers'):
            run.entities()   # the listing first: the overview, and the module's own checks, from one GET
        read_started = time.time()
        self.run_plan()
        if self.changed and not ctx.check_mode:
            org = run.organization(required=True)
            self.take_lock(org)
            if self.lock is not None and self.lock.changed_since(read_started):
                # re-read under the lock: another run may have changed the org since the read that decided
                run.forget_listing()
                if params.get('list_providers'):
                    run.entities()
                self.run_plan()
        self.step = 'guard'
        self.guard()
        if params.get('list_providers'):
            # classified with the per-type ids this run read (the target's, purecloud's for the guard)
            overview = providers_overview(run.entities(), run.known)

        before, after = self.plan.before, self.plan.after
        result.update(
            changed=self.changed,
            existed=self.plan.existed,
            diff=dict(before=before, after=after),
            changed_options=self.plan.changed_options,
            backup_file=None,
            provider=before if not self.changed else (after if ctx.check_mode else None),
            certificates=certificate_summaries(self.current) if not self.changed or self.state == 'absent' else
            certificate_summaries(self.payload),
            service_provider=None,
        )
        if self.metadata is not None:
            result['metadata'] = self.metadata
        if self.ptype == CUSTOM_TYPE:
            result['id'] = self.provider_id

        end_state = self.current
        if self.changed and not ctx.check_mode:
            end_state = self.apply()
            result['provider'] = sanitize(self.ptype, end_state) if end_state is not None else {}
            result['certificates'] = certificate_summaries(end_state)
        elif self.changed and ctx.check_mode:
            result['provider'] = after
            result['verified'] = None
            result['permissions'] = check_write_permissions(run.client, self.write, self.ptype == CUSTOM_TYPE,
                                                            self.label, ctx.warn, result)   # predicts a 403
        else:
            result['verified'] = True
        result['end_state'] = sanitize(self.ptype, end_state) if end_state is not None else {}

        if self.state == 'present' and self.ptype != 'purecloud':
            # the values of the provider as it ends (check mode with a change: as planned), never a wished value
            result['service_provider'] = self.sp_values(
                (self.after_obj or end_state) if self.changed and ctx.check_mode else end_state)
        if overview is not None:
            result['providers'] = overview
        if run._org is not None or params.get('org_short_name') or org_before is not None:
            result['organization'] = dict(run.organization())  # no request: read above, or given
        elif getattr(self, 'client_org', None):
            result['organization'] = dict(self.client_org)  # from the preserved clients' probe: no request
        result['api_requests'] = getattr(run.client, 'request_count', None)
        self.step = None
        result['failed_step'] = None
        return result

    def sp_values(self, obj):
        """service_provider of the provider ``obj`` as Genesys Cloud holds it (None without a SAML provider).

        The org short name (OrganizationName): org_short_name, else the org this run read, else the preserved
        clients' answer of /api/v2/organizations/me (clients_before), else one GET of /api/v2/organizations/me, the
        only answer that carries thirdPartyOrgName (a converged run without preserved clients pays that request).
        """
        if obj is None or self.ptype == 'purecloud':
            return None
        run = self.run
        short = self.params.get('org_short_name') or (run._org or {}).get('short_name')
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
        run, params, ctx, result = self.run, self.params, self.ctx, self.result
        org = run.organization(required=True)
        self.step = 'backup'
        if params.get('backup'):
            result['backup_file'] = _write_backup(run, self.ptype, self.current)
            self.journal = self.new_journal(org)
            result['journal_file'] = self.journal.path
        self.step = 'write'
        written_at = time.time()
        try:
            end_state, visible = self.send_write()
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

        # 5. another run may have disabled the other sign-ins meanwhile (different controllers)
        self.step = 'guard_after_write'
        if self.reduces_sign_in() and not params.get('force'):
            run.forget_listing()
            entities = run.entities()
            purecloud = None if self.ptype == 'purecloud' else run.read('purecloud')
            if not _org_has_sign_in(entities, self.ptype, self.provider_id, self.after_obj, run.known, purecloud,
                                    own_id=(self.current or {}).get('id')):
                rollback = self.rollback('the org had no enabled sign-in left after the write')
                raise GenesysModuleFail(
                    'LOCKOUT PREVENTED: after this run %s the %s identity provider, a fresh listing showed no other '
                    'enabled way to sign in (another run changed the org at the same time). The change was %s. '
                    'Check the org now with genesys_identity_provider_info.'
                    % ('deleted' if self.write == 'DELETE' else 'disabled', self.label,
                       'rolled back' if rollback.get('verified') else 'NOT rolled back (%s)' % rollback.get('msg')))

        # 6. verify the write against the intent
        self.step = 'verify'
        unseen = None
        if self.write != 'DELETE':
            result['read_back'] = visible
            if not visible and end_state is not None:
                # readable, but still as before: the platform did not keep the change (or shows it later)
                self.record_not_kept(end_state, still_as_before=True)
            elif not visible:
                unseen = ('The %s identity provider was written at %s, but Genesys Cloud did not show it within %ss '
                          '(HTTP 404: the platform is eventually consistent)' % (
                              self.label, time.strftime('%H:%M:%S', time.gmtime(written_at)),
                              params.get('consistency_timeout')))
                end_state = dict(self.payload)
                if self.provider_id:
                    end_state['id'] = self.provider_id
                result['verified'] = False
            else:
                self.record_not_kept(end_state)
        else:
            result['verified'] = visible
            if not visible:
                unseen = ('The %s identity provider was deleted at %s, but Genesys Cloud still showed it after %ss'
                          % (self.label, time.strftime('%H:%M:%S', time.gmtime(written_at)),
                             params.get('consistency_timeout')))
        if self.journal is not None and result['verified']:
            self.journal.update(VERIFIED)

        # 7. the preserved clients again, whatever the verification said
        self.step = 'clients_after'
        after = self.check_clients('after')
        if after is not None:
            result['clients_after'] = after
            if not after['passed']:
                if params.get('rollback_on_failure', True):
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

        if unseen is not None:
            self.step = 'verify'
            raise GenesysModuleFail(
                '%s. The preserved OAuth clients %s. What was written: %s. Check it with '
                'genesys_identity_provider_info (type=%s%s)%s; raise consistency_timeout to wait longer.'
                % (unseen, 'pass' if after is not None else 'were not checked (none given)',
                   'deleted' if self.write == 'DELETE' else ', '.join(sorted(set(
                       FIELD_TO_OPTION.get(f, f) for f in self.fields))) or 'the provider',
                   self.ptype, (', id=%s' % self.provider_id) if self.ptype == CUSTOM_TYPE and self.provider_id else '',
                   ('; the journal %s stays open and the next run verifies it' % self.journal.path)
                   if self.journal is not None else ''))

        # 8. a fresh read after the settle delay: a concurrent change is reported, not "verified"
        self.step = 'final_verify'
        if visible:
            self.settle(written_at)
            fresh = self.read_target(self.provider_id)
            if self.write == 'DELETE':
                if fresh is not None:
                    self.concurrent(fresh, 'it exists again')
            elif fresh is not None and not _same_object(self.ptype, fresh, end_state):
                self.concurrent(fresh, 'it changed')
            elif fresh is None:
                self.concurrent(None, 'it is gone')
            if fresh is not None:
                end_state = fresh
        if self.journal is not None:
            self.journal.update(COMPLETE if result.get('verified') or self.write == 'DELETE' else WRITTEN,
                                note=None if result.get('verified') else 'written; not verified yet')
        return end_state

    def record_not_kept(self, end_state, still_as_before=False):
        """Compare the read-back with the intent: ``not_kept`` (options), of which ``dropped`` (the platform holds
        no value for them on this type: reported once, remembered in the journal, not compared again)."""
        result, ctx = self.result, self.ctx
        result['not_kept'] = self.plan.not_kept(end_state)
        dropped = self.plan.dropped(end_state)
        result['dropped'] = sorted(set(FIELD_TO_OPTION.get(f, f) for f in dropped))
        # a dropped field does not make the change unverified (the platform has no place for it on this type)
        result['verified'] = not [o for o in result['not_kept'] if o not in result['dropped']]
        if self.journal is not None and dropped:
            self.journal.update(dropped=dropped)
        for option in result['dropped']:
            ctx.warn('Genesys Cloud did not keep %s on the %s type: remove it from the task (it is not compared '
                     'again on this org).' % (option, self.label))
        differs = [o for o in result['not_kept'] if o not in result['dropped']]
        if differs:
            ctx.warn('Genesys Cloud did not keep the value(s) of %s for the %s identity provider%s; the next run will '
                     'try again.%s' % (', '.join(differs), self.label,
                                       ' (still as before %ss after the write)' % self.params.get('consistency_timeout')
                                       if still_as_before else '',
                                       ' Raise consistency_timeout if the platform is only slow to show it.'
                                       if still_as_before else ''))

    def concurrent(self, fresh, what):
        differing = sorted(set(FIELD_TO_OPTION.get(f, f) for f in restore_changed_fields(
            self.ptype, fresh, self.payload if self.write != 'DELETE' else None))) if fresh is not None else []
        if self.journal is not None:
            self.journal.update(COMPLETE, note='concurrent change: %s' % what)
        self.result['verified'] = False
        raise GenesysModuleFail(
            'CONCURRENT CHANGE: the %s identity provider was written by this run and verified, but %ss later %s%s: '
            'another run or person changed it at the same time. This run did not undo that change. Check the provider '
            '(genesys_identity_provider_info) and run again once only one run changes this org.'
            % (self.label, self.params.get('settle_delay'), what,
               (' (fields %s)' % ', '.join(differing)) if differing else ''))

    def new_journal(self, org):
        directory = self.backup_directory()
        what = self.ptype if self.ptype != CUSTOM_TYPE else 'custom-%s' % _slug(
            (self.current or {}).get('name') or (self.payload or {}).get('name') or self.params.get('name'))
        stem = '%s_%s' % (_slug(org.get('short_name') or org.get('id') or 'org'), what)
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
        """Send the write; returns (object read back or None, visible). Resolves an unknown outcome by reading."""
        run, ptype, label = self.run, self.ptype, self.label
        verb = 'delete' if self.write == 'DELETE' else ('create' if self.current is None else 'update')
        action = '%s the %s identity provider' % (verb, label)
        if self.write == 'POST':
            status, data, unknown = run.write_call(action, 'POST', API_BASE, body=self.payload)
            if unknown is None:
                self.provider_id = (data or {}).get('id')
                if not self.provider_id:
                    if self.journal is not None:
                        self.journal.update(UNKNOWN, note='created without an id in the answer')
                    raise GenesysModuleFail('Genesys Cloud created the %s identity provider but returned no id; '
                                            'run the task again (it finds the provider by name).' % label)
                validate_provider_id(self.provider_id, 'the answer of POST %s' % API_BASE)
        elif self.write == 'DELETE':
            status, data, unknown = run.write_call(action, 'DELETE', provider_path(ptype, self.provider_id),
                                                   expect_404=True)
        else:
            status, data, unknown = run.write_call(action, 'PUT', provider_path(ptype, self.provider_id),
                                                   body=self.payload)
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
        return self.wait_applied(self.provider_id, self.current, self.payload, deleting=self.write == 'DELETE')

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
        if seen and (self.write == 'DELETE' or _same_object(self.ptype, obj, self.payload)):
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
            if not seen or (before is not None and not _same_object(ptype, obj, before)):
                info['msg'] = ('the rollback was sent, but Genesys Cloud did not show the previous state within %ss'
                               % self.params.get('consistency_timeout'))
                break
            self.settle(started)
            fresh = self.read_target(self.provider_id)
            if (before is None and fresh is None) or (before is not None and _same_object(ptype, fresh, before)):
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

    # ---------------------------------------------------------------- recovery of an unfinished change
    def recover_journals(self):
        run, params, ctx = self.run, self.params, self.ctx
        directory = self.backup_directory()
        journals = Journal.unfinished(directory, getattr(run.client, 'api_url', None))
        if not journals:
            return
        org = None
        for journal in journals:
            doc = journal.doc
            if doc.get('client_id') and doc.get('client_id') != getattr(run.client, 'client_id', None):
                if org is None:
                    org = run.organization(required=True, full=True)
                if not _org_matches(doc.get('organization'), org):
                    continue
            elif not doc.get('client_id'):
                if org is None:
                    org = run.organization(required=True, full=True)
                if not _org_matches(doc.get('organization'), org):
                    continue
            if ctx.check_mode:
                ctx.warn('An unfinished change of this org (%s, state %s) is recorded in %s; the real run finishes or '
                         'undoes it before anything else.' % (doc.get('label'), journal.state, journal.path))
                self.result['recovered'].append(dict(journal=journal.path, state=journal.state, action='pending'))
                continue
            self.take_lock(doc.get('organization') or {})
            journal = Journal.load(journal.path)   # re-read under the lock: another run may have finished it
            if journal.final:
                continue
            self.result['recovered'].append(_Recovery(self, journal).execute())

    # (end of _Change)


def _same_object(ptype, a, b):
    """True when two API objects hold the same values (every field of the type, certificates as fingerprints)."""
    if a is None or b is None:
        return a is None and b is None
    return not restore_changed_fields(ptype, a, b)


def _org_has_sign_in(entities, ptype, provider_id, after_obj, known=None, purecloud_state=False, own_id=None):
    """Whether the org still has an enabled way to sign in, per a fresh listing (purecloud absent = enabled).

    The target itself counts as this run left it (``after_obj``), whatever a lagging listing still shows; the
    purecloud login as read (``purecloud_state``; ``False``: not read, the listing's entry decides).
    """
    purecloud = None
    for entity in entities or []:
        family, etype = classify_entity(entity, known)
        if family == FAMILY_PER_TYPE and etype == ptype and ptype != CUSTOM_TYPE:
            continue
        if family == FAMILY_CUSTOM and ptype == CUSTOM_TYPE and provider_id and entity.get('id') == provider_id:
            continue
        if own_id is not None and entity.get('id') == own_id:
            continue
        if etype == 'purecloud':
            purecloud = entity
            continue
        if is_enabled(entity):
            return True
    if purecloud_state is not False and ptype != 'purecloud':
        purecloud = purecloud_state
    if ptype == 'purecloud':
        return after_obj is None or is_enabled(after_obj)
    if is_enabled(after_obj):
        return True
    return purecloud is None or is_enabled(purecloud)


class _Recovery:
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
        return obj is not None and _same_object(self.ptype, obj, self.payload)

    def matches_before(self, obj):
        return _same_object(self.ptype, obj, self.before)

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


def _check_limit(run, ptype, payload):
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
