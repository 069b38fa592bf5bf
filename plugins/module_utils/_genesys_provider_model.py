# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the identity-provider domain of Genesys Cloud (no I/O here).

It owns what a provider change means, never how it is sent:

* provider types of both API families: the eleven per-type singletons
  (``PUT/GET/DELETE /api/v2/identityproviders/{type}``) and ``custom``, the
  multi-provider API (``POST /api/v2/identityproviders``, then ``/{id}``) - the type
  names, each type's JSON field set and the option <-> field mapping derive from the
  table in ``_genesys_provider_options`` (genesys-api.md section 2.2);
* :func:`plan`: what one run will do (a :class:`Plan`: action, payload, changed
  options, diff, expected read-back, whether the lockout guard runs);
* normalisation and comparison of only the options the user set
  (certificates as an order-free set of SHA-256 fingerprints);
* payload building (current merged with desired: fields the user did not set
  are kept);
* sanitising for output and diff (no certificate or logo blobs);
* the service-provider values the IdP admin needs;
* the lockout guard;
* (API errors become "Failed to <action>: code, cause, fix, correlation id" in the facade, ``_genesys_api``.)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import copy
import hashlib
import re

from ansible.module_utils.six.moves.urllib.parse import quote

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_certs import (
    parse_api_certificate,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_transport import UrlProblem, check_https_url
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_options import (  # noqa: F401 (re-exported)
    ALL_TYPES,
    CERTIFICATE_FIELDS,
    CUSTOM_TYPE,
    PER_TYPE_TYPES,
    PROVIDER_OPTION_TABLE,
    SAML_BINDINGS as SSO_BINDINGS,
    TYPE_MODELS,
    binding_urn,
    type_fields,
)

API_BASE = '/api/v2/identityproviders'

FAMILY_PER_TYPE = 'per_type'
FAMILY_CUSTOM = 'custom'

READ_ONLY_FIELDS = ('id', 'selfUri')
BASE_FIELDS = type_fields('purecloud')
SAML_FIELDS = type_fields('okta')

# Writable JSON fields of each type (plus the read-only id/selfUri), from the option table.
TYPE_FIELDS = dict((ptype, type_fields(ptype)) for ptype in ALL_TYPES)
SAML_TYPES = tuple(t for t in ALL_TYPES if t != 'purecloud')

# option name -> JSON field (certificates covers certificate + certificates), from the option table.
OPTION_FIELDS = tuple((row.option, row.field) for row in PROVIDER_OPTION_TABLE)
OPTION_TO_FIELD = dict(OPTION_FIELDS)
FIELD_TO_OPTION = dict((f, o) for o, f in OPTION_FIELDS)
FIELD_TO_OPTION['certificate'] = 'certificates'
PROVIDER_OPTIONS = tuple(o for o, dummy in OPTION_FIELDS)

BOOL_FIELDS = frozenset(row.field for row in PROVIDER_OPTION_TABLE if row.type == 'bool')
CERT_FIELDS = CERTIFICATE_FIELDS

NAME_ID_FORMATS = (
    'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
    'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName',
    'urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName',
    'urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos',
    'urn:oasis:names:tc:SAML:2.0:nameid-format:entity',
    'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
)
_NAME_ID_BY_SHORT = dict((urn.rsplit(':', 1)[1].lower(), urn) for urn in NAME_ID_FORMATS)
_NAME_ID_BY_SHORT['email'] = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'

# The reference (HELP) allows the main certificate plus four more.
MAX_CERTIFICATES = 5
# HELP "Add multiple single sign-on providers": up to 30 integrations.
MAX_CUSTOM_PROVIDERS = 30
# provider.logo.too.large: 25 kb.
MAX_LOGO_BYTES = 25 * 1024

DEFAULT_SP_ENTITY_PREFIX = 'genesys.cloud.'
# The NameFormat of the attributes Genesys Cloud reads (COMM "SSO with non-email address identifier"; Okta's
# Genesys Cloud article: Name format Unspecified).
ATTRIBUTE_NAME_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified'


class IdpError(ValueError):
    """Invalid provider input, detected before any request."""


class ProviderIdError(IdpError, GenesysModuleFail):
    """A provider id that cannot be used in a request path (option, backup file, listing entry).

    It is also a :class:`GenesysModuleFail`, so a caller that forgets to catch it still fails the task cleanly
    (the message names the source) instead of crashing, and never sends the request.
    """

    def __init__(self, msg):
        GenesysModuleFail.__init__(self, msg)


# ---------------------------------------------------------------- provider ids
#
# Ids of the platform (genesys-api.md sections 2.1 and 6): a custom provider's ``{providerId}`` is a UUID
# (36 characters: hex digits and '-'); the id of a per-type entry of the listing is a UUID or the type name
# (lower-case letters).  The accepted alphabet is therefore ASCII letters, digits and '-', at most 64
# characters: every real id fits, and nothing that can change the meaning of a URL path does ('/', '.', '%',
# '?', '#', '\\', whitespace, control or non-ASCII characters).  provider_path() also percent-quotes every
# segment it builds (urllib.parse.quote with safe=''), so a path can never be built from anything else.
PROVIDER_ID_RE = re.compile(r'^[A-Za-z0-9-]{1,64}\Z')
MAX_PROVIDER_ID_LENGTH = 64


def _show(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + '...(%d characters)' % len(text)


def validate_provider_id(value, source='option id'):
    """Return ``value`` when it is a provider id of the platform's alphabet, else raise :class:`ProviderIdError`.

    ``source`` names where the id came from, for the message: ``'option id'``, ``'backup file /x.json
    (provider.id)'``, ``'entry 3 of the identity provider listing'``...
    """
    if isinstance(value, str) and PROVIDER_ID_RE.match(value):
        return value
    if not isinstance(value, str) or isinstance(value, bool):
        problem = 'is a %s, not a string' % type(value).__name__
    elif value == '':
        problem = 'is empty'
    elif len(value) > MAX_PROVIDER_ID_LENGTH:
        problem = 'is %d characters long (at most %d)' % (len(value), MAX_PROVIDER_ID_LENGTH)
    else:
        bad = next(ch for ch in value if not re.match(r'[A-Za-z0-9-]', ch))
        problem = 'contains %r (U+%04X)' % (bad, ord(bad))
    raise ProviderIdError(
        'Refusing the identity provider id %s from %s: it %s. Genesys Cloud provider ids are UUIDs (such as '
        '0c7a9a54-2f0e-4b4e-8d0e-3c1b2a6e9f10) or provider type names: ASCII letters, digits and "-", at most %d '
        'characters. The id becomes part of the request path %s/{id}, so nothing else is accepted and no request '
        'was sent with it. Fix: give the id exactly as genesys_identity_provider_info lists it.'
        % (_show(value), source, problem, MAX_PROVIDER_ID_LENGTH, API_BASE))


def _segment(text):
    return quote(text, safe='')


# ---------------------------------------------------------------- types/options

def family_of(ptype):
    return FAMILY_CUSTOM if ptype == CUSTOM_TYPE else FAMILY_PER_TYPE


def supports(ptype, option):
    field = OPTION_TO_FIELD[option]
    return field in TYPE_FIELDS[ptype]


def types_with_option(option):
    return [t for t in ALL_TYPES if supports(t, option)]


def validate_type_options(ptype, options):
    """Fail (IdpError) for every option set that ``ptype`` does not have."""
    if ptype not in ALL_TYPES:
        raise IdpError('unknown provider type %r; valid types: %s' % (ptype, ', '.join(ALL_TYPES)))
    bad = [o for o in PROVIDER_OPTIONS if options.get(o) is not None and not supports(ptype, o)]
    if bad:
        parts = []
        for option in bad:
            parts.append('%s (supported by: %s)' % (option, ', '.join(types_with_option(option))))
        raise IdpError('provider type %s (%s) does not have the option(s) %s. Remove them, or choose a type that '
                       'has them.' % (ptype, TYPE_MODELS[ptype], '; '.join(parts)))


def normalize_sso_binding(value, strict=True):
    """Map 'HTTP-POST', 'post', 'HTTP-Redirect', 'redirect' or the URN to the URN (the table: binding_urn)."""
    if value is None:
        return None
    urn = binding_urn(value)
    if urn is not None:
        return urn
    if strict:
        raise IdpError('sso_binding %r is not a SAML binding Genesys Cloud accepts; use HTTP-POST or HTTP-Redirect '
                       '(or the URNs %s)' % (value, ', '.join(sorted(SSO_BINDINGS.values()))))
    return str(value).strip()


def normalize_name_id_format(value, strict=True):
    """Map short forms ('emailAddress', 'persistent', ...) or a URN to the URN the API uses."""
    if value is None:
        return None
    text = str(value).strip()
    key = text.lower()
    if ':' in key:
        key = key.rsplit(':', 1)[1]
        # a URN with the wrong SAML version prefix is still only accepted exactly
        for urn in NAME_ID_FORMATS:
            if urn.lower() == text.lower():
                return urn
        if strict:
            raise IdpError('name_identifier_format %r is not one Genesys Cloud accepts; use one of %s (or the short '
                           'forms %s)' % (value, ', '.join(NAME_ID_FORMATS), ', '.join(sorted(_NAME_ID_BY_SHORT))))
        return text
    if key in _NAME_ID_BY_SHORT:
        return _NAME_ID_BY_SHORT[key]
    if strict:
        raise IdpError('name_identifier_format %r is not one Genesys Cloud accepts; use one of %s (or the URNs %s)'
                       % (value, ', '.join(sorted(_NAME_ID_BY_SHORT)), ', '.join(NAME_ID_FORMATS)))
    return text


def _is_https_url(value):
    """An https:// URL with a host, no user:password@, and nothing that check_https_url (the collection's one URL
    validator, _genesys_transport) would strip or refuse: the option is stored exactly as given."""
    try:
        return check_https_url(value, userinfo=False) == value
    except UrlProblem:
        return False


# C0 controls (NUL, line breaks, tab, ESC...), DEL and C1 controls: never part of a name, an entity id or a URL;
# written to the org they break the login page, the SAML exchange or whatever reads the provider later.
_CONTROL_RE = re.compile(u'[\x00-\x1f\x7f-\x9f\u2028\u2029]')

# URL options written to the org: https only (what the API requires of ssoTargetURI; the SLO and metadata
# URLs are followed by browsers and by Genesys Cloud, so http://, javascript:, data:... are refused too).
HTTPS_URL_OPTIONS = ('sso_target_uri', 'slo_uri', 'metadata_url')


_USERINFO_RE = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@')


def _mask_userinfo(url):
    """``url`` with the userinfo of its authority replaced by ``***`` (never echo a URL's password)."""
    match = _USERINFO_RE.match(url)
    if not match:
        return url
    scheme = url[:url.index('//') + 2]
    return scheme + '***@' + url[match.end():]


def validate_option_strings(options):
    """Refuse (IdpError, naming the option) string values that must never be written to the org.

    Every string option: no control character (NUL, CR/LF, tab, ESC, DEL, C1, U+2028/U+2029).  The URL
    options ``sso_target_uri``, ``slo_uri`` and ``metadata_url``: an ``https://`` URL with a host (an empty
    ``slo_uri``/``metadata_url`` clears the field and is accepted).  Called by :func:`build_desired`, so it
    runs before any request.
    """
    for option in PROVIDER_OPTIONS:
        value = options.get(option)
        if value is None or option in ('certificates', 'enabled') or OPTION_TO_FIELD[option] in BOOL_FIELDS:
            continue
        value = value if isinstance(value, str) else str(value)
        found = _CONTROL_RE.search(value)
        if found and option != 'logo_image_data':
            raise IdpError('%s contains the control character U+%04X at position %d; Genesys Cloud would store it '
                           'as is (it breaks the sign-in page and the SAML exchange). Remove it (check for a pasted '
                           'line break or a NUL byte).' % (option, ord(found.group()), found.start() + 1))
        if option == 'logo_image_data' and re.search(u'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]', value):
            raise IdpError('logo_image_data contains a control character; give the SVG as base64 text.')
        if option in HTTPS_URL_OPTIONS:
            if value == '' and option != 'sso_target_uri':
                continue
            if _USERINFO_RE.match(value):
                raise IdpError('%s %s carries a user name or password (user:password@): it would be stored in the '
                               'org and shown to every administrator. Give the URL without credentials.'
                               % (option, _show(_mask_userinfo(value))))
            if not _is_https_url(value):
                if option == 'sso_target_uri':
                    raise IdpError('sso_target_uri %s must be an https:// URL (Genesys Cloud answers 400 '
                                   'invalid.target.url otherwise)' % _show(_mask_userinfo(value)))
                raise IdpError('%s %s must be an https:// URL with a host (no spaces): Genesys Cloud sends browsers '
                               'and sign-ins to it, so http://, javascript:, data: and other schemes are refused. '
                               'Give the IdP\'s https URL%s.'
                               % (option, _show(_mask_userinfo(value)), ', or "" to clear it'))


def build_desired(ptype, options, certificates=None):
    """Desired JSON fields from the user's options (only those set).

    ``certificates``: parsed :class:`Certificate` objects (already loaded and
    validity-checked) when the user set ``certificates``; kept under the key
    ``certificates`` as Certificate objects (payload building encodes them).
    Raises IdpError for invalid values.
    """
    validate_type_options(ptype, options)
    validate_option_strings(options)
    desired = {}
    for option, field in OPTION_FIELDS:
        value = options.get(option)
        if value is None:
            continue
        if option == 'certificates':
            certs = _dedupe_certs(certificates if certificates is not None else [])
            if len(certs) > MAX_CERTIFICATES:
                raise IdpError('%d certificates given; Genesys Cloud holds at most %d (the main one plus four more). '
                               'Remove the oldest before adding new ones.' % (len(certs), MAX_CERTIFICATES))
            desired['certificates'] = certs
        elif option == 'enabled':
            desired['disabled'] = not bool(value)
        elif field in BOOL_FIELDS:
            desired[field] = bool(value)
        elif field == 'ssoBinding':
            desired[field] = normalize_sso_binding(value)
        elif field == 'nameIdentifierFormat':
            desired[field] = normalize_name_id_format(value)
        elif field == 'logoImageData':
            compact = ''.join(str(value).split())
            size = len(compact.encode('utf-8'))
            if size > MAX_LOGO_BYTES:
                raise IdpError('logo_image_data is %d bytes long; Genesys Cloud accepts at most 25 kb (%d bytes) '
                               '(provider.logo.too.large). Use a smaller SVG.' % (size, MAX_LOGO_BYTES))
            desired[field] = compact
        else:
            desired[field] = str(value)
    return desired


def _dedupe_certs(certs):
    seen = set()
    result = []
    for cert in certs:
        if cert.fingerprint not in seen:
            seen.add(cert.fingerprint)
            result.append(cert)
    return result


# ---------------------------------------------------------------- certificates

def api_certificate_strings(obj):
    """Certificate strings the API holds in ``certificates`` then ``certificate``."""
    obj = obj or {}
    values = []
    many = obj.get('certificates')
    if isinstance(many, (list, tuple)):
        values.extend(v for v in many if isinstance(v, str) and v.strip())
    elif isinstance(many, str) and many.strip():
        values.append(many)
    single = obj.get('certificate')
    if isinstance(single, str) and single.strip():
        values.append(single)
    return values


def _raw_marker(text):
    compact = re.sub(r'-----(BEGIN|END) [A-Z0-9 ]+-----', '', text)
    compact = ''.join(compact.replace('\\n', '').replace('\\r', '').split())
    return 'unparseable:sha256=' + hashlib.sha256(compact.encode('utf-8')).hexdigest()


def api_certificates(obj):
    """[(Certificate or None, raw string)] of an API object, deduplicated by fingerprint."""
    result = []
    seen = set()
    for text in api_certificate_strings(obj):
        cert = parse_api_certificate(text)
        key = cert.fingerprint if cert is not None else _raw_marker(text)
        if key in seen:
            continue
        seen.add(key)
        result.append((cert, text))
    return result


def api_fingerprints(obj):
    """Order-free set of the SHA-256 fingerprints of the certificates an API object holds."""
    result = set()
    for cert, text in api_certificates(obj):
        result.add(cert.fingerprint if cert is not None else _raw_marker(text))
    return frozenset(result)


def certificate_summaries(obj, now=None):
    """Full summaries (fingerprint, subject, issuer, validity, days_left, key_type) of an API object's certs."""
    result = []
    for cert, text in api_certificates(obj):
        if cert is None:
            result.append(dict(fingerprint=None, unparseable=True, sha256_of_text=_raw_marker(text).split('=', 1)[1]))
        else:
            result.append(cert.summary(now))
    return result


def _short_cert(cert, text):
    if cert is None:
        return dict(fingerprint=None, unparseable=True, sha256_of_text=_raw_marker(text).split('=', 1)[1])
    return dict(fingerprint=cert.fingerprint, subject=cert.subject, not_after=cert.summary()['not_after'])


# ---------------------------------------------------------------- comparison

def _logo_bytes(text):
    compact = ''.join((text or '').split())
    try:
        return base64.b64decode(compact + '=' * ((-len(compact)) % 4), validate=True)
    except (binascii.Error, ValueError):
        return compact.encode('utf-8')


def normalize_value(field, value):
    """The comparable form of one JSON field value."""
    if field in BOOL_FIELDS:
        return bool(value) if value is not None else False
    if field == 'ssoBinding':
        return normalize_sso_binding(value, strict=False) or ''
    if field == 'nameIdentifierFormat':
        return normalize_name_id_format(value, strict=False) or ''
    if field == 'logoImageData':
        return ''.join((value or '').split())
    if value is None:
        return ''
    if isinstance(value, (list, dict)):
        return value
    return str(value)


def changed_fields(current, desired):
    """JSON fields (sorted) of ``desired`` whose normalised value differs from ``current``.

    ``current`` is the API object (None when absent: every desired field
    counts as changed).  Certificates compare as sets of fingerprints across
    ``certificate`` and ``certificates``.
    """
    changed = []
    current = current or None
    for field in sorted(desired):
        want = desired[field]
        if field == 'certificates':
            want_set = frozenset(c.fingerprint for c in want)
            if current is None or api_fingerprints(current) != want_set:
                changed.append('certificates')
            continue
        if current is None:
            changed.append(field)
            continue
        if normalize_value(field, current.get(field)) != normalize_value(field, want):
            changed.append(field)
    return changed


def restore_changed_fields(ptype, current, saved):
    """Fields that differ between the live object and a saved (backup) object, over the type's whole field set."""
    fields = set(TYPE_FIELDS.get(ptype, ())) | set(k for k in (saved or {}) if k not in READ_ONLY_FIELDS)
    fields.update(k for k in (current or {}) if k not in READ_ONLY_FIELDS)
    changed = []
    if current is None:
        return sorted(k for k in fields if k not in CERT_FIELDS and (saved or {}).get(k) is not None) + (
            ['certificates'] if api_fingerprints(saved) else [])
    for field in sorted(fields):
        if field in CERT_FIELDS:
            continue
        if normalize_value(field, current.get(field)) != normalize_value(field, (saved or {}).get(field)):
            changed.append(field)
    if api_fingerprints(current) != api_fingerprints(saved):
        changed.append('certificates')
    return sorted(changed)


# ---------------------------------------------------------------- payloads

def writable_copy(obj):
    """Deep copy of an API object without its read-only fields."""
    body = copy.deepcopy(obj or {})
    for key in READ_ONLY_FIELDS:
        body.pop(key, None)
    return body


def build_payload(ptype, current, desired, changed=None):
    """The body to write: the current object merged with the desired fields.

    Fields the user did not set keep their current values (never wiped).
    Certificates are rewritten only when the set changed, the way the
    Terraform provider sends them: one certificate in both ``certificate``
    and ``certificates``; several in ``certificates`` only, with
    ``certificate`` cleared (null).
    """
    if changed is None:
        changed = changed_fields(current, desired)
    body = writable_copy(current)
    for field in changed:
        if field == 'certificates':
            b64s = [c.b64 for c in desired['certificates']]
            if len(b64s) == 1:
                body['certificate'] = b64s[0]
            else:
                body['certificate'] = None
            body['certificates'] = b64s
        else:
            body[field] = desired[field]
    # Never send a field the type does not have (from a stale or foreign current object) unless it came from it.
    allowed = set(TYPE_FIELDS[ptype])
    for key in list(body):
        if key not in allowed and (current is None or key not in current):
            body.pop(key)
    return body


# ---------------------------------------------------------------- sanitising

def _logo_summary(value):
    data = _logo_bytes(value)
    return dict(size=len(data), sha256=hashlib.sha256(data).hexdigest())


def sanitize(ptype, obj, family=None):
    """Output/diff form of an API object: snake_case, certificates as fingerprint/subject/not_after, logo as size/sha256.

    Returns {} for None.  Unknown fields are left out (they are still kept on write).
    """
    if obj is None:
        return {}
    out = dict(type=ptype, family=family or family_of(ptype))
    if obj.get('id') is not None:
        out['id'] = obj.get('id')
    for key in sorted(obj):
        value = obj[key]
        if key in READ_ONLY_FIELDS or key in CERT_FIELDS:
            continue
        if key == 'disabled':
            out['enabled'] = not bool(value)
            continue
        option = FIELD_TO_OPTION.get(key)
        if option is None:
            continue
        if key == 'logoImageData':
            if value:
                out[option] = _logo_summary(value)
            continue
        out[option] = value
    if 'enabled' not in out:
        out['enabled'] = True
    if any(k in obj for k in CERT_FIELDS):
        out['certificates'] = [_short_cert(c, t) for c, t in api_certificates(obj)]
    return out


MAX_LIST_PAGES = 20


def _listing_label(number, entity):
    name = entity.get('name')
    return 'entry %d of the identity provider listing (GET %s%s)' % (
        number, API_BASE, (', name %s' % _show(name, 60)) if isinstance(name, str) and name else '')


def check_listing_entity(number, entity):
    """Refuse (:class:`ProviderIdError`) a listing entry whose id could not be used in a request path.

    The listing is platform data, but its ids are put into request paths (a custom provider found by name is
    read, written and deleted by the id of its entry): an id outside the platform's alphabet means the answer
    is not what Genesys Cloud sends, so the run stops, naming the entry.  A custom provider's entry must carry
    an id (without one, its path would be the listing itself); a per-type entry's id, when present, is checked
    the same way.
    """
    ident = entity.get('id')
    if ident is None and classify_entity(entity)[0] == FAMILY_PER_TYPE:
        return entity
    if ident is None:
        raise ProviderIdError('Refusing the answer of Genesys Cloud: %s is a custom identity provider without an '
                              'id, so it cannot be read, changed or deleted safely. Nothing was changed; check the '
                              'org with genesys_identity_provider_info.' % _listing_label(number, entity))
    validate_provider_id(ident, _listing_label(number, entity))
    return entity


def _next_page_path(next_uri):
    path = re.sub(r'^https?://[^/]+', '', next_uri) if isinstance(next_uri, str) else ''
    if not (path == API_BASE or path.startswith(API_BASE + '?')) or re.search(r'[\s\x00-\x1f\x7f#\\]', path):
        raise ProviderIdError('Refusing the nextUri %s of the identity provider listing: the next page must be %s?... '
                              '(only its query may change). Nothing was changed.' % (_show(next_uri), API_BASE))
    return path


def list_entities(get_page):
    """Every entity of the identity provider listing (both families), following ``nextUri``.

    ``get_page(path)`` returns the decoded JSON of one page; at most MAX_LIST_PAGES pages are read.  Entries
    are checked with :func:`check_listing_entity` (raises :class:`ProviderIdError`), and a ``nextUri`` must
    stay on the listing path.
    """
    entities = []
    path = API_BASE
    for dummy in range(MAX_LIST_PAGES):
        data = get_page(path) or {}
        for entity in (data.get('entities') or []):
            if isinstance(entity, dict):
                entities.append(check_listing_entity(len(entities) + 1, entity))
        next_uri = data.get('nextUri')
        page, count = data.get('pageNumber'), data.get('pageCount')
        if not next_uri or not isinstance(page, int) or not isinstance(count, int) or page >= count:
            break
        path = _next_page_path(next_uri)
    return entities


def provider_view(ptype, obj, family=None, now=None):
    """Sanitised provider with full certificate summaries (an entry of a providers overview)."""
    view = sanitize(ptype, obj, family)
    view['certificates'] = certificate_summaries(obj, now)
    for key in ('enabled',):
        view.setdefault(key, True)
    view.setdefault('name', None)  # always (null without one): map(attribute='name') works on every provider
    days = [c.get('days_left') for c in view['certificates'] if c.get('days_left') is not None]
    view['certificate_days_left'] = min(days) if days else None
    return view


def overview_sort_key(view):
    """Order of a providers overview: per-type providers by type, then custom ones by name and id."""
    return (view['family'] == FAMILY_CUSTOM, view['type'], view.get('name') or '', view.get('id') or '')


def providers_overview(entities, known=None):
    """The overview (list of provider_view) of a listing of both families (``known``: see classify_entity)."""
    views = []
    for entity in entities:
        family, etype = classify_entity(entity, known)
        views.append(provider_view(etype, entity, family))
    return sorted(views, key=overview_sort_key)


def sanitize_desired_after(ptype, current, payload):
    """Predicted end state (for diff 'after'): the payload plus the current id."""
    after = copy.deepcopy(payload)
    if current and current.get('id') is not None:
        after['id'] = current['id']
    return sanitize(ptype, after)


# ---------------------------------------------------------------- listing

def classify_entity(entity, known=None):
    """(family, type) of an entity of GET /api/v2/identityproviders.

    The listing model (SAMLProvider) carries no type field: a per-type
    singleton is recognised by the last segment of its ``selfUri`` (or its
    ``id``) being a type name; anything else is a custom provider.  An
    explicit ``type``/``providerType`` field, when present, wins.  ``known``
    maps ids to per-type types learnt from ``GET /identityproviders/{type}``
    (see :func:`listing_is_ambiguous`): an id found there is that type, whatever
    the listing's shapes.
    """
    if known and entity.get('id') in known:
        return FAMILY_PER_TYPE, known[entity.get('id')]
    for key in ('type', 'providerType'):
        value = entity.get(key)
        if isinstance(value, str) and value.lower() in PER_TYPE_TYPES:
            return FAMILY_PER_TYPE, value.lower()
        if isinstance(value, str) and value.lower() == CUSTOM_TYPE:
            return FAMILY_CUSTOM, CUSTOM_TYPE
    self_uri = entity.get('selfUri') or ''
    last = self_uri.rstrip('/').rsplit('/', 1)[-1].lower() if self_uri else ''
    if last in PER_TYPE_TYPES:
        return FAMILY_PER_TYPE, last
    ident = str(entity.get('id') or '').lower()
    if ident in PER_TYPE_TYPES:
        return FAMILY_PER_TYPE, ident
    return FAMILY_CUSTOM, CUSTOM_TYPE


def listing_is_ambiguous(entities, known=None):
    """True when the listing does not show which entries are per-type providers.

    No public source shows a real listing entry (docs/genesys-api.md section 6): per-type entries may carry their
    type as id/selfUri, or a UUID with a selfUri by id, exactly like custom ones.  When no entry shows a type shape
    (and ``known`` does not name every entry), per-type entries cannot be told from custom ones by the listing
    alone: the caller then reads ``GET /identityproviders/{type}`` to learn their ids.
    """
    if not entities:
        return False
    if any(classify_entity(e)[0] == FAMILY_PER_TYPE and (not known or e.get('id') not in known) for e in entities):
        return False
    return not all(known and e.get('id') in known for e in entities)


def provider_path(ptype, provider_id=None, source='the provider id of the request path'):
    """The API path of a provider: ``/api/v2/identityproviders/{type}`` or ``.../{providerId}`` (custom).

    Every segment is validated (type name, :func:`validate_provider_id`) and percent-quoted, so no caller can
    build a path from a bad id (raises :class:`ProviderIdError`).  ``provider_id`` None for the custom type is
    the collection path (POST).
    """
    if ptype == CUSTOM_TYPE:
        if provider_id is None:
            return API_BASE
        return '%s/%s' % (API_BASE, _segment(validate_provider_id(provider_id, source)))
    if ptype not in PER_TYPE_TYPES:
        raise ProviderIdError('Refusing to build a request path for the provider type %s: valid types are %s.'
                              % (_show(ptype), ', '.join(ALL_TYPES)))
    return '%s/%s' % (API_BASE, _segment(ptype))


def is_enabled(obj):
    return obj is not None and not bool(obj.get('disabled'))


# ---------------------------------------------------------------- lockout guard

def lockout_check(entities, target_type, target_id, before, after, known=None, purecloud_state=False):
    """Return a refusal message when the change would leave no enabled way to sign in, else None.

    ``entities``: the listing (both families).  ``before``/``after``: the
    target's object before and after the change (``after`` None when it is
    deleted).  The Genesys Cloud login (``purecloud``) counts as enabled
    unless a purecloud entry says disabled; deleting the purecloud entry
    restores the platform default (login enabled).

    ``known`` (id -> per-type type) classifies entries whatever the listing's id shapes; ``purecloud_state`` is the
    purecloud object as read with ``GET /identityproviders/purecloud`` (None: not configured, the login enabled),
    which then decides instead of the listing's entry (left ``False`` when not read).  The target's own entry is
    skipped by its id too (``before['id']``), so a listing that shows it like a custom entry cannot count it as
    "another enabled provider".
    """
    own_id = (before or {}).get('id')
    if target_type == 'purecloud' and before is None:
        before = dict(name='PureCloud', disabled=False)   # no entry: the platform default, login enabled
    if not is_enabled(before) or is_enabled(after):
        return None
    if target_type == 'purecloud' and after is None:
        return None
    others_enabled = []
    purecloud_entry = None
    for entity in entities or []:
        family, ptype = classify_entity(entity, known)
        if family == FAMILY_PER_TYPE and ptype == target_type and target_type != CUSTOM_TYPE:
            continue
        if family == FAMILY_CUSTOM and target_type == CUSTOM_TYPE and target_id is not None \
                and entity.get('id') == target_id:
            continue
        if own_id is not None and entity.get('id') == own_id:
            continue
        if ptype == 'purecloud':
            purecloud_entry = entity
        elif is_enabled(entity):
            others_enabled.append(entity.get('name') or ptype)
    if purecloud_state is not False:
        purecloud_entry = purecloud_state
    if others_enabled:
        return None
    if target_type == 'purecloud':
        return ('Refusing to disable the Genesys Cloud login (purecloud): no SAML identity provider of this org is '
                'enabled, so nobody could sign in any more (users and administrators alike would be locked out; '
                'only client-credentials automation would keep working). Enable a SAML provider first and test a '
                'sign-in through it, or set force=true if you really mean it.')
    if purecloud_entry is None or is_enabled(purecloud_entry):
        return None
    action = 'delete' if after is None else 'disable'
    return ('Refusing to %s the %s identity provider %r: it is the last enabled identity provider of this org and '
            'the Genesys Cloud login (purecloud) is disabled, so nobody could sign in any more (users and '
            'administrators alike would be locked out; only client-credentials automation would keep working). '
            'Enable another provider or the Genesys Cloud login (type=purecloud, enabled=true) first, or set '
            'force=true if you really mean it.' % (action, target_type, before.get('name') or target_type))


def same_provider(ptype, a, b):
    """True when two API objects hold the same values (every field of the type, certificates as fingerprints)."""
    if a is None or b is None:
        return a is None and b is None
    return not restore_changed_fields(ptype, a, b)


def org_has_sign_in(entities, ptype, provider_id, after_obj, known=None, purecloud_state=False, own_id=None):
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


# ---------------------------------------------------------------- plan

ACTION_NONE = 'none'
ACTION_CREATE = 'create'
ACTION_UPDATE = 'update'
ACTION_DELETE = 'delete'
ACTION_RESTORE = 'restore'
ACTIONS = (ACTION_NONE, ACTION_CREATE, ACTION_UPDATE, ACTION_DELETE, ACTION_RESTORE)

_PLAN_FIELDS = ('ptype', 'state', 'action', 'method', 'current', 'payload', 'fields', 'compared', 'ignored',
                'expected', 'restore')


class Plan(object):
    """What one run does to one provider, decided from the current object alone (see :func:`plan`).

    Attributes (read-only): ``ptype``, ``state``, ``action`` (one of :data:`ACTIONS`), ``method`` (None, ``POST``,
    ``PUT`` or ``DELETE``), ``current`` (the API object as read, None when absent), ``payload`` (the body to send,
    None for none/delete), ``fields`` (the changed API fields), ``compared`` (the desired fields the comparison
    used: the desired ones minus ``ignored``), ``ignored`` (API fields left out of the comparison because the
    platform is known not to keep them on this type: the dropped fields of earlier runs), ``expected`` (the object
    the read-back must match: the payload, None after a delete, the current object without a change) and
    ``restore`` (the plan applies a backup). Derived: ``changed``, ``existed``, ``changed_options``, ``before`` and
    ``after`` (the sanitised diff), ``guard`` (the lockout guard must run: the change disables or deletes an
    enabled sign-in).
    """

    __slots__ = _PLAN_FIELDS

    def __init__(self, **values):
        for name in _PLAN_FIELDS:
            object.__setattr__(self, name, values.get(name))

    def __setattr__(self, name, value):
        raise AttributeError('a Plan is not changed once made (make a new one with plan())')

    def __repr__(self):
        return 'Plan(%s %s %s, fields=%s)' % (self.action, self.ptype, self.method, list(self.fields))

    @property
    def changed(self):
        return self.action != ACTION_NONE

    @property
    def existed(self):
        return self.current is not None

    @property
    def changed_options(self):
        return sorted(set(FIELD_TO_OPTION.get(f, f) for f in self.fields))

    @property
    def before(self):
        return sanitize(self.ptype, self.current)

    @property
    def after(self):
        if self.state == 'absent':
            return {}
        if not self.changed:
            return self.before
        return sanitize_desired_after(self.ptype, self.current, self.payload)

    @property
    def guard(self):
        return self.changed and reduces_sign_in(self.ptype, self.current, self.expected)

    def not_kept(self, read_back):
        """The options (sorted) of this plan that the read-back ``read_back`` does not hold as intended."""
        if self.restore:
            fields = restore_changed_fields(self.ptype, read_back, self.payload)
        else:
            fields = changed_fields(read_back, self.compared)
        return sorted(set(FIELD_TO_OPTION.get(f, f) for f in fields))

    def concurrent(self, read_back):
        """API fields (sorted) whose read-back value is neither what this plan wrote nor what was there before it.

        The one read-back of a change is made ``settle_delay`` after the write (it is also the concurrent-change
        check): a value that is neither the written one nor the previous one was written by another run or person
        in the meantime (or rewritten by the platform in a way no variant models). Not counted: a field the
        platform left as before (not kept, or still lagging), one it holds no value for (dropped), and one the
        write left empty (the platform fills an empty ``relyingPartyIdentifier``: a server-filled value is not
        drift, docs/genesys-api.md section 6; certificates always count: no platform adds one); certificates count
        as fingerprints. Only for a write over an
        existing provider: a created one has no previous value to tell another writer's value from a value the
        platform did not keep.
        """
        if self.current is None or read_back is None or self.payload is None:
            return []
        dropped = set(self.dropped(read_back))
        not_written = set(restore_changed_fields(self.ptype, read_back, self.payload))
        not_before = set(restore_changed_fields(self.ptype, read_back, self.current))
        return sorted(f for f in not_written & not_before if f not in dropped and (
            f == 'certificates' or self.payload.get(f) not in (None, '', [])))

    def dropped(self, read_back):
        """API fields (sorted) the read-back holds no value for although they were written: the platform does not
        keep them on this type (never certificates; never for a restore, whose backup came from the platform)."""
        if self.restore:
            return []
        return sorted(f for f in changed_fields(read_back, self.compared)
                      if f != 'certificates' and read_back.get(f) in (None, '', []))


def reduces_sign_in(ptype, before, after):
    """True when going from ``before`` to ``after`` (None: absent) takes an enabled sign-in away (purecloud absent
    counts as enabled: the platform default)."""
    before_enabled = is_enabled(before) or (ptype == 'purecloud' and before is None)
    after_enabled = is_enabled(after) or (ptype == 'purecloud' and after is None)
    return before_enabled and not after_enabled


def create_refusal(ptype, payload):
    """The message when the API would refuse to create ``payload`` (missing issuerURI or name), else None."""
    if ptype in SAML_TYPES and not payload.get('issuerURI'):
        return ('Creating the %s identity provider needs issuer_uri (the IdP entity ID; Genesys Cloud answers 400 '
                'missing.issuer.uri otherwise). Set issuer_uri or give idp_metadata / idp_metadata_url.' % ptype)
    if ptype in ('generic', CUSTOM_TYPE) and not payload.get('name'):
        return ('Creating a %s identity provider needs name (Genesys Cloud answers 400 missing.provider.name '
                'otherwise).' % ptype)
    return None


def _check_plan_input(ptype, current, target, state):
    if ptype not in ALL_TYPES:
        raise IdpError('unknown provider type %r; valid types: %s' % (ptype, ', '.join(ALL_TYPES)))
    if state not in ('present', 'absent'):
        raise IdpError('unknown state %r; valid states: present, absent' % (state,))
    for what, value in (('current', current), ('the desired or backup object', target)):
        if value is not None and not isinstance(value, dict):
            raise IdpError('%s must be an object (dict) or None, not %s' % (what, type(value).__name__))


def plan(ptype, current, target, state='present', restore=False, ignore=()):
    """The :class:`Plan` of one run: what to send to turn ``current`` into ``target``.

    ``current``: the API object as read (None: absent). ``target``: the desired fields of :func:`build_desired`
    (only those the user set), or with ``restore`` the backup's provider object (None: the backup says the
    provider did not exist, so the plan deletes it). ``state``: ``present`` or ``absent`` (a restore takes it
    from the backup). ``ignore``: API fields the platform is known not to keep on this type (an earlier run's
    ``dropped``): not compared while the current object holds no value for them. Raises :class:`IdpError` for
    an unknown type or state, a non-object input, and a create the API would refuse (:func:`create_refusal`).
    """
    _check_plan_input(ptype, current, target, state)
    if restore:
        state = 'present' if target is not None else 'absent'
    values = dict(ptype=ptype, state=state, current=current, restore=bool(restore), ignored=(), compared={},
                  payload=None, fields=(), method=None)
    if state == 'absent':
        values.update(expected=None, action=ACTION_NONE)
        if current is not None:
            values.update(method='DELETE', action=ACTION_RESTORE if restore else ACTION_DELETE)
        return Plan(**values)
    if restore:
        fields = restore_changed_fields(ptype, current, target)
        payload = writable_copy(target)
    else:
        target = target or {}
        ignored = tuple(sorted(k for k in target if k in set(ignore) and (current or {}).get(k) in (None, '', [])))
        compared = dict((k, v) for k, v in target.items() if k not in ignored)
        fields = changed_fields(current, compared)
        payload = build_payload(ptype, current, target, fields)
        values.update(ignored=ignored, compared=compared)
    if current is not None and not fields:
        values.update(expected=current, action=ACTION_NONE, fields=())
        return Plan(**values)
    if current is None:
        refusal = create_refusal(ptype, payload)
        if refusal:
            raise IdpError(refusal)
    method = 'POST' if (ptype == CUSTOM_TYPE and current is None) else 'PUT'
    action = ACTION_RESTORE if restore else (ACTION_CREATE if current is None else ACTION_UPDATE)
    values.update(payload=payload, fields=tuple(fields), method=method, action=action, expected=payload)
    return Plan(**values)


# ---------------------------------------------------------------- SP values

def login_base_url(domain=None, login_url=None):
    if domain:
        return 'https://login.%s' % domain
    return (login_url or '').rstrip('/')


def service_provider(domain=None, login_url=None, relying_party_identifier=None, org_short_name=None,
                     name_identifier_format=None, slo_binding=None):
    """Values the IdP admin enters for this org (genesys-api.md section 5), from the provider as Genesys Cloud holds it.

    ``entity_id``/``audience`` is the provider's relying party identifier and nothing else: None when the provider
    holds none (``suggested_entity_id`` then names ``genesys.cloud.<org>`` to set on the provider first; handing the
    IdP admin an audience Genesys Cloud does not hold would break every sign-in).
    """
    base = login_base_url(domain, login_url)
    entity_id = relying_party_identifier or None
    name_id = normalize_name_id_format(name_identifier_format, strict=False) if name_identifier_format else None
    return dict(
        acs_url=base + '/saml',
        acs_binding=SSO_BINDINGS['post'],
        slo_url=base + '/saml/logout',
        slo_binding=slo_binding or None,
        entity_id=entity_id,
        audience=entity_id,
        entity_id_source='relying_party_identifier' if entity_id else 'none',
        suggested_entity_id=None if entity_id or not org_short_name else DEFAULT_SP_ENTITY_PREFIX + org_short_name,
        name_id_format=name_id,
        name_id='the user\'s email address, matching the Genesys Cloud user (NameID format %s)'
                % (name_id or 'not set on the provider'),
        organization_short_name=org_short_name,
        attribute_name_format=ATTRIBUTE_NAME_FORMAT,
        attributes=[
            dict(name='email', value=None, required=True, name_format=ATTRIBUTE_NAME_FORMAT,
                 description='The user\'s email address, exactly as in Genesys Cloud.'),
            dict(name='OrganizationName', value=org_short_name, required=True, name_format=ATTRIBUTE_NAME_FORMAT,
                 description='The org short name (thirdPartyOrgName), case-sensitive.'),
            dict(name='ServiceName', value=None, required=False, name_format=ATTRIBUTE_NAME_FORMAT,
                 description='Optional target after sign-in: a URL or a keyword such as directory.'),
        ],
    )
