# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): SAML 2.0 identity-provider metadata import (parsing with
defusedxml, the download through the transport, the metadata URL check and masking).

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

:func:`fetch_idp_metadata` downloads metadata over verified HTTPS only, through the collection's one HTTP
transport (``_genesys_transport.Transport.open_stream``: the same session settings, TLS options and no automatic
redirect as the API), within one overall deadline (``timeout`` covers the whole download, redirects included:
each redirect target is checked like the URL) and a size cap.  :func:`check_metadata_url` words the refusal of
the one URL validator (``_genesys_transport.check_https_url``) before any connection, and :func:`mask_url` hides
the password of a URL's userinfo (``https://user:***@host/...``) wherever a URL is echoed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import re
import socket
import threading
import time
import importlib.util

from ansible.module_utils.six.moves.urllib.parse import unquote, urljoin, urlparse

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_options import (
    BINDING_POST,
    BINDING_REDIRECT,
    binding_urn,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_transport import (
    GenesysError,
    Transport,
    UrlProblem,
    _first_line,
    check_https_url,
)

# defusedxml is imported when a document is parsed (a converged run without idp_metadata never needs it: every
# forked worker of a fleet run would pay for the import); whether it is installed is known without importing it
HAS_DEFUSEDXML = importlib.util.find_spec('defusedxml') is not None

MD_NS = 'urn:oasis:names:tc:SAML:2.0:metadata'
DS_NS = 'http://www.w3.org/2000/09/xmldsig#'

# the SAML bindings: the one table of _genesys_provider_options
SUPPORTED_BINDINGS = (BINDING_POST, BINDING_REDIRECT)

# Limits: metadata of one IdP is a few KB; federation aggregates can be MBs.
MAX_METADATA_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
METADATA_AGENT = 'genesyscloud.sso metadata import'
READ_CHUNK = 64 * 1024
# Seconds the caller waits past the deadline for the download thread to notice it (it checks between reads).
DEADLINE_GRACE = 0.5


def _md(tag):
    return '{%s}%s' % (MD_NS, tag)


def _ds(tag):
    return '{%s}%s' % (DS_NS, tag)


class MetadataError(ValueError):
    """The metadata cannot be imported; the message says why."""


_SCHEME_NETLOC_RE = re.compile(r'^([A-Za-z][A-Za-z0-9+.-]*:)?//([^/?#]*)')
_BAD_URL_CHAR_RE = re.compile(u'[\\s\x00-\x1f\x7f-\x9f\u2028\u2029]')


def url_password(url):
    """The password of a URL's userinfo (``https://user:PASSWORD@host``), or None (also for non-URLs)."""
    if not isinstance(url, str):
        return None
    match = _SCHEME_NETLOC_RE.match(url)
    if not match or '@' not in match.group(2):
        return None
    userinfo = match.group(2).rpartition('@')[0]
    if ':' not in userinfo:
        return None
    return userinfo.split(':', 1)[1] or None


def url_secrets(url):
    """The forms of a URL's userinfo password to mask in output: as written and percent-decoded."""
    password = url_password(url)
    if not password:
        return []
    forms = [password]
    decoded = unquote(password)
    if decoded != password:
        forms.append(decoded)
    return forms


def mask_url(url):
    """``url`` with the password of its userinfo replaced by ``***`` (``https://user:***@host/...``).

    A userinfo without a password (``https://TOKEN@host``) is masked whole (``https://***@host``): it is
    often a token.  Anything that is not a URL with an authority is returned unchanged.
    """
    if not isinstance(url, str):
        return url
    match = _SCHEME_NETLOC_RE.match(url)
    if not match or '@' not in match.group(2):
        return url
    userinfo, dummy, host = match.group(2).rpartition('@')
    if ':' in userinfo:
        masked = userinfo.split(':', 1)[0] + ':***'
    else:
        masked = '***'
    return '%s//%s@%s%s' % (match.group(1) or '', masked, host, url[match.end():])


def show_url(url, limit=200):
    """A URL for a message: password masked; quoted (repr) when it holds spaces or control characters."""
    text = mask_url(url)
    if not isinstance(text, str) or _BAD_URL_CHAR_RE.search(text):
        text = repr(text)
    if len(text) > limit:
        text = text[:limit] + '...(%d characters)' % len(text)
    return text


def tls_off_warning(url):
    """The warning for a metadata download with validate_certs false (certificate verification of its host off)."""
    try:
        host = urlparse(url.strip()).hostname or show_url(url)
    except (AttributeError, ValueError):
        host = show_url(url)
    return ('TLS verification of the IdP metadata host {0} is off because validate_certs is false (that option '
            'applies to the metadata download too): anyone on the network path could hand over other metadata, and '
            'with it the certificates sign-ins are verified with. Set validate_certs to true (with ca_path for a '
            'private CA), or give the metadata with idp_metadata.'.format(host))


def check_metadata_url(url, what='metadata URL'):
    """Return the URL (stripped) when it is a clean ``https://`` URL with a host, else raise MetadataError.

    Refused before any connection: empty, spaces or control characters (NUL, CR/LF...) inside, a malformed
    authority (``https://[::1/x``, a bad port), another scheme (``http:``, ``javascript:``, ``file:``...), no
    host.  Messages show the URL with its password masked.
    """
    try:
        return check_https_url(url, userinfo=True)
    except UrlProblem as problem:
        if problem.kind == 'empty':
            raise MetadataError('the {0} is empty: give the https:// URL of the IdP metadata'.format(what))
        if problem.kind == 'char':
            raise MetadataError(
                'refusing the {0} {1}: it contains {2} (U+{3:04X}) at position {4}; an https:// URL has no spaces or '
                'control characters (percent-encode them, e.g. %20)'.format(
                    what, show_url(problem.url), 'a space' if problem.char == ' ' else 'a control character',
                    ord(problem.char), problem.position))
        if problem.kind == 'authority':
            raise MetadataError('refusing the {0} {1}: it is not a valid https:// URL ({2})'.format(
                what, show_url(problem.url), problem.detail))
        raise MetadataError(
            'refusing to fetch IdP metadata from {0} {1}: only https:// URLs with a host are allowed, because the '
            'metadata carries the certificates that sign-ins are verified with'.format(what, show_url(problem.url)))


def normalize_binding(value):
    """Return the URN for ``value`` (URN, ``HTTP-POST``, ``HTTP-Redirect``...), or None for None."""
    if value is None or value == '':
        return None
    urn = binding_urn(value)
    if urn is not None:
        return urn
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
    try:
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import ParseError as _XMLParseError
        from defusedxml.ElementTree import fromstring as _defused_fromstring
    except ImportError as exc:  # pragma: no cover - depends on the host
        raise MetadataError('the "defusedxml" Python library is required to read SAML metadata ({0}): install the '
                            "collection's requirements: pip install -r requirements.txt (requests, cryptography, "
                            'defusedxml), with the pip of the Python that runs Ansible; the file is at the root of the '
                            'installed collection (ansible_collections/genesyscloud/sso/requirements.txt)'.format(exc))
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


EMAIL_NAME_ID = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'


def preferred_name_id_formats(formats):
    """The NameIDFormat values of an IdP in the order to choose from: emailAddress first when offered (Genesys Cloud
    matches the NameID against the user's email; an Okta metadata lists unspecified before it), then document order.

    Empty values are dropped, duplicates kept once.
    """
    seen = []
    for value in formats or []:
        if value and value not in seen:
            seen.append(value)
    email = [f for f in seen if f.strip().lower() == EMAIL_NAME_ID.lower()]
    return email + [f for f in seen if f not in email]


def parse_idp_metadata(xml, entity_id=None, sso_binding=None, require_signing_certificate=True):
    """Extract the identity-provider values from SAML 2.0 metadata.

    ``xml``: the document (str or bytes).  ``entity_id``: which IdP to take
    when the document holds several (required then).  ``sso_binding``: None
    (the binding the IdP lists first among HTTP-POST/HTTP-Redirect), or the
    binding to prefer (URN or ``HTTP-POST``/``HTTP-Redirect``).

    Returns a dict: ``entity_id``, ``issuer_uri`` (= entity id),
    ``sso_target_uri``, ``sso_binding`` (URN), ``slo_uri``, ``slo_binding``
    (URN, or None), ``certificates`` (bare base64 DER of the IdP signing
    certificates, deduplicated, document order), ``name_identifier_format``
    (emailAddress when offered, else the first NameIDFormat, else None),
    ``entity_ids`` (all IdP entity ids in the document), and for reporting:
    ``sso_services`` ({binding URN: URL}, first URL per supported binding),
    ``slo_services`` (list of ``{binding, location}``),
    ``name_identifier_formats`` (all, document order),
    ``name_identifier_formats_preferred`` (the same in the order to choose
    from, :func:`preferred_name_id_formats`) and
    ``warnings`` (skipped malformed certificates, binding fallback).

    ``require_signing_certificate``: an IdP whose metadata has no usable
    signing certificate is refused (sign-ins could not be verified); False
    when the certificates are given another way (the ``certificates``
    option): then a loud warning is added instead.

    Raises :class:`MetadataError` for broken, unsafe, SP-only or ambiguous
    documents (several IdP descriptors with the chosen entity id included).
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
        if len(matches) > 1:
            raise _ambiguous(entity_id, len(matches))
        chosen = matches[0]
    elif len(idps) > 1 and len(set(entity_ids)) == 1:
        raise _ambiguous(entity_ids[0], len(idps))
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
    nameid_order = preferred_name_id_formats(formats)

    certificates = _signing_certificates(idp, chosen_id, warnings)
    if not certificates:
        problem = ('the IdP {0} publishes no usable signing certificate in its metadata (no X509Certificate in a '
                   'KeyDescriptor with use="signing" or without use, in its IDPSSODescriptor)'.format(chosen_id))
        if require_signing_certificate:
            raise MetadataError(
                problem + ': Genesys Cloud could not verify its sign-ins. Use metadata that includes the signing '
                'certificate, or give the certificate with the certificates option')
        warnings.append(
            'WARNING: ' + problem + '; the provider is configured with the certificates given in the certificates '
            'option only: make sure they are the certificates this IdP signs with')

    return dict(
        entity_id=chosen_id,
        issuer_uri=chosen_id,
        sso_target_uri=sso_uri,
        sso_binding=sso_binding_urn,
        slo_uri=slo_uri,
        slo_binding=slo_binding,
        certificates=certificates,
        name_identifier_format=nameid_order[0] if nameid_order else None,
        entity_ids=entity_ids,
        sso_services=sso_first,
        slo_services=[dict(binding=b, location=loc) for b, loc in slo],
        name_identifier_formats=formats,
        name_identifier_formats_preferred=nameid_order,
        warnings=warnings,
    )


def _ambiguous(entity_id, count):
    return MetadataError(
        'the metadata holds {0} identity provider descriptors with the same entity id {1!r}: which one is meant is '
        'ambiguous (their URLs and certificates may differ), so none is taken. Ask the IdP or federation operator '
        'for metadata with one descriptor per entity id, or give the values with issuer_uri, sso_target_uri and '
        'certificates instead'.format(count, entity_id))


def _require_https(url, what='metadata URL'):
    return check_metadata_url(url, what)


def _deadline_error(url, timeout):
    return MetadataError(
        'downloading the IdP metadata from {0} did not finish within the timeout of {1:g} s (the timeout covers the '
        'whole download, redirects included): the server is too slow or holds the connection open. Raise timeout, '
        'or download the metadata yourself and give it with idp_metadata'.format(show_url(url), timeout))


def _response_socket(response):
    """The socket under a requests response (best effort: None when it cannot be found)."""
    for path in (('raw', '_fp', 'fp', 'raw', '_sock'), ('raw', '_fp', 'fp', 'fp', 'raw', '_sock')):
        obj = response
        for attr in path:
            obj = getattr(obj, attr, None)
            if obj is None:
                break
        if isinstance(obj, socket.socket):
            return obj
    return None


class _Download(object):
    """One metadata download (redirects followed) run in a worker thread, within a monotonic deadline."""

    def __init__(self, url, ca_path, validate_certs, timeout, max_bytes):
        self.url = url
        # the transport of every request (one session, TLS settings); the TLS warning is the caller's
        # (tls_off_warning), the deadline and the redirect checks are this download's
        self.transport = Transport(dict(validate_certs=validate_certs, ca_path=ca_path, timeout=timeout, retries=0))
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.deadline = time.monotonic() + timeout
        self.cancelled = False
        self.response = None
        self.result = None
        self.error = None
        self.lock = threading.Lock()

    def remaining(self):
        return self.deadline - time.monotonic()

    def check_time(self, url):
        if self.cancelled or self.remaining() <= 0:
            raise _deadline_error(url, self.timeout)

    def cancel(self):
        """Called by the waiting thread at the deadline: stop the download (shut its socket down)."""
        with self.lock:
            self.cancelled = True
            response = self.response
        sock = _response_socket(response) if response is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass

    def run(self):
        try:
            try:
                self.result = self._download()
            finally:
                self.transport.close()
        except MetadataError as exc:
            self.error = exc
        except Exception as exc:  # pylint: disable=broad-except  # reported as a clean error by the caller
            self.error = MetadataError('fetching IdP metadata from {0} failed: {1}: {2}'.format(
                show_url(self.url), type(exc).__name__, exc))

    def _open(self, current):
        self.check_time(current)
        try:
            response = self.transport.open_stream(
                current,
                headers={'Accept': 'application/samlmetadata+xml, application/xml, text/xml;q=0.9, */*;q=0.1',
                         'User-Agent': METADATA_AGENT},
                timeout=max(0.05, self.remaining()))
        except Exception as exc:  # pylint: disable=broad-except  # requests' transport errors, worded here
            self.check_time(current)
            reason = _first_line(exc)
            hint = ''
            if 'CERTIFICATE_VERIFY_FAILED' in reason or 'certificate verify failed' in reason:
                hint = '; the server certificate is not trusted: give the CA bundle that signed it with ca_path'
            raise MetadataError('fetching IdP metadata from {0} failed: {1}{2}'.format(show_url(current), reason, hint))
        if response.status_code in (301, 302, 303, 307, 308):
            location = response.headers.get('Location')
            response.close()
            if not location:
                raise MetadataError('fetching IdP metadata from {0} failed: HTTP {1} redirect without a Location'.format(
                    show_url(current), response.status_code))
            try:
                target = urljoin(current, location)
            except ValueError as err:
                raise MetadataError('fetching IdP metadata from {0} failed: HTTP {1} redirect to an invalid URL '
                                    '{2} ({3})'.format(show_url(current), response.status_code, show_url(location), err))
            return None, check_metadata_url(target, what='redirect target')
        if response.status_code >= 300:
            response.close()
            raise MetadataError('fetching IdP metadata from {0} failed: HTTP {1} {2}'.format(
                show_url(current), response.status_code, response.reason))
        return response, None

    def _read_body(self, response, current):
        length = response.headers.get('Content-Length')
        if length and length.strip().isdigit() and int(length) > self.max_bytes:
            raise MetadataError('the IdP metadata at {0} is larger than {1} bytes; refusing it'.format(
                show_url(current), self.max_bytes))
        raw = response.raw
        # read1: what has arrived (the deadline is checked between reads); content codings (gzip) decoded, so the
        # cap holds for the document itself
        read = getattr(raw, 'read1', None) or raw.read
        chunks = []
        total = 0
        while True:
            self.check_time(current)
            try:
                chunk = read(min(READ_CHUNK, self.max_bytes + 1 - total), decode_content=True)
            except Exception as exc:  # pylint: disable=broad-except  # socket, urllib3 and decoding errors
                self.check_time(current)
                raise MetadataError('reading IdP metadata from {0} failed: {1}'.format(show_url(current), _first_line(exc)))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > self.max_bytes:
                raise MetadataError('the IdP metadata at {0} is larger than {1} bytes; refusing it'.format(
                    show_url(current), self.max_bytes))
        return b''.join(chunks)

    def _download(self):
        current = self.url
        for dummy in range(MAX_REDIRECTS + 1):
            response, redirect = self._open(current)
            if redirect is not None:
                current = redirect
                continue
            with self.lock:
                self.response = response
                cancelled = self.cancelled
            try:
                if cancelled:
                    raise _deadline_error(current, self.timeout)
                body = self._read_body(response, current)
            finally:
                with self.lock:
                    self.response = None
                response.close()
            return _decode(body, current)
        raise MetadataError('fetching IdP metadata from {0} failed: more than {1} redirects'.format(
            show_url(self.url), MAX_REDIRECTS))


def _decode(body, current):
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
        raise MetadataError('the IdP metadata at {0} is not UTF-8 text'.format(show_url(current)))


def fetch_idp_metadata(url, ca_path=None, validate_certs=True, timeout=30, max_bytes=MAX_METADATA_BYTES):
    """Download IdP metadata over HTTPS (certificate verified unless ``validate_certs`` is false).

    The URL is checked first (:func:`check_metadata_url`: nothing is sent for a bad one).  Redirects are
    followed (at most 5), each to https:// only.  ``timeout`` (seconds) is one overall deadline for the whole
    download, redirects included (a server that trickles bytes cannot hold it longer); the body is capped at
    ``max_bytes`` (5 MB).  Returns the document as text.  Raises :class:`MetadataError`; messages show the
    URL with its userinfo password masked.
    """
    url = check_metadata_url(url)
    try:
        timeout = float(timeout) if timeout else 30.0
    except (TypeError, ValueError):
        raise MetadataError('the metadata download timeout {0!r} is not a number of seconds'.format(timeout))
    if timeout <= 0:
        timeout = 30.0
    try:
        download = _Download(url, ca_path, validate_certs, timeout, max_bytes)
    except GenesysError as exc:  # requests missing, a timeout out of range
        raise MetadataError('fetching IdP metadata from {0} failed: {1}'.format(show_url(url), exc.describe()))
    worker = threading.Thread(target=download.run, name='genesyscloud-sso-metadata-download')
    worker.daemon = True   # a thread stuck in a connect/header read past the deadline never blocks the exit
    worker.start()
    worker.join(max(0.0, download.remaining()) + DEADLINE_GRACE)
    if worker.is_alive():
        download.cancel()
        worker.join(DEADLINE_GRACE)
        raise _deadline_error(url, timeout)
    if download.error is not None:
        raise download.error
    return download.result
