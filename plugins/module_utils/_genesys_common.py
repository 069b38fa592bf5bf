# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the shared entry-point contract of every genesyscloud.sso
module (the run context, the connection options and spec builder, the secret masker).

Every user-facing module has one *core*: a function ``core(params, ctx)`` that
returns a result dict (``changed``, ``diff``, return values...) or raises
:class:`GenesysModuleFail`.  The same core runs

* in the module process, through :func:`run_module` (``AnsibleModule``), and
* in the controller process, through the action plugin of the same name
  (``plugins/plugin_utils/genesys_action.py``).

``ctx`` is a :class:`RunContext`: it carries check/diff mode and collects
warnings, so the core never touches ``AnsibleModule`` directly.

A module's *spec* is a dict holding the ``argument_spec`` plus the keyword
arguments that ``AnsibleModule`` takes for cross-option rules
(``mutually_exclusive``, ``required_if``, ``required_one_of``,
``required_together``, ``required_by``) and ``supports_check_mode``.

Secrets: :class:`SecretMasker` is the one masker of both paths. It masks every
value registered as secret (no_log options, the tokens the client mints: the
client reports them itself through :func:`report_secret`) in every form it can
take in an output (raw, URL-encoded, JSON-escaped, base64, the HTTP Basic
credential), the value of any ``Authorization`` header and any Bearer/Basic
credential shown in a text, and removes every PEM private-key block from the
result and the invocation.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import json
import re
import threading

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.six.moves.urllib.parse import quote, quote_plus

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_grants as grants

SPEC_RULE_KEYS = (
    'mutually_exclusive',
    'required_if',
    'required_one_of',
    'required_together',
    'required_by',
)

MASK = '********'
PRIVATE_KEY_MARKER = '<private key removed>'

# a PEM private-key block (PKCS#8, ENCRYPTED, RSA/EC/DSA/OPENSSH ...); an unterminated one is removed to the end
_PRIVATE_KEY_RE = re.compile(r'-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)',
                             re.S)
# the value of an Authorization header however it is shown (``Authorization: Bearer x``, ``'authorization': 'Basic x'``,
# ``Authorization=Bearer+x`` in a form)
# (not a permission name of the form ``authorization:role:view``: the platform's 403 messages name those)
_AUTH_HEADER_RE = re.compile(r'''(?i)(\bauthorization\b["']?\s*(?:[:=]|%3A|%3D)\s*["']?)'''
                             r'''(?![a-z*]+:[a-z*]+(?![A-Za-z0-9\-._~+/%=]))'''
                             r'''((?:(?:bearer|basic|token|digest|negotiate|ntlm)(?:\s+|%20|\+))?'''
                             r'''[^\s"',;&}\]\\()<>]{8,})''')
# a Bearer / Basic credential anywhere in a text (also URL-encoded: ``Bearer%20x``, ``Bearer+x``)
_SCHEME_RE = re.compile(r'(?i)\b(bearer|basic)(\s+|%20|\+)([A-Za-z0-9\-._~+/%]{8,}=*)')
# below this length a derived form (URL-encoded, base64 ...) is not masked: it would mask ordinary words
MIN_DERIVED_LEN = 6


def _looks_like_credential(word):
    """A word after Bearer/Basic that is a credential, not prose ('Basic authentication' is prose)."""
    if len(word) < 8:
        return False
    return bool(re.search(r'[0-9\-._~+/=%]', word) or re.search(r'[A-Z]', word[1:]))


def secret_forms(value):
    """Every form a secret can take in an output: raw, URL-encoded (quote, quote_plus), JSON-escaped (once and
    twice), base64. Blank values have no form (masking them would mask every space)."""
    if value is None or isinstance(value, bool):
        return set()
    if not isinstance(value, str):
        value = str(value)
    if not value.strip():
        return set()
    forms = set([value])
    derived = set()
    # rstrip('='): an unpadded base64 credential (the Basic form cut or re-encoded)
    for candidate in (value.strip(), value.rstrip('='), quote(value, safe=''), quote(value), quote_plus(value),
                      quote_plus(value, safe='/')):
        derived.add(candidate)
    for escaped in (json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]):
        derived.add(escaped)
        derived.add(json.dumps(escaped)[1:-1])
    raw = value.encode('utf-8')
    b64 = base64.b64encode(raw).decode('ascii')
    derived.update([b64, b64.rstrip('=')])
    forms.update(f for f in derived if f and len(f) >= MIN_DERIVED_LEN)
    return forms


def basic_credential(client_id, client_secret):
    """The HTTP Basic credential ``base64(id:secret)`` the client-credentials grant sends."""
    return base64.b64encode(('%s:%s' % (client_id, client_secret)).encode('utf-8')).decode('ascii')


class SecretMasker:
    """The secrets of one run and every form they take; masks texts and results (both execution paths)."""

    def __init__(self, values=()):
        self.values = set()
        for value in values:
            self.add(value)

    def add(self, value):
        if value is None or isinstance(value, bool):
            return
        value = value if isinstance(value, str) else str(value)
        if value.strip():
            self.values.add(value)

    def add_client(self, client_id, client_secret):
        """A client-credentials pair: the secret and its HTTP Basic form."""
        if client_secret is not None and str(client_secret).strip():
            self.add(client_secret)
            if client_id is not None:
                self.add(basic_credential(client_id, client_secret))

    def update(self, values):
        for value in values or ():
            self.add(value)

    def forms(self):
        out = set()
        for value in self.values:
            out.update(secret_forms(value))
        return out

    def mask_text(self, text):
        """``text`` with every secret form, Authorization value and Bearer/Basic credential masked and every
        private-key block removed."""
        if not isinstance(text, str) or not text:
            return text
        text = scrub_text(text)
        for form in sorted(self.forms(), key=len, reverse=True):
            if form in text:
                text = text.replace(form, MASK)
        return text

    def mask(self, data, keep=()):
        """A copy of ``data`` (a result) masked like ``AnsibleModule`` masks no_log values (a value that is a
        secret becomes VALUE_SPECIFIED_IN_NO_LOG_PARAMETER, a secret inside a text ``********``), plus the
        patterns of :func:`scrub`. Top-level keys in ``keep`` are returned as they are (the token
        genesys_token exists to return); top-level booleans and None are kept like AnsibleModule keeps them."""
        from ansible.module_utils.common.parameters import remove_values

        if not isinstance(data, dict):
            forms = self.forms()
            return scrub(remove_values(data, forms) if forms else data)
        kept = dict((k, v) for k, v in data.items() if k in keep or v is None or isinstance(v, bool))
        rest = dict((k, v) for k, v in data.items() if k not in kept)
        forms = self.forms()
        masked = scrub(remove_values(rest, forms) if forms else copy.deepcopy(rest))
        masked.update(kept)
        return masked


def scrub_text(text):
    """Private-key blocks removed, Authorization header values and Bearer/Basic credentials masked."""
    if not isinstance(text, str) or not text:
        return text
    if 'PRIVATE KEY-----' in text:
        text = _PRIVATE_KEY_RE.sub(PRIVATE_KEY_MARKER, text)
    if re.search('(?i)authorization', text):
        text = _AUTH_HEADER_RE.sub(lambda m: m.group(1) + MASK, text)
    if re.search('(?i)bearer|basic', text):
        text = _SCHEME_RE.sub(lambda m: (m.group(1) + m.group(2) + MASK) if _looks_like_credential(m.group(3))
                              else m.group(0), text)
    return text


def scrub(data):
    """A copy of ``data`` (dicts, lists, texts) with :func:`scrub_text` applied to every text (keys included)."""
    if isinstance(data, str):
        return scrub_text(data)
    if isinstance(data, dict):
        return dict((scrub_text(k) if isinstance(k, str) else k, scrub(v)) for k, v in data.items())
    if isinstance(data, (list, tuple)):
        return type(data)(scrub(v) for v in data) if isinstance(data, list) else tuple(scrub(v) for v in data)
    return data


def connection_secrets(params):
    """Secrets of a parameter dict the masker must know before any request (the Basic form included)."""
    masker = SecretMasker()
    params = params or {}
    masker.add_client(params.get('client_id'), params.get('client_secret'))
    for key in grants.SECRET_OPTIONS:
        value = params.get(key)
        if isinstance(value, str):
            masker.add(value)
            masker.add(value.strip())
    for entry in params.get('clients') or []:
        if isinstance(entry, dict):
            masker.add_client(entry.get('client_id'), entry.get('client_secret'))
    return masker.values


# ---------------------------------------------------------------------------------------------------
# the run context and the secrets the client reports while a core runs
# ---------------------------------------------------------------------------------------------------
_ACTIVE = threading.local()


def report_secret(value):
    """Register ``value`` (a token the client minted, a credential it sends) with every running RunContext.

    GenesysClient calls this itself, so no core can forget to register a token it obtained.
    """
    for ctx in list(getattr(_ACTIVE, 'stack', ()) or ()):
        ctx.add_secret(value)


def connection_argument_spec():
    """The connection options every module shares (doc fragment genesyscloud.sso.genesys): the host, TLS and retry
    options, and the credential options of every grant (``_genesys_grants.CREDENTIAL_OPTIONS``), so that every
    module of the action group mints its own token for any grant."""
    spec = dict(
        region=dict(type='str', fallback=(env_fallback, ['GENESYSCLOUD_REGION'])),
        api_url=dict(type='str', fallback=(env_fallback, ['GENESYSCLOUD_API_URL'])),
        login_url=dict(type='str', fallback=(env_fallback, ['GENESYSCLOUD_LOGIN_URL'])),
    )
    for name, opt in grants.CREDENTIAL_OPTIONS:
        option = dict(type=opt['type'])
        if name == 'grant_type':
            option['choices'] = list(grants.GRANT_TYPES)
        if opt['no_log']:
            option['no_log'] = True
        if opt['env']:
            option['fallback'] = (env_fallback, [opt['env']])
        spec[name] = option
    spec.update(
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path', fallback=(env_fallback, ['GENESYSCLOUD_CA_PATH'])),
        timeout=dict(type='float', default=30.0),
        retries=dict(type='int', default=5),
    )
    return spec


def build_spec(argument_spec, with_connection=True, **rules):
    """Return a module spec dict: argument_spec (+ connection options) and rules.

    With the connection options, ``required_if`` starts with the grant table's rules (each grant's required
    options, ``_genesys_grants.required_if``), followed by the module's own rules.
    """
    full = connection_argument_spec() if with_connection else {}
    full.update(copy.deepcopy(argument_spec))
    if with_connection:
        rules['required_if'] = grants.required_if() + list(rules.get('required_if') or [])
    spec = dict(argument_spec=full, supports_check_mode=rules.pop('supports_check_mode', True))
    for key in SPEC_RULE_KEYS:
        if rules.get(key):
            spec[key] = rules.pop(key)
        else:
            rules.pop(key, None)
    if rules:
        raise TypeError('unknown spec keys: %s' % ', '.join(sorted(rules)))
    return spec


class GenesysModuleFail(Exception):
    """A clean task failure: ``msg`` for the user, ``extra`` merged into the result."""

    def __init__(self, msg, **extra):
        super(GenesysModuleFail, self).__init__(msg)
        self.msg = msg
        self.extra = extra


class RunContext:
    """What a core may know of the run it is part of.

    While a core runs (``with ctx:``) the context is *active*: every secret the client reports through
    :func:`report_secret` (the tokens it mints, the credentials it sends) is registered here, so the result,
    the warnings and the messages are masked for it on both paths.
    """

    def __init__(self, check_mode=False, diff_mode=False, tmpdir=None, execution='module'):
        self.check_mode = bool(check_mode)
        self.diff_mode = bool(diff_mode)
        self.tmpdir = tmpdir
        self.execution = execution
        self.warnings = []
        self.secrets = set()
        self.unmasked_keys = set()

    def warn(self, msg):
        if msg not in self.warnings:
            self.warnings.append(msg)

    def add_secret(self, value):
        """Mask ``value`` (in all its forms) wherever it would appear in the task result (like no_log)."""
        if isinstance(value, str) and value.strip():
            self.secrets.add(value)
            self.secrets.add(value.strip())
        elif value and not isinstance(value, (bool, str)):
            self.secrets.add(str(value))

    def return_unmasked(self, key):
        """Return the top-level result key ``key`` of a successful run as it is (genesys_token's
        ``access_token``, the value the module exists to return); it stays masked everywhere else."""
        self.unmasked_keys.add(key)

    def masker(self, no_log_values=(), params=None):
        masker = SecretMasker(no_log_values)
        masker.update(self.secrets)
        if params is not None:
            masker.update(connection_secrets(params))
        return masker

    def __enter__(self):
        stack = getattr(_ACTIVE, 'stack', None)
        if stack is None:
            stack = _ACTIVE.stack = []
        stack.append(self)
        return self

    def __exit__(self, *exc):
        stack = getattr(_ACTIVE, 'stack', None) or []
        if self in stack:
            stack.remove(self)
        return False


def mask_output(result, masker, keep=()):
    """``result`` masked by ``masker``; ``keep`` (top-level keys) only for a result that did not fail."""
    return masker.mask(result, keep=() if result.get('failed') else tuple(keep))


def _genesys_module_class():
    """``AnsibleModule`` whose every exit (argument errors included) goes through :class:`SecretMasker`:
    private keys out of the result and of ``invocation.module_args``, every secret masked in all its forms."""
    from ansible.module_utils.basic import AnsibleModule

    class GenesysAnsibleModule(AnsibleModule):
        genesys_ctx = None

        def _return_formatted(self, kwargs):
            ctx = self.genesys_ctx or RunContext()
            masker = ctx.masker(self.no_log_values, params=self.params)
            kwargs = mask_output(kwargs, masker, keep=ctx.unmasked_keys)
            # invocation.module_args (added below from self.params): masked and scrubbed too; the module exits next
            self.params = masker.mask(self.params)
            return super(GenesysAnsibleModule, self)._return_formatted(kwargs)

    return GenesysAnsibleModule


def run_module(spec, core):
    """Run ``core`` as an Ansible module (the plain module path)."""
    module = _genesys_module_class()(**spec)
    ctx = RunContext(check_mode=module.check_mode, diff_mode=module._diff,
                     tmpdir=getattr(module, 'tmpdir', None), execution='module')
    module.genesys_ctx = ctx
    failure = None
    try:
        with ctx:
            result = core(module.params, ctx)
    except GenesysModuleFail as exc:
        failure = exc
    masker = ctx.masker(module.no_log_values, params=module.params)
    for w in ctx.warnings:
        module.warn(masker.mask_text(w))
    if failure is not None:
        module.fail_json(msg=failure.msg, **failure.extra)
    module.exit_json(**result)
