# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SAML 2.0 identity-provider metadata import.

:func:`parse_idp_metadata` reads an IdP's metadata XML (``EntityDescriptor``
or ``EntitiesDescriptor``, any namespace prefix, UTF-8 BOM, CRLF) with
``defusedxml`` (no DTDs, no entity expansion, no external fetches) and returns
the values a Genesys Cloud identity provider needs: issuer (entity id), SSO URL
and binding, SLO URL and binding, signing certificates (bare base64 DER) and
the NameID format.

Only the ``IDPSSODescriptor`` of the chosen entity is read for keys: its
``KeyDescriptor`` elements with ``use="signing"`` or without ``use``.  Never
encryption keys, the metadata's own ``ds:Signature`` certificate, or keys of
other roles (SP, attribute authority, WS-Fed role descriptors...).

:func:`fetch_idp_metadata` downloads metadata over verified HTTPS only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib

DEFUSEDXML_IMPORT_ERROR = None
try:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError as _XMLParseError
    from defusedxml.ElementTree import fromstring as _defused_fromstring
    HAS_DEFUSEDXML = True
except ImportError as _exc:  # pragma: no cover - depends on the host
    DefusedXmlException = _XMLParseError = _defused_fromstring = None
    HAS_DEFUSEDXML = False
    DEFUSEDXML_IMPORT_ERROR = _exc

from ansible.module_utils.six.moves.urllib.parse import urljoin, urlparse
from ansible.module_utils.urls import open_url

try:
    from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
except ImportError:  # pragma: no cover
    from urllib.error import HTTPError, URLError

MD_NS = 'urn:oasis:names:tc:SAML:2.0:metadata'
DS_NS = 'http://www.w3.org/2000/09/xmldsig#'

BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'
BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'
SUPPORTED_BINDINGS = (BINDING_POST, BINDING_REDIRECT)

_BINDING_ALIASES = {
    'http-post': BINDING_POST,
    'http post': BINDING_POST,
    'post': BINDING_POST,
    BINDING_POST.lower(): BINDING_POST,
    'http-redirect': BINDING_REDIRECT,
    'http redirect': BINDING_REDIRECT,
    'redirect': BINDING_REDIRECT,
    BINDING_REDIRECT.lower(): BINDING_REDIRECT,
}

# Limits: metadata of one IdP is a few KB; federation aggregates can be MBs.
MAX_METADATA_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5


def _md(tag):
    return '{%s}%s' % (MD_NS, tag)


def _ds(tag):
    return '{%s}%s' % (DS_NS, tag)


class MetadataError(ValueError):
    """The metadata cannot be imported; the message says why."""


def normalize_binding(value):
    """Return the URN for ``value`` (URN, ``HTTP-POST``, ``HTTP-Redirect``...), or None for None."""
    if value is None or value == '':
        return None
    key = ' '.join(str(value).strip().split()).lower()
    if key in _BINDING_ALIASES:
        return _BINDING_ALIASES[key]
    raise MetadataError(
        'unsupported SSO binding {0!r}: use HTTP-POST or HTTP-Redirect (or their URNs {1}, {2})'.format(
            value, BINDING_POST, BINDING_REDIRECT))


def _short_binding(urn):
    if urn and urn.startswith('urn:oasis:names:tc:SAML:2.0:bindings:'):
        return urn.rsplit(':', 1)[-1]
    return urn


def _local_name(tag):
    if isinstance(tag, str) and tag.startswith('{'):
        return tag.split('}', 1)[1]
    return tag


def _parse_xml(xml):
    if not HAS_DEFUSEDXML:
        raise MetadataError('the "defusedxml" Python library is required to read SAML metadata: {0}'.format(
            DEFUSEDXML_IMPORT_ERROR))
    if xml is None:
        raise MetadataError('the metadata document is empty')
    if isinstance(xml, bytearray):
        xml = bytes(xml)
    if isinstance(xml, bytes):
        if xml.startswith(b'\xef\xbb\xbf'):
            xml = xml[3:]
        xml = xml.lstrip(b' \t\r\n')
    else:
        xml = str(xml).lstrip('\ufeff').lstrip(' \t\r\n')
    if not xml:
        raise MetadataError('the metadata document is empty')
    if len(xml) > MAX_METADATA_BYTES * 4:
        raise MetadataError('the metadata document is too large ({0} characters)'.format(len(xml)))
    try:
        return _defused_fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise MetadataError(
            'refusing the metadata document: it declares a DTD, entities or external references ({0}); '
            'SAML metadata needs none of these'.format(type(exc).__name__))
    except _XMLParseError as exc:
        raise MetadataError('the metadata document is not well-formed XML: {0}'.format(exc))
    except ValueError as exc:  # e.g. encoding problems
        raise MetadataError('the metadata document cannot be read as XML: {0}'.format(exc))


def _entity_descriptors(root):
    """All md:EntityDescriptor elements, in document order, under (or being) the root."""
    if root.tag == _md('EntityDescriptor'):
        return [root]
    if root.tag != _md('EntitiesDescriptor'):
        local = _local_name(root.tag)
        if local in ('EntityDescriptor', 'EntitiesDescriptor'):
            ns = root.tag[1:].split('}', 1)[0] if root.tag.startswith('{') else None
            raise MetadataError(
                'the root element <{0}> is not in the SAML 2.0 metadata namespace ({1}; found {2}): '
                'the document is not valid SAML metadata, no IdP SSO descriptor can be read'.format(
                    local, MD_NS, 'namespace {0}'.format(ns) if ns else 'no namespace'))
        raise MetadataError('the root element is <{0}>, expected a SAML 2.0 metadata EntityDescriptor or EntitiesDescriptor'.format(
            local))
    found = []
    for child in list(root):
        if child.tag == _md('EntityDescriptor'):
            found.append(child)
        elif child.tag == _md('EntitiesDescriptor'):
            found.extend(_entity_descriptors(child))
    return found


def _text(elem):
    return (elem.text or '').strip() if elem is not None else ''


def _looks_like_der_certificate(der):
    """Minimal DER check: one SEQUENCE spanning all bytes, starting with a SEQUENCE (TBSCertificate)."""
    def read_len(data, pos):
        if pos >= len(data):
            return None, pos
        first = data[pos]
        pos += 1
        if first < 0x80:
            return first, pos
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            return None, pos
        value = 0
        for byte in data[pos:pos + count]:
            value = (value << 8) | byte
        return value, pos + count

    if len(der) < 16 or der[0] != 0x30:
        return False
    length, pos = read_len(der, 1)
    if length is None or pos + length != len(der):
        return False
    return der[pos] == 0x30


def _signing_certificates(idp, entity_id, warnings):
    certs = []
    seen = set()
    for index, key in enumerate(idp.findall(_md('KeyDescriptor')), start=1):
        use = (key.get('use') or '').strip()
        if use and use != 'signing':
            continue
        for cert_elem in key.iter(_ds('X509Certificate')):
            compact = ''.join(_text(cert_elem).split())
            if not compact:
                continue
            where = 'KeyDescriptor {0} of the IdP {1}'.format(index, entity_id)
            try:
                der = base64.b64decode(compact, validate=True)
            except (binascii.Error, ValueError):
                warnings.append('{0}: X509Certificate is not valid base64; skipped'.format(where))
                continue
            if not _looks_like_der_certificate(der):
                hint = ''
                if der.lstrip().startswith(b'-----BEGIN'):
                    hint = ' (its base64 decodes to PEM text, not DER)'
                warnings.append('{0}: X509Certificate is not a DER certificate{1}; skipped'.format(where, hint))
                continue
            digest = hashlib.sha256(der).digest()
            if digest in seen:
                continue
            seen.add(digest)
            certs.append(base64.b64encode(der).decode('ascii'))
    return certs


def _services(idp, tag):
    result = []
    for elem in idp.findall(_md(tag)):
        binding = (elem.get('Binding') or '').strip()
        location = (elem.get('Location') or '').strip()
        if binding and location:
            result.append((binding, location))
    return result


def _choose(services, preferred):
    """First location per supported binding; pick ``preferred`` when offered, else the first offered."""
    first = {}
    order = []
    for binding, location in services:
        if binding in SUPPORTED_BINDINGS and binding not in first:
            first[binding] = location
            order.append(binding)
    if not order:
        return None, None, first
    if preferred in first:
        return preferred, first[preferred], first
    return order[0], first[order[0]], first


def parse_idp_metadata(xml, entity_id=None, sso_binding=None):
    """Extract the identity-provider values from SAML 2.0 metadata.

    ``xml``: the document (str or bytes).  ``entity_id``: which IdP to take
    when the document holds several (required then).  ``sso_binding``: None
    (the binding the IdP lists first among HTTP-POST/HTTP-Redirect), or the
    binding to prefer (URN or ``HTTP-POST``/``HTTP-Redirect``).

    Returns a dict: ``entity_id``, ``issuer_uri`` (= entity id),
    ``sso_target_uri``, ``sso_binding`` (URN), ``slo_uri``, ``slo_binding``
    (URN, or None), ``certificates`` (bare base64 DER of the IdP signing
    certificates, deduplicated, document order), ``name_identifier_format``
    (first NameIDFormat or None), ``entity_ids`` (all IdP entity ids in the
    document), and for reporting: ``sso_services`` ({binding URN: URL}, first
    URL per supported binding), ``slo_services`` (list of
    ``{binding, location}``), ``name_identifier_formats`` (all) and
    ``warnings`` (skipped malformed certificates, binding fallback).

    Raises :class:`MetadataError` for broken, unsafe, SP-only or ambiguous
    documents.
    """
    preferred = normalize_binding(sso_binding)
    root = _parse_xml(xml)
    entities = _entity_descriptors(root)
    if not entities:
        raise MetadataError('the metadata holds no SAML 2.0 EntityDescriptor (namespace {0})'.format(MD_NS))

    idps = []
    for entity in entities:
        idp = entity.find(_md('IDPSSODescriptor'))
        if idp is not None:
            idps.append((entity.get('entityID') or '', entity, idp))
    if not idps:
        ids = [e.get('entityID') or '?' for e in entities]
        raise MetadataError(
            'the metadata has no IdP SSO descriptor (IDPSSODescriptor): entity {0} is not an identity provider '
            '(SP-only or other roles); import the metadata of your identity provider instead'.format(', '.join(ids)))
    entity_ids = [item[0] for item in idps]

    if entity_id is not None and entity_id != '':
        matches = [item for item in idps if item[0] == entity_id]
        if not matches:
            raise MetadataError('no identity provider with entity id {0!r} in the metadata; IdP entity ids found: {1}'.format(
                entity_id, ', '.join(entity_ids)))
        chosen = matches[0]
    elif len(idps) > 1:
        raise MetadataError(
            'the metadata holds {0} identity providers; choose one with the entity id option (idp_entity_id). '
            'IdP entity ids found: {1}'.format(len(idps), ', '.join(entity_ids)))
    else:
        chosen = idps[0]

    chosen_id, _entity, idp = chosen
    if not chosen_id:
        raise MetadataError('the IdP EntityDescriptor has no entityID attribute')

    warnings = []
    sso = _services(idp, 'SingleSignOnService')
    sso_binding_urn, sso_uri, sso_first = _choose(sso, preferred)
    if sso_uri is None:
        offered = sorted(set(_short_binding(b) for b, _loc in sso)) or ['none']
        raise MetadataError(
            'the IdP {0} offers no HTTP-POST or HTTP-Redirect SingleSignOnService (bindings offered: {1}); '
            'Genesys Cloud needs one of those two'.format(chosen_id, ', '.join(offered)))
    if preferred is not None and sso_binding_urn != preferred:
        warnings.append('the IdP {0} offers no {1} SingleSignOnService; using {2} {3}'.format(
            chosen_id, _short_binding(preferred), _short_binding(sso_binding_urn), sso_uri))

    slo = _services(idp, 'SingleLogoutService')
    slo_first = {}
    for binding, location in slo:
        if binding in SUPPORTED_BINDINGS and binding not in slo_first:
            slo_first[binding] = location
    if sso_binding_urn in slo_first:
        slo_binding = sso_binding_urn
    else:
        slo_binding = next((b for b, _loc in slo if b in SUPPORTED_BINDINGS), None)
    slo_uri = slo_first.get(slo_binding) if slo_binding else None

    formats = [_text(elem) for elem in idp.findall(_md('NameIDFormat'))]
    formats = [f for f in formats if f]

    certificates = _signing_certificates(idp, chosen_id, warnings)

    return dict(
        entity_id=chosen_id,
        issuer_uri=chosen_id,
        sso_target_uri=sso_uri,
        sso_binding=sso_binding_urn,
        slo_uri=slo_uri,
        slo_binding=slo_binding,
        certificates=certificates,
        name_identifier_format=formats[0] if formats else None,
        entity_ids=entity_ids,
        sso_services=sso_first,
        slo_services=[dict(binding=b, location=loc) for b, loc in slo],
        name_identifier_formats=formats,
        warnings=warnings,
    )


def _require_https(url, what='metadata URL'):
    parsed = urlparse(url)
    if parsed.scheme.lower() != 'https' or not parsed.netloc:
        raise MetadataError(
            'refusing to fetch IdP metadata from {0} {1!r}: only https:// URLs are allowed, because the metadata '
            'carries the certificates that sign-ins are verified with'.format(what, url))


def fetch_idp_metadata(url, ca_path=None, validate_certs=True, timeout=30):
    """Download IdP metadata over HTTPS (certificate verified unless ``validate_certs`` is false).

    Redirects are followed (at most 5), each to https:// only.  The body is
    capped at 5 MB.  Returns the document as text.  Raises :class:`MetadataError`.
    """
    if not isinstance(url, str) or not url.strip():
        raise MetadataError('the metadata URL is empty')
    url = url.strip()
    _require_https(url)
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            response = open_url(
                current,
                method='GET',
                headers={'Accept': 'application/samlmetadata+xml, application/xml, text/xml;q=0.9, */*;q=0.1'},
                validate_certs=validate_certs,
                ca_path=ca_path,
                timeout=timeout,
                follow_redirects='none',
                http_agent='genesyscloud.sso metadata import',
            )
        except HTTPError as exc:
            if exc.code in (301, 302, 303, 307, 308):
                location = exc.headers.get('Location') if exc.headers else None
                if not location:
                    raise MetadataError('fetching IdP metadata from {0} failed: HTTP {1} redirect without a Location'.format(
                        current, exc.code))
                current = urljoin(current, location)
                _require_https(current, what='redirect target')
                continue
            raise MetadataError('fetching IdP metadata from {0} failed: HTTP {1} {2}'.format(current, exc.code, exc.reason))
        except URLError as exc:
            reason = str(getattr(exc, 'reason', exc))
            hint = ''
            if 'CERTIFICATE_VERIFY_FAILED' in reason or 'certificate verify failed' in reason:
                hint = '; the server certificate is not trusted: give the CA bundle that signed it with ca_path'
            raise MetadataError('fetching IdP metadata from {0} failed: {1}{2}'.format(current, reason, hint))
        except (IOError, OSError, ValueError) as exc:
            raise MetadataError('fetching IdP metadata from {0} failed: {1}'.format(current, exc))
        try:
            status = response.getcode()
            if status is not None and status >= 300:
                raise MetadataError('fetching IdP metadata from {0} failed: HTTP {1}'.format(current, status))
            body = response.read(MAX_METADATA_BYTES + 1)
        except (IOError, OSError) as exc:
            raise MetadataError('reading IdP metadata from {0} failed: {1}'.format(current, exc))
        finally:
            response.close()
        if len(body) > MAX_METADATA_BYTES:
            raise MetadataError('the IdP metadata at {0} is larger than {1} bytes; refusing it'.format(current, MAX_METADATA_BYTES))
        if body.startswith(b'\xef\xbb\xbf'):
            body = body[3:]
        try:
            return body.decode('utf-8')
        except UnicodeDecodeError:
            # Declared in another encoding: keep the bytes' meaning via latin-1 only if the
            # XML declaration says so; otherwise refuse.
            head = body[:200].lower()
            if b'encoding="iso-8859-1"' in head or b"encoding='iso-8859-1'" in head:
                return body.decode('iso-8859-1')
            raise MetadataError('the IdP metadata at {0} is not UTF-8 text'.format(current))
    raise MetadataError('fetching IdP metadata from {0} failed: more than {1} redirects'.format(url, MAX_REDIRECTS))
