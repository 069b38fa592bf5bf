# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the input side of genesys_identity_provider.

Owns turning the task's parameters into a :class:`ProviderRequest` before any request to Genesys Cloud: the input
checks (directory options, the provider id, the preserved clients' probe paths), the backup of ``restore_from``,
the provider options, the IdP metadata import (explicit options win), the certificates (parsed and checked for
validity) and the desired fields (``build_desired``). Nothing here talks to the API (the metadata download is the
only network access, and only with ``idp_metadata_url``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    GenesysModuleFail,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_certs import (
    CertificateError,
    check_validity,
    load_certificates,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_oauth_check_core import (
    _validate_probe_paths as validate_probe_paths,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_backup import (
    load_backup,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import (
    CUSTOM_TYPE,
    PROVIDER_OPTIONS,
    SAML_TYPES,
    IdpError,
    build_desired,
    normalize_name_id_format,
    normalize_sso_binding,
    supports,
    validate_option_strings,
    validate_provider_id,
)

ProviderRequest = collections.namedtuple('ProviderRequest', 'ptype state desired restore metadata')
ProviderRequest.__doc__ = """What the task asks for: the type, the state, the desired fields (build_desired: only the options
set; {} for absent and restore), the backup document of restore_from (or None) and the metadata summary (or None)."""


def provider_options(params):
    return dict((o, params.get(o)) for o in PROVIDER_OPTIONS if params.get(o) is not None)


def label(ptype, params, current=None):
    """How messages name the provider: its type, or ``custom 'name'``."""
    if ptype == CUSTOM_TYPE:
        name = (current or {}).get('name') or params.get('name') or params.get('id')
        return 'custom %r' % name
    return ptype


def given_org_short_name(params):
    """The org short name the task gives: org_short_name, else the saml2_bearer grant's org_name (the same fact:
    thirdPartyOrgName); None when neither is set (then it is read, when needed, with GET /organizations/me)."""
    return params.get('org_short_name') or params.get('org_name') or None


def check_inputs(params):
    """The checks of the task's own values that need no request (raise GenesysModuleFail)."""
    short, org_name = params.get('org_short_name'), params.get('org_name')
    if short and org_name and short != org_name:
        raise GenesysModuleFail('org_short_name %r and org_name %r differ, but both are the org short name '
                                '(thirdPartyOrgName) of the one org this task manages. Give them the same value, or '
                                'set only one.' % (short, org_name))
    for option in ('backup_dir', 'lock_dir', 'restore_from'):
        value = params.get(option)
        if isinstance(value, str) and '\x00' in value:
            raise GenesysModuleFail('%s contains a NUL byte; give a plain directory path.' % option)
    if params.get('id') is not None:
        validate_provider_id(params['id'], 'option id')
    if params.get('preserved_clients'):
        validate_probe_paths(dict(probe_paths=params.get('probe_paths'), clients=params['preserved_clients']))


def provider_request(params, ctx):
    """The :class:`ProviderRequest` of the task (the inputs checked, the backup read, metadata and certificates
    loaded); raises GenesysModuleFail for any input problem, before any request to Genesys Cloud."""
    check_inputs(params)
    if params.get('restore_from'):
        restore = load_backup(params['restore_from'])
        if params.get('type') and params['type'] != restore['type']:
            raise GenesysModuleFail('type=%s but the backup %s holds a %s provider.'
                                    % (params['type'], params['restore_from'], restore['type']))
        state = 'present' if restore.get('provider') is not None else 'absent'
        return ProviderRequest(restore['type'], state, {}, restore, None)
    ptype = params['type']
    state = params.get('state') or 'present'
    if state != 'present':
        return ProviderRequest(ptype, state, {}, None, None)
    options = provider_options(params)
    try:
        build_desired(ptype, options)  # option/type check before the metadata fetch
    except IdpError as exc:
        raise GenesysModuleFail(str(exc))
    metadata = apply_metadata(ptype, options, params, ctx)
    certs = load_certs(options, params, ctx)
    try:
        desired = build_desired(ptype, options, certs)
    except IdpError as exc:
        raise GenesysModuleFail(str(exc))
    return ProviderRequest(ptype, state, desired, None, metadata)


def _metadata_api():
    from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_metadata
    return _genesys_metadata


def _read_metadata(ptype, options, params, ctx):
    """(metadata dict, url) of idp_metadata / idp_metadata_url, or (None, None) without either."""
    xml = params.get('idp_metadata')
    url = params.get('idp_metadata_url')
    if not xml and not url:
        if params.get('idp_entity_id'):
            raise GenesysModuleFail('idp_entity_id selects an IdP inside idp_metadata / idp_metadata_url; give one '
                                    'of those too.')
        return None, None
    if ptype not in SAML_TYPES:
        raise GenesysModuleFail('idp_metadata/idp_metadata_url need a SAML provider type; %s has none of the SAML '
                                'fields.' % ptype)
    md = _metadata_api()
    if url:
        for secret in md.url_secrets(url):   # a userinfo password is masked wherever it would appear
            ctx.add_secret(secret)
        if params.get('validate_certs', True) is False:
            ctx.warn(md.tls_off_warning(url))
    try:
        if url:
            xml = md.fetch_idp_metadata(url, ca_path=params.get('ca_path'),
                                        validate_certs=params.get('validate_certs', True) is not False,
                                        timeout=params.get('timeout') or 30)
        binding = options.get('sso_binding')
        binding = normalize_sso_binding(binding) if binding else None
        meta = md.parse_idp_metadata(xml, entity_id=params.get('idp_entity_id'), sso_binding=binding,
                                     require_signing_certificate=options.get('certificates') is None)
    except (md.MetadataError, IdpError) as exc:
        raise GenesysModuleFail('Cannot use the IdP metadata%s: %s' % (
            (' from idp_metadata_url %s' % md.show_url(url)) if url else '', exc))
    for warning in meta.get('warnings') or []:
        ctx.warn('IdP metadata: %s' % warning)
    return meta, url


def _metadata_name_id(meta, options, ctx):
    """The first NameID format of the metadata that Genesys Cloud accepts (others, e.g. urn:mace:..., are skipped),
    emailAddress first when offered (name_identifier_formats_preferred); None when none is."""
    offered = meta.get('name_identifier_formats_preferred') or meta.get('name_identifier_formats') or (
        [meta['name_identifier_format']] if meta.get('name_identifier_format') else [])
    for candidate in offered:
        try:
            return normalize_name_id_format(candidate)
        except IdpError:
            continue
    if offered and options.get('name_identifier_format') is None:
        ctx.warn('IdP metadata: none of its NameID formats (%s) is one Genesys Cloud accepts; name_identifier_format '
                 'was not taken from it.' % ', '.join(offered))
    return None


def apply_metadata(ptype, options, params, ctx):
    """Fill options from IdP metadata (explicit options win). Returns the metadata summary or None."""
    meta, url = _read_metadata(ptype, options, params, ctx)
    if meta is None:
        return None
    md = _metadata_api()
    mapping = (
        ('issuer_uri', meta.get('issuer_uri') or meta.get('entity_id')),
        ('sso_target_uri', meta.get('sso_target_uri')),
        ('sso_binding', meta.get('sso_binding')),
        ('slo_uri', meta.get('slo_uri')),
        ('slo_binding', meta.get('slo_binding')),
        ('certificates', meta.get('certificates') or None),
        ('name_identifier_format', _metadata_name_id(meta, options, ctx)),
    )
    filled = []
    for option, value in mapping:
        if value in (None, '', []) or options.get(option) is not None or not supports(ptype, option):
            continue
        options[option] = value
        filled.append(option)
    try:   # what the metadata gives is checked like the options (https URLs, no control characters)
        validate_option_strings(dict((option, options[option]) for option in filled))
    except IdpError as exc:
        raise GenesysModuleFail('Cannot use the IdP metadata%s: a value it gives is refused: %s. Set that option '
                                'explicitly to override the metadata.' % (
                                    (' from idp_metadata_url %s' % md.show_url(url)) if url else '',
                                    str(exc).rstrip('.')))
    return dict(entity_id=meta.get('entity_id'), filled_options=filled, source=md.mask_url(url) or 'idp_metadata')


def load_certs(options, params, ctx):
    """The parsed certificates of the ``certificates`` option (validity checked; warnings for soon-expiring ones)."""
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
