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
  ``org_short_name`` is not set: for a backup file name, or for the
  ``service_provider`` values of a run that changes the provider;
* + the write and the bounded re-reads after it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re
import time

from ansible_collections.genesyscloud.sso.plugins.module_utils.genesys_common import (
    GenesysModuleFail,
    build_spec,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils.genesys_client import (
    GenesysClient,
    GenesysError,
    to_module_fail,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils.genesys_certs import (
    CertificateError,
    check_validity,
    load_certificates,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils.genesys_idp import (
    ALL_TYPES,
    API_BASE,
    CUSTOM_TYPE,
    FAMILY_CUSTOM,
    FAMILY_PER_TYPE,
    MAX_CUSTOM_PROVIDERS,
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
    lockout_check,
    normalize_name_id_format,
    normalize_sso_binding,
    provider_path,
    providers_overview,
    restore_changed_fields,
    sanitize,
    sanitize_desired_after,
    service_provider,
    supports,
    writable_copy,
    FIELD_TO_OPTION,
)

DEFAULT_BACKUP_DIR = '~/.ansible/genesyscloud_sso_backups'
BACKUP_FORMAT = 'genesyscloud.sso/identity_provider_backup'
BACKUP_VERSION = 1

METADATA_OPTIONS = ('idp_metadata', 'idp_metadata_url', 'idp_entity_id')

SPEC = build_spec(
    dict(
        type=dict(type='str', choices=list(ALL_TYPES)),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        id=dict(type='str'),
        name=dict(type='str'),
        enabled=dict(type='bool'),
        issuer_uri=dict(type='str'),
        sso_target_uri=dict(type='str'),
        slo_uri=dict(type='str'),
        slo_binding=dict(type='str'),
        relying_party_identifier=dict(type='str'),
        certificates=dict(type='list', elements='str'),
        name_identifier_format=dict(type='str'),
        sso_binding=dict(type='str'),
        sign_authn_requests=dict(type='bool'),
        endpoint_compression=dict(type='bool'),
        logo_image_data=dict(type='str'),
        provider_name=dict(type='str'),
        display_on_login=dict(type='bool'),
        metadata_url=dict(type='str'),
        force_authn=dict(type='bool'),
        auto_provision_users=dict(type='bool'),
        allow_expired_certificates=dict(type='bool', default=False),
        certificate_expiry_warn_days=dict(type='int', default=30),
        idp_metadata=dict(type='str'),
        idp_metadata_url=dict(type='str'),
        idp_entity_id=dict(type='str'),
        backup=dict(type='bool', default=False),
        backup_dir=dict(type='path', default=DEFAULT_BACKUP_DIR),
        restore_from=dict(type='path'),
        force=dict(type='bool', default=False),
        consistency_timeout=dict(type='float', default=10.0),
        org_short_name=dict(type='str'),
        list_providers=dict(type='bool', default=False),
    ),
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

    def call(self, action, method, path, body=None, expect_404=False):
        try:
            return self.client.request(method, path, body=body, expect_404=expect_404)
        except GenesysError as err:
            raise GenesysModuleFail(describe_api_error(err, action), **err.result_fields())

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
        return data if isinstance(data, dict) else {}

    def organization(self, required=False):
        """dict(short_name, id, name) of the org (GET /api/v2/organizations/me, once), or None on failure."""
        if self._org is None:
            short = self.params.get('org_short_name')
            if short:
                self._org = dict(short_name=short, id=None, name=None)
            else:
                try:
                    status, data = self.client.request('GET', '/api/v2/organizations/me')
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
    from ansible_collections.genesyscloud.sso.plugins.module_utils.genesys_metadata import (
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
    # The first NameID format of the metadata that Genesys Cloud accepts (others, e.g. urn:mace:..., are skipped).
    name_id = None
    offered = meta.get('name_identifier_formats') or ([meta['name_identifier_format']]
                                                      if meta.get('name_identifier_format') else [])
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
    directory = os.path.expanduser(run.params.get('backup_dir') or DEFAULT_BACKUP_DIR)
    try:
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
        os.chmod(directory, 0o700)
    except OSError as exc:
        raise GenesysModuleFail('Cannot create the backup directory %s: %s. Nothing was changed.' % (directory, exc))
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
    return document


# ------------------------------------------------------------------ locate

def _find_custom(run, params, current_id=None, name=None):
    """(current object or None, id) of a custom provider by id, else by unique name."""
    provider_id = current_id or params.get('id')
    if provider_id:
        current = run.read(CUSTOM_TYPE, provider_id, 'custom %r' % provider_id)
        return current, provider_id
    name = name if name is not None else params.get('name')
    customs = [e for e in run.entities() if classify_entity(e)[0] == FAMILY_CUSTOM]
    matches = [e for e in customs if e.get('name') == name]
    if not matches:
        matches = [e for e in customs if (e.get('name') or '').lower() == (name or '').lower()]
    if len(matches) > 1:
        raise GenesysModuleFail('%d custom identity providers are named %r (ids %s); give id to choose one.'
                                % (len(matches), name, ', '.join(str(m.get('id')) for m in matches)))
    if not matches:
        return None, None
    provider_id = matches[0].get('id')
    current = run.read_listed(CUSTOM_TYPE, provider_id, 'custom %r' % name)
    return current, provider_id


# ------------------------------------------------------------------ core

def core(params, ctx, client=None):
    """Run the module: see the module documentation."""
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
    try:
        return _core(run, ptype, state, desired, restore, metadata)
    finally:
        if hasattr(client, 'close'):
            client.close()


def _core(run, ptype, state, desired, restore, metadata):
    params, ctx = run.params, run.ctx
    family = family_of(ptype)

    # ---- read
    provider_id = None
    overview = providers_overview(run.entities()) if params.get('list_providers') else None
    if ptype == CUSTOM_TYPE:
        if restore is not None:
            saved = restore.get('provider') or {}
            current, provider_id = None, None
            if saved.get('id'):
                current = run.read(CUSTOM_TYPE, saved['id'], 'custom %r' % saved.get('name'))
                provider_id = saved['id'] if current is not None else None
            if current is None and saved.get('name'):
                current, provider_id = _find_custom(run, dict(), current_id=None, name=saved.get('name'))
        else:
            current, provider_id = _find_custom(run, params)
            if current is None and params.get('id') and state == 'present':
                raise GenesysModuleFail('No custom identity provider has the id %s. Remove id to find or create the '
                                        'provider by its name.' % params['id'])
    else:
        current = run.read(ptype)
        if current is None and any(classify_entity(e) == (FAMILY_PER_TYPE, ptype) for e in run.entities()):
            current = run.read_listed(ptype, None, ptype)   # listed, so the 404 was eventual consistency
    label = _label(ptype, params if restore is None else (restore.get('provider') or {}), current)

    # ---- plan
    before = sanitize(ptype, current)
    payload = None
    write = None
    if state == 'absent':
        changed = current is not None
        after_obj = None
        after = {}
        if changed:
            write = 'DELETE'
        fields = []
    else:
        if restore is not None:
            saved = restore['provider']
            fields = restore_changed_fields(ptype, current, saved)
            payload = writable_copy(saved)
            if ptype == CUSTOM_TYPE and current is None:
                payload.pop('id', None)
        else:
            fields = changed_fields(current, desired)
            payload = build_payload(ptype, current, desired, fields)
        changed = current is None or bool(fields)
        if changed:
            write = 'POST' if (ptype == CUSTOM_TYPE and current is None) else 'PUT'
            if current is None:
                _check_create(run, ptype, payload)
        after_obj = payload if changed else current
        after = sanitize_desired_after(ptype, current, payload) if changed else before

    # ---- lockout guard
    before_enabled = is_enabled(current) or (ptype == 'purecloud' and current is None)
    after_enabled = is_enabled(after_obj) or (ptype == 'purecloud' and after_obj is None)
    if changed and not params.get('force') and before_enabled and not after_enabled:
        refusal = lockout_check(run.entities(), ptype, provider_id, current, after_obj)
        if refusal:
            raise GenesysModuleFail(refusal, provider=before)

    result = dict(
        changed=changed,
        diff=dict(before=before, after=after),
        changed_options=sorted(set(FIELD_TO_OPTION.get(f, f) for f in fields)),
        backup_file=None,
        provider=before if not changed else (after if run.ctx.check_mode else None),
        certificates=certificate_summaries(current) if not changed or state == 'absent' else
        certificate_summaries(payload),
        service_provider=None,
    )
    if metadata is not None:
        result['metadata'] = metadata
    if ptype == CUSTOM_TYPE:
        result['id'] = provider_id

    # ---- write
    end_state = current
    if changed and not ctx.check_mode:
        if params.get('backup'):
            result['backup_file'] = _write_backup(run, ptype, current)
        try:
            end_state = _write(run, ptype, write, payload, current, provider_id, label, desired, restore, result)
        except GenesysModuleFail as exc:
            # the backup was written: the failed task still says where it is (to restore from it)
            if result.get('backup_file'):
                exc.extra.setdefault('backup_file', result['backup_file'])
            raise
        result['provider'] = sanitize(ptype, end_state) if end_state is not None else {}
        result['certificates'] = certificate_summaries(end_state)
    elif changed and ctx.check_mode:
        result['provider'] = after
    if state == 'present' and ptype != 'purecloud':
        org_short = params.get('org_short_name')
        if not org_short and (changed or run._org is not None):
            org_short = run.organization().get('short_name')
        rpi = (end_state or after_obj or {}).get('relyingPartyIdentifier') or desired.get('relyingPartyIdentifier')
        result['service_provider'] = service_provider(domain=getattr(run.client, 'domain', None),
                                                      login_url=getattr(run.client, 'login_url', None),
                                                      relying_party_identifier=rpi, org_short_name=org_short)
    if overview is not None:
        result['providers'] = overview
    if run._org is not None or params.get('org_short_name'):
        result['organization'] = dict(run.organization())  # no request: read above, or given
    result['api_requests'] = getattr(run.client, 'request_count', None)
    return result


def _write(run, ptype, write, payload, current, provider_id, label, desired, restore, result):
    """Send the write and read the provider back; returns the end state (sets result['id'] on a create)."""
    params, ctx = run.params, run.ctx
    if write == 'DELETE':
        action = 'delete the %s identity provider' % label
        run.call(action, 'DELETE', provider_path(ptype, provider_id), expect_404=True)
        end_state = None
    else:
        verb = 'create' if current is None else 'update'
        action = '%s the %s identity provider' % (verb, label)
        if write == 'POST':
            status, data = run.call(action, 'POST', API_BASE, body=payload)
            provider_id = (data or {}).get('id')
            if not provider_id:
                raise GenesysModuleFail('Genesys Cloud created the %s identity provider but returned no id; '
                                        'run the task again (it finds the provider by name).' % label)
            result['id'] = provider_id
        else:
            run.call(action, 'PUT', provider_path(ptype, provider_id), body=payload)
        end_state, attempts = run.reread(ptype, provider_id, label)
        result['read_back'] = end_state is not None
        if end_state is None:
            ctx.warn('The %s identity provider was written but could not be read back within %ss (the platform '
                     'is eventually consistent); the result shows the values sent. Raise consistency_timeout '
                     'to wait longer.' % (label, params.get('consistency_timeout')))
            end_state = dict(payload)
            if provider_id:
                end_state['id'] = provider_id
        elif restore is None:
            missing = changed_fields(end_state, desired)
            if missing:
                ctx.warn('Genesys Cloud did not keep the value(s) of %s for the %s identity provider; the next run '
                         'will try again.' % (', '.join(sorted(set(FIELD_TO_OPTION.get(f, f) for f in missing))),
                                              label))
    return end_state


def _check_create(run, ptype, payload):
    """Create preconditions the API would refuse (checked before any write, in check mode too)."""
    if ptype in SAML_TYPES and not payload.get('issuerURI'):
        raise GenesysModuleFail('Creating the %s identity provider needs issuer_uri (the IdP entity ID; Genesys Cloud '
                                'answers 400 missing.issuer.uri otherwise). Set issuer_uri or give idp_metadata / '
                                'idp_metadata_url.' % ptype)
    if ptype in ('generic', CUSTOM_TYPE) and not payload.get('name'):
        raise GenesysModuleFail('Creating a %s identity provider needs name (Genesys Cloud answers 400 '
                                'missing.provider.name otherwise).' % ptype)
    if ptype == CUSTOM_TYPE:
        # The platform counts every SAML integration of both families (not the Genesys Cloud login).
        saml = [e for e in run.entities() if classify_entity(e)[1] != 'purecloud']
        if len(saml) >= MAX_CUSTOM_PROVIDERS:
            raise GenesysModuleFail('Cannot create the custom identity provider %r: the org already has %d single '
                                    'sign-on integrations, the most Genesys Cloud allows (%d). Delete one you no '
                                    'longer use (state=absent) first.'
                                    % (payload.get('name'), len(saml), MAX_CUSTOM_PROVIDERS))
