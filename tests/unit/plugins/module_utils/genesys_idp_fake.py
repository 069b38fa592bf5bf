# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-memory fake of the Genesys Cloud identity-provider API for the unit tests.

It behaves like the emulator (and the real API per genesys-api.md section 2):
per-type field filtering (unknown fields dropped), bodies stored exactly as
written, ``disabled`` defaulting to false on reads, per-type PUT answering
the short IdentityProvider stub, POST/GET/PUT by id answering the full
CustomProvider, DELETE per type 200 ``{}`` and by id 204, 404 ``not.found``,
the listing with SAMLProvider fields only, the 30-integration limit, and the
400 codes for a missing issuer/name and a non-https target URL.  Optional:
404 for the first N reads after a write (eventual consistency).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import itertools

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import GenesysError

# The platform's own field lists (docs/genesys-api.md section 2), written out: the fake checks the model, it does not
# repeat it (test_genesys_provider_options.py holds the two together). A new provider type or field is added here by
# hand, from the API documentation, in the same commit as the model's table.
PER_TYPE_TYPES = ('adfs', 'cic', 'generic', 'gsuite', 'identitynow', 'okta', 'onelogin', 'ping', 'purecloud',
                  'pureengage', 'salesforce')
SAML_FIELDS = ('name', 'disabled', 'issuerURI', 'ssoTargetURI', 'sloURI', 'sloBinding', 'relyingPartyIdentifier',
               'certificate', 'certificates', 'nameIdentifierFormat', 'ssoBinding', 'signAuthnRequests',
               'logoImageData', 'providerName', 'displayOnLogin', 'metadataURL', 'forceAuthn')
_GENERIC_FIELDS = SAML_FIELDS + ('endpointCompression',)   # GenericSAMLProvider / CustomProvider
TYPE_FIELDS = dict((ptype, SAML_FIELDS) for ptype in PER_TYPE_TYPES)
TYPE_FIELDS.update(generic=_GENERIC_FIELDS, custom=_GENERIC_FIELDS, purecloud=('name', 'disabled'),
                   pureengage=SAML_FIELDS + ('autoProvisionUsers',))

BASE = '/api/v2/identityproviders'
LIST_FIELDS = set(SAML_FIELDS) | set(['id', 'selfUri'])


class FakeIdpApi:
    """Duck-typed stand-in for GenesysClient (``request``, ``domain``, ``login_url``, ``request_count``)."""

    def __init__(self, providers=None, custom=None, domain='mypurecloud.ie', login_url=None,
                 not_found_reads_after_write=0, org_short_name='acme-prod'):
        self._ids = ('00000000-0000-4000-8000-%012d' % n for n in itertools.count(1))
        self.providers = {}
        self.custom = {}
        for ptype, data in (providers or {}).items():
            self.providers[ptype] = dict(id=next(self._ids), data=self._filter(ptype, data))
        for data in custom or []:
            pid = next(self._ids)
            self.custom[pid] = dict(id=pid, data=self._filter('custom', data))
        self.domain = domain
        self.api_url = 'https://api.%s' % domain if domain else 'https://127.0.0.1:9'
        self.login_url = login_url or ('https://login.%s' % domain if domain else 'https://127.0.0.1:9')
        self.log = []
        self.request_count = 0
        self.not_found_reads_after_write = not_found_reads_after_write
        self._pending_404 = 0
        self.org_short_name = org_short_name
        self.fail_next = None
        self.closed = False

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _filter(ptype, data):
        fields = TYPE_FIELDS[ptype]
        return dict((k, copy.deepcopy(v)) for k, v in data.items() if k in fields)

    def _full(self, key, rec):
        out = dict(id=rec['id'])
        out.update(copy.deepcopy(rec['data']))
        out.setdefault('disabled', False)
        out['selfUri'] = '%s/%s' % (BASE, key)
        return out

    @staticmethod
    def _error(status, code, message, method, path):
        return GenesysError(status=status, code=code, message=message, correlation_id='cid-%s' % code,
                            method=method, path=path)

    def _validate(self, ptype, data, method, path):
        if ptype == 'purecloud':
            return
        if ptype in ('generic', 'custom') and not (data.get('name') or '').strip():
            raise self._error(400, 'missing.provider.name', 'A provider name is required.', method, path)
        if not (data.get('issuerURI') or '').strip():
            raise self._error(400, 'missing.issuer.uri', 'An issuer URI is required.', method, path)
        target = data.get('ssoTargetURI')
        if target and not target.startswith('https://'):
            raise self._error(400, 'invalid.target.url', 'The target URL must be a valid HTTPS URL.', method, path)

    def _count(self):
        return sum(1 for t in self.providers if t != 'purecloud') + len(self.custom)

    def writes(self):
        return [e for e in self.log if e[0] in ('PUT', 'POST', 'DELETE')]

    def state(self, ptype, pid=None):
        if ptype == 'custom':
            rec = self.custom.get(pid)
            return None if rec is None else self._full(pid, rec)
        rec = self.providers.get(ptype)
        return None if rec is None else self._full(ptype, rec)

    def custom_by_name(self, name):
        return [self._full(pid, rec) for pid, rec in self.custom.items() if rec['data'].get('name') == name]

    # ------------------------------------------------------------------ client API
    def request(self, method, path, body=None, query=None, expect_404=False, headers=None):
        method = method.upper()
        self.request_count += 1
        self.log.append((method, path, copy.deepcopy(body)))
        if self.fail_next is not None and self.fail_next[0] == method:
            status, code, message = self.fail_next[1:]
            self.fail_next = None
            raise self._error(status, code, message, method, path)
        try:
            return self._dispatch(method, path, body)
        except GenesysError as err:
            if err.status == 404 and expect_404:
                return 404, None
            raise

    def _dispatch(self, method, path, body):
        if path == '/api/v2/organizations/me' and method == 'GET':
            return 200, dict(id='org-id-1', name='Acme', thirdPartyOrgName=self.org_short_name)
        if path == BASE:
            if method == 'GET':
                entities = []
                for ptype in PER_TYPE_TYPES:
                    if ptype in self.providers:
                        full = self._full(ptype, self.providers[ptype])
                        entities.append(dict((k, v) for k, v in full.items() if k in LIST_FIELDS))
                for pid, rec in self.custom.items():
                    full = self._full(pid, rec)
                    entities.append(dict((k, v) for k, v in full.items() if k in LIST_FIELDS))
                return 200, dict(entities=entities, pageSize=len(entities), pageNumber=1, total=len(entities),
                                 pageCount=1, selfUri=BASE)
            if method == 'POST':
                data = self._filter('custom', body or {})
                self._validate('custom', data, method, path)
                if self._count() >= 30:
                    raise self._error(400, 'bad.request', 'The maximum number of 30 single sign-on integrations '
                                      'for this organization has been reached.', method, path)
                pid = next(self._ids)
                self.custom[pid] = dict(id=pid, data=data)
                self._pending_404 = self.not_found_reads_after_write
                return 200, self._full(pid, self.custom[pid])
        key = path[len(BASE) + 1:] if path.startswith(BASE + '/') else None
        if key is None:
            raise self._error(404, 'not.found', 'no such path', method, path)
        if key in PER_TYPE_TYPES:
            rec = self.providers.get(key)
            if method == 'GET':
                if self._pending_404 > 0:
                    self._pending_404 -= 1
                    raise self._error(404, 'not.found', 'not found (eventual consistency)', method, path)
                if rec is None:
                    raise self._error(404, 'not.found', 'The requested %s identity provider was not found.' % key,
                                      method, path)
                return 200, self._full(key, rec)
            if method == 'PUT':
                data = self._filter(key, body or {})
                self._validate(key, data, method, path)
                if rec is None:
                    rec = self.providers[key] = dict(id=next(self._ids), data=data)
                else:
                    rec['data'] = data
                self._pending_404 = self.not_found_reads_after_write
                full = self._full(key, rec)
                return 200, dict((k, full.get(k)) for k in ('id', 'name', 'disabled', 'selfUri') if k in full)
            if method == 'DELETE':
                if rec is None:
                    raise self._error(404, 'not.found', 'not found', method, path)
                del self.providers[key]
                return 200, {}
        rec = self.custom.get(key)
        if method == 'GET':
            if self._pending_404 > 0:
                self._pending_404 -= 1
                raise self._error(404, 'not.found', 'not found (eventual consistency)', method, path)
            if rec is None:
                raise self._error(404, 'not.found', 'The requested identity provider was not found.', method, path)
            return 200, self._full(key, rec)
        if method == 'PUT':
            if rec is None:
                raise self._error(404, 'not.found', 'not found', method, path)
            data = self._filter('custom', body or {})
            self._validate('custom', data, method, path)
            rec['data'] = data
            self._pending_404 = self.not_found_reads_after_write
            return 200, self._full(key, rec)
        if method == 'DELETE':
            if rec is None:
                raise self._error(404, 'not.found', 'not found', method, path)
            del self.custom[key]
            return 204, None
        raise self._error(405, 'method.not.allowed', 'no', method, path)

    def close(self):
        self.closed = True


# ---------------------------------------------------------------------- certificates for tests

_CERT_CACHE = {}


def make_cert(cn, start_days=-1, end_days=365, kind='ec'):
    """PEM of a self-signed certificate valid from now+start_days to now+end_days (cached per arguments)."""
    key = (cn, start_days, end_days, kind)
    if key in _CERT_CACHE:
        return _CERT_CACHE[key]
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    pkey = ec.generate_private_key(ec.SECP256R1()) if kind == 'ec' else rsa.generate_private_key(65537, 2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(pkey.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=start_days))
            .not_valid_after(now + datetime.timedelta(days=end_days))
            .sign(pkey, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode('ascii')
    _CERT_CACHE[key] = pem
    return pem


def bare(pem):
    """The bare base64 (one line, no armour) of a PEM certificate."""
    return ''.join(line for line in pem.strip().splitlines() if not line.startswith('-----'))
