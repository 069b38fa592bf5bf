# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the core of genesyscloud.sso.genesys_platform_probe (shared by
the module and its action plugin); every request goes through the API facade (``_genesys_api``).

The platform conformance probe: run once against a *sandbox* org, it measures how that org's identity-provider
API behaves where the public reference is silent (genesys-api.md section 6) and writes the measurements as a
report plus an emulator ``--variant-file`` (the keys of ``emulator/README.md``, "Platform variants").

What it does (``mode: probe``):

1. reads only: the organization, the listing (every page: the count, the paging, the id/selfUri shapes of the
   per-type entries) and the eleven per-type endpoints (which entry of the listing is which type);
2. refuses to go on unless ``i_understand_this_writes`` is true and the org has fewer than 29 providers
   (check mode stops here and says what it would do);
3. creates ONE custom provider (the multi-provider API: ``POST /api/v2/identityproviders``) with a unique name
   and ``disabled: true``: never a per-type provider, never an enabled one;
4. times how long ``GET /{id}`` and the listing take to reflect the create and then a PUT (bounded by
   ``max_wait`` seconds, at most 600), and reads which fields were kept, how the PEM certificate is echoed and
   whether the empty relying party was filled in;
5. sends one PUT with an unknown field (strict fields);
6. deletes what it created in a ``finally`` (also when a step failed), then writes the report and the
   variant file.

``mode: cleanup`` deletes the custom providers named exactly ``name`` that are disabled (what a probe run
that was interrupted may have left); the playbook runs it in its ``always:`` section.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import json
import os
import re
import tempfile
import time
import uuid

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    GenesysModuleFail,
    build_spec,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_api import ApiCallError, GenesysApi, connect
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_transport import GenesysError, to_module_fail
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_certs import parse_api_certificate
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import (
    CUSTOM_TYPE,
    PER_TYPE_TYPES,
    check_listing_entity,
)

REPORT_FORMAT = 1
# refuse at this many providers: the org keeps room below the 30-integration limit for the throwaway one
REFUSE_AT_PROVIDERS = 29
MAX_WAIT_CEILING = 600.0
NAME_PREFIX = 'genesyscloud-sso-probe-'
UNKNOWN_FIELD = 'probeUnknownField'
UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$')
# poll interval: a tenth of the time waited so far, within these bounds (resolution about 10 %)
POLL_MIN = 0.1
POLL_MAX = 5.0
# the delete of the throwaway provider is retried for this long when the platform answers 404 or 5xx/429
CLEANUP_WAIT = 60.0
VARIANT_KEYS = ('read_lag_s', 'listing_lag_s', 'listing_ids', 'listing_self_uri', 'page_size', 'certificate_echo',
                'fill_relying_party', 'dropped_fields', 'strict_fields', 'refuse_last_provider_delete')

# the optional fields of the custom family sent on create, with values that differ from every default, so a
# field read back differently (or not at all) was not kept
PROBE_FIELDS = (
    ('sloURI', 'https://probe.invalid/saml/logout'),
    ('sloBinding', 'HTTP Redirect'),
    ('nameIdentifierFormat', 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'),
    ('ssoBinding', 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'),
    ('signAuthnRequests', True),
    ('providerName', 'genesyscloud.sso probe'),
    ('displayOnLogin', False),
    ('metadataURL', 'https://probe.invalid/saml/metadata'),
    ('forceAuthn', True),
    ('endpointCompression', True),
    ('logoImageData', base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
     .decode('ascii')),
)

SPEC = build_spec(
    dict(
        mode=dict(type='str', default='probe', choices=['probe', 'cleanup']),
        i_understand_this_writes=dict(type='bool', default=False),
        name=dict(type='str'),
        max_wait=dict(type='float', default=MAX_WAIT_CEILING),
        report_path=dict(type='path'),
        variant_file=dict(type='path'),
    ),
    required_if=[('mode', 'cleanup', ('name',))],
)


class _Budget:
    def __init__(self, seconds, clock):
        self.clock = clock
        self.start = clock()
        self.deadline = self.start + seconds

    def left(self):
        return self.deadline - self.clock()


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def _iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def default_name(now=None):
    """A unique provider name: the prefix, the UTC time and 8 random hex digits."""
    now = now or _utc_now()
    return '%s%s-%s' % (NAME_PREFIX, now.strftime('%Y%m%dT%H%M%SZ'), uuid.uuid4().hex[:8])


def validate_params(params):
    """Refuse invalid input before any request (GenesysModuleFail naming the option, the cause and the fix)."""
    max_wait = params.get('max_wait')
    if max_wait is None or not 0 < float(max_wait) <= MAX_WAIT_CEILING:
        raise GenesysModuleFail('max_wait %r is out of range: it bounds the whole measurement (reads and listing '
                                'catching up after a write) and must be more than 0 and at most %d seconds (10 '
                                'minutes). Fix: give a number of seconds in that range (default %d).'
                                % (max_wait, MAX_WAIT_CEILING, MAX_WAIT_CEILING))
    name = params.get('name')
    if name is not None and not NAME_RE.match(name):
        raise GenesysModuleFail('name %r cannot be used for the probe provider: it must start with a letter or '
                                'digit and hold only letters, digits, ".", "_" and "-" (at most 100 characters), so '
                                'that the cleanup finds exactly it. Fix: leave name unset (a unique one is made) or '
                                'give such a name.' % (name[:120],))
    if name and not name.startswith(NAME_PREFIX):
        raise GenesysModuleFail('name %r does not start with %s: the probe names its provider so, and the cleanup '
                                'deletes only providers named so. Fix: leave name unset (a unique one is made), or '
                                'give the name the probe reported (provider.name of probe-report.json).'
                                % (name, NAME_PREFIX))
    for option in ('report_path', 'variant_file'):
        path = params.get(option)
        if path and os.path.isdir(path):
            raise GenesysModuleFail('%s %s is a directory; it must name the file to write. Fix: give a file path '
                                    'such as %s' % (option, path, os.path.join(path, 'probe-report.json'
                                                                               if option == 'report_path'
                                                                               else 'probe-variants.yml')))


# ------------------------------------------------------------------ test certificate

def make_probe_certificate(name):
    """PEM of a fresh self-signed certificate (1 day); its private key is discarded at once."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = _utc_now()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name[:64])])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode('ascii')


def _bare(pem):
    return ''.join(line.strip() for line in pem.strip().splitlines() if not line.startswith('-----'))


def classify_echo(sent_pem, value):
    """'verbatim' (PEM armour kept), 'bare_base64' (the DER as base64 without armour), 'absent' or 'other'."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 'absent'
    if not isinstance(value, str):
        return 'other'
    if '-----BEGIN CERTIFICATE-----' in value:
        return 'verbatim' if _bare(value) == _bare(sent_pem) else 'other'
    if ''.join(value.split()) == _bare(sent_pem):
        return 'bare_base64'
    return 'other'


# ------------------------------------------------------------------ shapes

def _last_segment(uri):
    return uri.rstrip('/').rsplit('/', 1)[-1] if isinstance(uri, str) and uri else ''


def id_shape(ident, ptype=None):
    if ptype and ident == ptype:
        return 'type'
    if isinstance(ident, str) and UUID_RE.match(ident):
        return 'uuid'
    return 'absent' if ident in (None, '') else 'other'


def self_uri_shape(entity, ptype=None):
    last = _last_segment(entity.get('selfUri'))
    ident = entity.get('id')
    if not last:
        return 'absent'
    if ptype and last == ptype and ident == ptype:
        return 'ambiguous'
    if ptype and last == ptype:
        return 'type'
    if ident and last == ident:
        return 'id'
    return 'other'


def match_per_type(entities, per_type_bodies):
    """{index of a listing entry: type} for the entries that are per-type providers.

    An entry is per-type when its id or the last segment of its selfUri is a type name, or when its id is the
    id the per-type endpoint ``GET /{type}`` answered with (the only way when both are UUIDs).
    """
    by_id = dict((body.get('id'), ptype) for ptype, body in per_type_bodies.items()
                 if isinstance(body, dict) and body.get('id'))
    found = {}
    for index, entity in enumerate(entities):
        ident = entity.get('id')
        last = _last_segment(entity.get('selfUri')).lower()
        if isinstance(ident, str) and ident.lower() in PER_TYPE_TYPES:
            found[index] = ident.lower()
        elif last in PER_TYPE_TYPES:
            found[index] = last
        elif ident in by_id:
            found[index] = by_id[ident]
    return found


def _single(values):
    values = set(values)
    return values.pop() if len(values) == 1 else None


def _changes_to_normal(value):
    if isinstance(value, str):
        return ' '.join(value.split())
    return value


# ------------------------------------------------------------------ the probe

class Probe:
    """One probe run (state shared by the steps; the report is built as it goes)."""

    def __init__(self, params, ctx, client, clock=time.monotonic, sleep=time.sleep):
        self.params = params
        self.ctx = ctx
        self.api = client if isinstance(client, GenesysApi) else GenesysApi(client)
        self.client = self.api.client
        self.clock = clock
        self.sleep = sleep
        self.name = params.get('name') or default_name()
        self.created_id = None
        self.created = False
        self.deleted = False
        self.leftovers = []
        self.notes = []
        self.not_measured = {}
        self.variants = {}
        self.measurements = {}
        self.pages_seen = []
        self.sent = None
        self.pem = None
        self.refused_fields = []
        self.create_answer = {}

    # ---- requests
    def step(self, fn, *args, **kwargs):
        """A facade call whose failure ends the probe with what it created so far (provider, leftovers)."""
        try:
            return fn(*args, **kwargs)
        except ApiCallError as exc:
            exc.extra.update(self._partial())
            raise

    def _partial(self):
        return dict(provider=self.provider_info(), leftovers=self.leftovers)

    def provider_info(self):
        return dict(name=self.name, id=self.created_id, created=self.created, deleted=self.deleted)

    def listing(self):
        """Every entry of the listing (all pages) plus what the pages looked like."""
        pages = []

        def on_page(data):
            page = [e for e in (data.get('entities') or []) if isinstance(e, dict)]
            pages.append(dict(entries=len(page), pageSize=data.get('pageSize'), pageNumber=data.get('pageNumber'),
                              pageCount=data.get('pageCount'), total=data.get('total'),
                              nextUri=bool(data.get('nextUri'))))

        entities = self.step(self.api.list_providers, on_page=on_page)
        self.pages_seen.append(pages)
        return entities

    def per_type_bodies(self):
        bodies = {}
        for ptype in PER_TYPE_TYPES:
            data = self.step(self.api.read_provider, ptype)
            if data:
                bodies[ptype] = data
        return bodies

    # ---- step 1: read only
    def read_org(self):
        try:
            org = self.api.organization()
        except ApiCallError as exc:
            self.notes.append('The organization could not be read (HTTP %s %s); the report names no org.'
                              % (exc.error.status, exc.error.code))
            return {}
        return dict(org, domain=getattr(self.client, 'domain', None))

    def shapes(self, entities, bodies):
        matched = match_per_type(entities, bodies)
        per_type = []
        for index, ptype in sorted(matched.items(), key=lambda item: item[1]):
            entity = entities[index]
            body = bodies.get(ptype) or {}
            per_type.append(dict(type=ptype, listing_id=id_shape(entity.get('id'), ptype),
                                 listing_self_uri=self_uri_shape(entity, ptype),
                                 get_id=id_shape(body.get('id'), ptype) if body else 'not read',
                                 get_self_uri=self_uri_shape(body, ptype) if body else 'not read'))
        unlisted = sorted(set(bodies) - set(matched.values()))
        self.measurements['listing_shapes'] = dict(per_type=per_type, per_type_not_listed=unlisted)
        if not per_type:
            reason = ('the org has no per-type provider (such as purecloud or okta) to look at, and the probe never '
                      'writes one')
            self.not_measured['listing_ids'] = reason
            self.not_measured['listing_self_uri'] = reason
            return
        ids = _single(p['listing_id'] for p in per_type)
        if ids in ('type', 'uuid'):
            self.variants['listing_ids'] = ids
        else:
            self.not_measured['listing_ids'] = ('the per-type entries do not share one id shape: %s'
                                                % ', '.join('%s=%s' % (p['type'], p['listing_id']) for p in per_type))
        uris = _single(p['listing_self_uri'] for p in per_type)
        if uris in ('type', 'id'):
            self.variants['listing_self_uri'] = uris
        elif uris == 'ambiguous':
            self.not_measured['listing_self_uri'] = ('the per-type entries carry the type name as their id, so a '
                                                     'selfUri by type and one by id are the same')
        else:
            self.not_measured['listing_self_uri'] = ('the per-type entries do not share one selfUri shape: %s'
                                                     % ', '.join('%s=%s' % (p['type'], p['listing_self_uri'])
                                                                 for p in per_type))

    # ---- step 3: create
    def body(self, issuer_suffix='v1', extra=None):
        body = dict(name=self.name, disabled=True,
                    issuerURI='https://probe.invalid/%s/%s' % (self.name, issuer_suffix),
                    ssoTargetURI='https://probe.invalid/%s/sso' % self.name,
                    relyingPartyIdentifier='',
                    certificate=self.pem, certificates=[self.pem])
        for field, value in PROBE_FIELDS:
            if field not in self.refused_fields:
                body[field] = value
        if extra:
            body.update(extra)
        return body

    def create(self):
        self.pem = make_probe_certificate(self.name)
        self.refused_fields = []
        minimal = False
        for dummy in range(len(PROBE_FIELDS) + 2):
            body = self.body()
            try:
                status, data, unknown = self.api.create_provider(body, 'create the probe provider')
            except ApiCallError as exc:
                err = exc.error
                field = _refused_field(err)
                if err.status == 400 and field in dict(PROBE_FIELDS) and field not in self.refused_fields:
                    self.refused_fields.append(field)
                    continue
                if err.status == 400 and not minimal:
                    # refused without naming a field: once more with the required fields only
                    minimal = True
                    self.notes.append('The create with every field of the custom family was refused (HTTP 400 %s: '
                                      '%s); the probe created the provider with the required fields only, so the '
                                      'kept fields were not probed.' % (err.code, err.message[:200]))
                    self.refused_fields = [f for f, dummy in PROBE_FIELDS]
                    continue
                if err.status is None:
                    self.created = None  # it may exist: the cleanup looks for it by name
                exc.extra.update(self._partial())
                raise
            if unknown is not None:
                # the outcome is unknown: the provider may exist; the cleanup looks for it by name
                self.created = None
                raise to_module_fail(unknown, **self._partial())
            break
        data = data if isinstance(data, dict) else {}
        self.created = True
        self.sent = body
        self.create_answer = data
        ident = data.get('id')
        try:
            check_listing_entity(1, dict(id=ident))
        except GenesysModuleFail:
            ident = None
        if not ident:
            raise GenesysModuleFail('Genesys Cloud created the probe provider %s but its answer carries no usable id; '
                                    'the cleanup looks for it by name.' % self.name, **self._partial())
        self.created_id = ident
        return data

    # ---- step 4: lags
    def wait_reflected(self, read_ok, list_ok, budget):
        """Poll GET /{id} and the listing until both reflect the last write, bounded by ``budget``.

        Returns ``{'read': seconds or None, 'listing': seconds or None, 'read_body': body, 'entry': entry}``;
        None means not reflected within the budget (``waited`` says how long was waited).
        """
        start = self.clock()
        out = dict(read=None, listing=None, read_body=None, entry=None, polls=0)
        while True:
            out['polls'] += 1
            if out['read'] is None:
                data = self.step(self.api.read_provider, CUSTOM_TYPE, self.created_id, action='read the probe provider')
                if data and read_ok(data):
                    out['read'] = self.clock() - start if out['polls'] > 1 else 0.0
                    out['read_body'] = data
            if out['listing'] is None:
                entry = next((e for e in self.listing() if e.get('id') == self.created_id), None)
                if entry is not None and list_ok(entry):
                    out['listing'] = self.clock() - start if out['polls'] > 1 else 0.0
                    out['entry'] = entry
            if out['read'] is not None and out['listing'] is not None:
                break
            waited = self.clock() - start
            left = budget.left()
            if left <= 0:
                break
            self.sleep(min(max(POLL_MIN, waited / 10.0), POLL_MAX, max(left, 0.01)))
        out['waited'] = self.clock() - start
        return out

    def record_lags(self, create, update):
        for key, label, what in (('read_lag_s', 'read', 'GET /api/v2/identityproviders/{id}'),
                                 ('listing_lag_s', 'listing', 'the listing GET /api/v2/identityproviders')):
            values = dict(after_create_s=_round(create[label]) if create else None,
                          after_update_s=_round(update[label]) if update else None)
            self.measurements[key[:-2]] = values
            if create is not None and update is not None and create[label] is not None and update[label] is not None:
                self.variants[key] = _round(max(create[label], update[label]))
                continue
            waited = max([r['waited'] for r in (create, update) if r] or [0.0])
            if create is not None and create[label] is not None and update is None:
                self.not_measured[key] = ('%s reflected the create after %.1f s, but the update was not tried: the '
                                          'other read had not caught up with the create within the budget (max_wait '
                                          '%.0f s). Run the probe again with a larger max_wait.'
                                          % (what, create[label], float(self.params['max_wait'])))
                continue
            self.not_measured[key] = ('%s did not reflect the %s within the budget (max_wait %.0f s; waited %.1f s): '
                                      'the lag is longer than that. Set %s to at least %.0f by hand, or run the probe '
                                      'again with a larger max_wait.'
                                      % (what, 'create' if create is None or create[label] is None else 'update',
                                         float(self.params['max_wait']), waited, key, waited))

    # ---- fields, certificate, relying party
    def inspect(self, body):
        kept, dropped, changed = [], [], {}
        for field, value in PROBE_FIELDS:
            if field in self.refused_fields:
                continue
            read = body.get(field)
            if read is None:
                dropped.append(field)
            elif _changes_to_normal(read) == _changes_to_normal(value):
                kept.append(field)
            else:
                changed[field] = dict(sent=value, read=read)
        sent_fp = _fingerprint(self.pem)
        read_fps = set(filter(None, (_fingerprint(v) for v in (body.get('certificates') or []))))
        if body.get('certificate'):
            read_fps.add(_fingerprint(body.get('certificate')))
        certs_kept = sent_fp in read_fps
        self.measurements['custom_fields'] = dict(kept=kept, dropped=dropped, changed=changed,
                                                  refused_on_create=list(self.refused_fields),
                                                  certificate_kept=certs_kept)
        self.measurements['per_type_fields'] = (
            'not probed: the per-type (non-generic) types can only be probed by writing a per-type provider, which '
            'could replace a live one; the probe never writes one')
        self.not_measured['dropped_fields'] = (
            'the variant is about the non-generic per-type types (okta, adfs, ...), which the probe never writes. '
            'The custom family dropped: %s' % (', '.join(dropped) or 'nothing'))
        echo_single = classify_echo(self.pem, body.get('certificate'))
        many = body.get('certificates')
        echo_many = classify_echo(self.pem, many[0] if isinstance(many, list) and many else None)
        self.measurements['certificate_echo'] = dict(sent='pem', certificate=echo_single, certificates=echo_many)
        echo = _single(e for e in (echo_single, echo_many) if e != 'absent')
        if echo in ('verbatim', 'bare_base64'):
            self.variants['certificate_echo'] = echo
        else:
            self.not_measured['certificate_echo'] = ('the certificate was read back as certificate=%s, '
                                                     'certificates=%s' % (echo_single, echo_many))
        rpi = body.get('relyingPartyIdentifier')
        filled = isinstance(rpi, str) and rpi.strip() != ''
        self.measurements['relying_party'] = dict(sent='', read_back=rpi if isinstance(rpi, str) else None,
                                                  filled=filled)
        self.variants['fill_relying_party'] = filled

    # ---- step 5: strict
    def strict(self):
        body = self.body('v2', extra={UNKNOWN_FIELD: 'probe'})
        try:
            status, dummy, unknown = self.api.put_provider(CUSTOM_TYPE, self.created_id, body,
                                                           'update the probe provider with an unknown field')
            if unknown is not None:
                raise ApiCallError(unknown, 'update the probe provider with an unknown field')
        except ApiCallError as exc:
            err = exc.error
            if err.status == 400:
                self.measurements['strict_fields'] = dict(field=UNKNOWN_FIELD, status=400, code=err.code)
                self.variants['strict_fields'] = True
                return
            self.measurements['strict_fields'] = dict(field=UNKNOWN_FIELD, status=err.status, code=err.code)
            self.not_measured['strict_fields'] = ('a PUT with the unknown field %s answered HTTP %s %s'
                                                  % (UNKNOWN_FIELD, err.status, err.code))
            return
        self.measurements['strict_fields'] = dict(field=UNKNOWN_FIELD, status=status, code=None)
        self.variants['strict_fields'] = False

    # ---- paging
    def record_paging(self):
        most = max(self.pages_seen, key=lambda pages: sum(p['entries'] for p in pages)) if self.pages_seen else []
        entries = sum(p['entries'] for p in most)
        paged = [pages for pages in self.pages_seen if len(pages) > 1]
        info = dict(max_entries=entries, paged=bool(paged),
                    pages=len(paged[0]) if paged else (1 if most else 0))
        if paged:
            first = paged[0][0]
            size = first['entries']
            info['page_size'] = size
            info['envelope_page_size'] = first.get('pageSize')
            self.variants['page_size'] = size
        else:
            self.not_measured['page_size'] = ('the listing was never paged: at most %d entries, all on one page; a '
                                              'page size above %d cannot be seen from this org' % (entries, entries))
        self.measurements['paging'] = info

    # ---- step 6: cleanup
    def delete_created(self):
        """Delete the provider this run created (by id, or by name when the create's outcome is unknown)."""
        if self.created is False:
            return
        ids = [self.created_id] if self.created_id else []
        start = self.clock()
        while not ids:
            # found by its unique name; the listing may lag behind the create, so it is read for a while
            try:
                ids = [e.get('id') for e in self.listing() if e.get('name') == self.name and e.get('id')]
            except GenesysModuleFail as exc:
                self.leftovers.append(dict(name=self.name, id=None, reason=exc.msg))
                return
            if ids or self.clock() - start > CLEANUP_WAIT:
                break
            self.sleep(min(POLL_MAX, max(1.0, (self.clock() - start) / 5.0)))
        if not ids:
            self.notes.append('The create of %s had an unknown outcome and no provider of that name was listed within '
                              '%d s: check Admin > Single Sign-on for it.' % (self.name, CLEANUP_WAIT))
        for ident in ids:
            try:
                self.delete_one(ident)
            except (GenesysModuleFail, GenesysError) as exc:
                self.leftovers.append(dict(name=self.name, id=ident, reason=getattr(exc, 'msg', None) or str(exc)))

    def delete_one(self, ident):
        path = self.api.provider_path(CUSTOM_TYPE, ident)
        start = self.clock()
        reason = None
        while True:
            try:
                status, dummy, unknown = self.api.delete_provider(CUSTOM_TYPE, ident, 'delete the probe provider')
                if unknown is not None:
                    raise ApiCallError(unknown, 'delete the probe provider')
            except ApiCallError as exc:
                reason = exc.error.describe()
                if exc.error.status in (400, 401, 403, 409):
                    break
            else:
                if status != 404:
                    self.deleted = True
                    self.measurements.setdefault('deleted', []).append(dict(id=ident, status=status))
                    return True
                # 404: not there (yet: a create may not have reached every node); gone when a read agrees
                try:
                    read_status = 404 if self.api.read_provider(CUSTOM_TYPE, ident) is None else 200
                except ApiCallError as exc:
                    read_status, reason = None, exc.error.describe()
                if read_status == 404 and self.clock() - start > min(CLEANUP_WAIT, 5.0):
                    self.deleted = True
                    self.measurements.setdefault('deleted', []).append(dict(id=ident, status=404))
                    return True
                reason = 'DELETE %s answered 404 while the provider may still exist' % path
            if self.clock() - start > CLEANUP_WAIT:
                break
            self.sleep(min(POLL_MAX, max(1.0, (self.clock() - start) / 5.0)))
        self.leftovers.append(dict(name=self.name, id=ident, reason=reason))
        return False


def _round(value):
    return None if value is None else round(float(value), 1)


def _fingerprint(text):
    cert = parse_api_certificate(text) if isinstance(text, str) else None
    return getattr(cert, 'fingerprint', None) if cert is not None else None


def _refused_field(err):
    body = getattr(err, 'body', None)
    if isinstance(body, dict):
        for detail in body.get('details') or []:
            if isinstance(detail, dict) and detail.get('fieldName'):
                return detail['fieldName']
    return None


def variant_file_text(variants, report_name='probe-report.json'):
    """The emulator --variant-file (YAML: a flat mapping; every value written as JSON, which YAML reads)."""
    lines = ['---',
             '# Emulator platform variants measured by genesyscloud.sso.genesys_platform_probe (see %s).' % report_name,
             '#   python -m genesys_emulator --state-dir DIR --variant-file THIS_FILE',
             '# Keys the probe could not measure are left out (the report says why).']
    for key in VARIANT_KEYS:
        if key in variants:
            lines.append('%s: %s' % (key, json.dumps(variants[key])))
    return '\n'.join(lines) + '\n'


def _write_atomic(path, text):
    directory = os.path.dirname(os.path.abspath(path)) or '.'
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    fd, tmp = tempfile.mkstemp(prefix='.probe-', dir=directory)
    try:
        with os.fdopen(fd, 'w') as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def core(params, ctx, client=None, clock=time.monotonic, sleep=time.sleep):
    validate_params(params)
    if params.get('mode') == 'probe' and not params.get('i_understand_this_writes') and not ctx.check_mode:
        raise GenesysModuleFail(
            'Refusing to probe: the probe creates, changes and deletes one throwaway identity provider in the org, '
            'so run it only against a sandbox org and say so with i_understand_this_writes=true (the playbook: '
            '-e probe_i_understand_this_writes=true). Nothing was sent.', refused=True, changed=False)
    with connect(params, ctx, client=client) as api:
        if params.get('mode') == 'cleanup':
            return _cleanup(params, ctx, api, clock, sleep)
        return _probe(params, ctx, api, clock, sleep)


def _cleanup(params, ctx, client, clock, sleep):
    probe = Probe(params, ctx, client, clock=clock, sleep=sleep)
    found = [e for e in probe.listing() if e.get('name') == probe.name]
    targets = [e for e in found if e.get('disabled') is True]
    skipped = [dict(id=e.get('id'), reason='enabled: the probe only ever creates disabled providers')
               for e in found if e.get('disabled') is not True]
    if ctx.check_mode:
        return dict(changed=bool(targets), would_delete=[e.get('id') for e in targets], skipped=skipped,
                    msg='check mode: would delete %d provider(s) named %s' % (len(targets), probe.name))
    deleted = []
    for entry in targets:
        if probe.delete_one(entry['id']):
            deleted.append(entry['id'])
    result = dict(changed=bool(deleted), deleted=deleted, skipped=skipped, leftovers=probe.leftovers)
    if probe.leftovers:
        raise GenesysModuleFail(_leftover_msg(probe), **result)
    result['msg'] = 'deleted %d provider(s) named %s' % (len(deleted), probe.name)
    return result


def _leftover_msg(probe):
    return ('The probe provider %s could not be deleted (%s). Delete it by hand in Admin > Single Sign-on, or run '
            'the playbook again with -e probe_cleanup_name=%s.'
            % (probe.name, '; '.join('%s: %s' % (left['id'], left['reason']) for left in probe.leftovers), probe.name))


def _probe(params, ctx, client, clock, sleep):
    started = _utc_now()
    probe = Probe(params, ctx, client, clock=clock, sleep=sleep)
    org = probe.read_org()
    entities = probe.listing()
    bodies = probe.per_type_bodies()
    count = len(entities)
    if count >= REFUSE_AT_PROVIDERS:
        raise GenesysModuleFail(
            'Refusing to probe: the org already has %d identity providers and the probe needs fewer than %d (the '
            'platform holds at most 30 integrations and the probe adds one). Nothing was written. Fix: probe a '
            'sandbox org with fewer providers.' % (count, REFUSE_AT_PROVIDERS), refused=True, changed=False,
            providers=count)
    probe.shapes(entities, bodies)
    if ctx.check_mode:
        return dict(changed=True, providers=count, org=org, provider=probe.provider_info(),
                    listing_shapes=probe.measurements['listing_shapes'],
                    msg='check mode: read only. A real run (i_understand_this_writes=true) would create the disabled '
                        'custom provider %s, time reads and the listing after a create and a PUT (max_wait %.0f s), '
                        'send one PUT with an unknown field, delete the provider and write %s and %s.'
                        % (probe.name, float(params['max_wait']), params.get('report_path') or 'no report',
                           params.get('variant_file') or 'no variant file'))
    budget = _Budget(float(params['max_wait']), clock)
    failure = None
    create_lag = update_lag = None
    try:
        probe.create()
        name = probe.name
        create_lag = probe.wait_reflected(lambda d: d.get('name') == name,
                                          lambda e: e.get('name') == name, budget)
        body = create_lag['read_body']
        if body is None:
            probe.notes.append('GET of the probe provider never answered within the budget: the fields, the '
                               'certificate echo and the relying party were read from the POST answer')
        probe.inspect(body if body is not None else probe.create_answer)
        entry = create_lag['entry']
        if entry is not None:
            probe.measurements['listing_shapes']['custom'] = dict(id=id_shape(entry.get('id')),
                                                                  self_uri=self_uri_shape(entry))
        if create_lag['read'] is not None and create_lag['listing'] is not None:
            issuer = probe.body('v2')['issuerURI']
            dummy, dummy, unknown = probe.step(probe.api.put_provider, CUSTOM_TYPE, probe.created_id,
                                               probe.body('v2'), 'update the probe provider')
            if unknown is not None:
                raise to_module_fail(unknown, **probe._partial())
            update_lag = probe.wait_reflected(lambda d: d.get('issuerURI') == issuer,
                                              lambda e: e.get('issuerURI') == issuer, budget)
        probe.record_lags(create_lag, update_lag)
        probe.strict()
    except GenesysModuleFail as exc:
        failure = exc
    except Exception as exc:  # the provider is deleted whatever went wrong; the error is reported then
        failure = GenesysModuleFail('The probe stopped on an unexpected error: %s: %s'
                                    % (type(exc).__name__, str(exc)[:300]))
    finally:
        probe.delete_created()
    probe.record_paging()
    probe.not_measured['refuse_last_provider_delete'] = (
        'deleting the last provider while "Disable Genesys Cloud Login" is on would lock the org out; never tried')
    report = dict(
        format=REPORT_FORMAT,
        started=_iso(started), finished=_iso(_utc_now()),
        org=org, providers_before=count,
        provider=probe.provider_info(),
        variants=dict((k, probe.variants[k]) for k in VARIANT_KEYS if k in probe.variants),
        not_measured=dict((k, probe.not_measured[k]) for k in VARIANT_KEYS if k in probe.not_measured),
        measurements=probe.measurements,
        notes=probe.notes,
        leftovers=probe.leftovers,
        complete=failure is None and not probe.leftovers,
        api_requests=getattr(client, 'request_count', None),
    )
    if failure is not None:
        report['error'] = failure.msg
    files = {}
    outputs = []
    if params.get('report_path'):
        outputs.append(('report_path', json.dumps(report, indent=2, sort_keys=True) + '\n'))
    if params.get('variant_file') and failure is None:
        outputs.append(('variant_file', variant_file_text(report['variants'],
                                                          os.path.basename(params.get('report_path')
                                                                           or 'probe-report.json'))))
    for option, text in outputs:
        try:
            _write_atomic(params[option], text)
        except (IOError, OSError) as exc:
            if failure is None:
                failure = GenesysModuleFail('%s %s could not be written (%s). Fix: give a writable path (the '
                                            'measurements are in this result: report, variants).'
                                            % (option, params[option], exc))
            continue
        files[option] = params[option]
    result = dict(changed=True, report=report, variants=report['variants'], provider=probe.provider_info(),
                  leftovers=probe.leftovers, files=files)
    if failure is not None:
        extra = dict(failure.extra)
        extra.update(result)
        raise GenesysModuleFail('%s%s' % (failure.msg, (' ' + _leftover_msg(probe)) if probe.leftovers else
                                          ' The probe provider was deleted.' if probe.deleted else ''), **extra)
    if probe.leftovers:
        raise GenesysModuleFail(_leftover_msg(probe), **result)
    result['msg'] = ('probed the org with the throwaway provider %s (deleted); variants: %s'
                     % (probe.name, ', '.join('%s=%s' % (k, json.dumps(v)) for k, v in report['variants'].items())))
    return result
