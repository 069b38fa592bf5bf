# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): THE table of identity-provider types and options.

This file owns, once for the whole collection:

* the provider types of both API families (``PER_TYPE_TYPES``, ``CUSTOM_TYPE``, ``ALL_TYPES``, ``TYPE_MODELS``)
  and the states (``STATES``);
* :data:`PROVIDER_OPTION_TABLE`: one row per provider option of ``genesys_identity_provider`` - the module
  option, the API field, the Ansible type (``type``/``elements``/``choices``), the types that keep the field
  and a one-line summary. The module's argument spec (``provider_option_spec``), every ``choices:`` list, the
  domain's option <-> field mapping and each type's field set (``TYPE_FIELDS`` in the domain) derive from it;
* the SAML binding table (:data:`SAML_BINDINGS`, :func:`binding_urn`), used by the domain and by the metadata
  import alike.

Adding an option: one row here, plus its text in the module DOCUMENTATION (a unit test holds the two together,
``tests/unit/plugins/module_utils/test_genesys_provider_options.py``). Adding a type: the type name in
``PER_TYPE_TYPES`` (and ``TYPE_MODELS``) and, when it keeps a field other types do not, that type in the row's
``types``. No imports: the role's tests read this file without the collection's runtime dependencies.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections

PER_TYPE_TYPES = ('adfs', 'cic', 'generic', 'gsuite', 'identitynow', 'okta', 'onelogin', 'ping', 'purecloud',
                  'pureengage', 'salesforce')
CUSTOM_TYPE = 'custom'
ALL_TYPES = PER_TYPE_TYPES + (CUSTOM_TYPE,)
STATES = ('present', 'absent')

# Model names of the per-type singletons (PY SDK return types), for messages.
TYPE_MODELS = {
    'adfs': 'ADFS', 'cic': 'CustomerInteractionCenter', 'generic': 'GenericSAML', 'gsuite': 'GSuite',
    'identitynow': 'IdentityNow', 'okta': 'Okta', 'onelogin': 'OneLogin', 'ping': 'PingIdentity',
    'purecloud': 'PureCloud', 'pureengage': 'PureEngage', 'salesforce': 'Salesforce', 'custom': 'CustomProvider',
}

# every type, the SAML types (all but the Genesys Cloud login itself)
_ALL = ALL_TYPES
_SAML = tuple(t for t in ALL_TYPES if t != 'purecloud')

ProviderOption = collections.namedtuple('ProviderOption', 'option field type elements choices types summary')
ProviderOption.__doc__ = """One provider option: module option name, API field, Ansible type, list elements (or None),
choices (or None), the provider types that keep the field, and a one-line summary."""

PROVIDER_OPTION_TABLE = (
    ProviderOption('name', 'name', 'str', None, None, _ALL, 'Name of the provider (identifies a custom one).'),
    ProviderOption('enabled', 'disabled', 'bool', None, None, _ALL,
                   'Whether the provider can be used to sign in (the API field inverted).'),
    ProviderOption('issuer_uri', 'issuerURI', 'str', None, None, _SAML, 'The IdP entity ID / issuer.'),
    ProviderOption('sso_target_uri', 'ssoTargetURI', 'str', None, None, _SAML, 'The IdP SAML sign-in URL (https).'),
    ProviderOption('slo_uri', 'sloURI', 'str', None, None, _SAML, 'The IdP single logout URL (https).'),
    ProviderOption('slo_binding', 'sloBinding', 'str', None, None, _SAML,
                   'Binding of the single logout URL (verbatim).'),
    ProviderOption('relying_party_identifier', 'relyingPartyIdentifier', 'str', None, None, _SAML,
                   'The SP entity ID / audience Genesys Cloud presents.'),
    ProviderOption('certificates', 'certificates', 'list', 'str', None, _SAML,
                   'The IdP signing certificates (compared as SHA-256 fingerprints).'),
    ProviderOption('name_identifier_format', 'nameIdentifierFormat', 'str', None, None, _SAML,
                   'SAML NameID format (short form or URN).'),
    ProviderOption('sso_binding', 'ssoBinding', 'str', None, None, _SAML,
                   'Binding of the sign-in request (HTTP-POST or HTTP-Redirect).'),
    ProviderOption('sign_authn_requests', 'signAuthnRequests', 'bool', None, None, _SAML,
                   'Sign the SAML AuthnRequest.'),
    ProviderOption('endpoint_compression', 'endpointCompression', 'bool', None, None, ('generic', CUSTOM_TYPE),
                   'Compress the SAML request.'),
    ProviderOption('logo_image_data', 'logoImageData', 'str', None, None, _SAML,
                   'Base64 of an SVG logo for the login page (at most 25 kb).'),
    ProviderOption('provider_name', 'providerName', 'str', None, None, _SAML,
                   'Display name of the provider on the login page.'),
    ProviderOption('display_on_login', 'displayOnLogin', 'bool', None, None, _SAML,
                   'Show the provider on the Genesys Cloud login page.'),
    ProviderOption('metadata_url', 'metadataURL', 'str', None, None, _SAML,
                   'The IdP metadata URL stored on the provider (https).'),
    ProviderOption('force_authn', 'forceAuthn', 'bool', None, None, _SAML,
                   'Ask the IdP to re-authenticate the user (ForceAuthn).'),
    ProviderOption('auto_provision_users', 'autoProvisionUsers', 'bool', None, None, ('pureengage',),
                   'Create users on first sign-in.'),
)

# The API also holds the first certificate in ``certificate`` (the option ``certificates`` covers both fields).
CERTIFICATE_FIELDS = ('certificate', 'certificates')


def provider_option_spec():
    """The argument-spec entries (option -> dict(type, elements, choices)) of the provider options."""
    spec = {}
    for row in PROVIDER_OPTION_TABLE:
        entry = dict(type=row.type)
        if row.elements:
            entry['elements'] = row.elements
        if row.choices:
            entry['choices'] = list(row.choices)
        spec[row.option] = entry
    return spec


def type_fields(ptype):
    """The writable API fields of ``ptype``, in table order (``certificate`` next to ``certificates``)."""
    fields = []
    for row in PROVIDER_OPTION_TABLE:
        if ptype in row.types:
            fields.extend(CERTIFICATE_FIELDS if row.field == 'certificates' else (row.field,))
    return tuple(fields)


def option_rows():
    """The table as plain dicts (for tests and tools outside module_utils): one dict per option."""
    return [dict(row._asdict(), types=list(row.types), choices=list(row.choices) if row.choices else None)
            for row in PROVIDER_OPTION_TABLE]


# ---------------------------------------------------------------- SAML bindings (the only table of them)

BINDING_URN_PREFIX = 'urn:oasis:names:tc:SAML:2.0:bindings:'
BINDING_POST = BINDING_URN_PREFIX + 'HTTP-POST'
BINDING_REDIRECT = BINDING_URN_PREFIX + 'HTTP-Redirect'
SAML_BINDINGS = collections.OrderedDict([('post', BINDING_POST), ('redirect', BINDING_REDIRECT)])


def binding_urn(value):
    """The URN of a SAML binding spelt as the URN, ``HTTP-POST``, ``HTTP POST``, ``post`` (any case, also the
    Redirect forms); None for anything else (the caller words the refusal)."""
    if value is None:
        return None
    key = ' '.join(str(value).strip().split()).lower()
    for prefix in (BINDING_URN_PREFIX.lower(), 'http-', 'http '):
        if key.startswith(prefix):
            key = key[len(prefix):]
    if key.startswith('http-'):
        key = key[len('http-'):]
    return SAML_BINDINGS.get(key)
