# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the saml_sso role prints and emits per org, built from the registered results of its steps.

Behind the filters of ``plugins/filter/saml_sso.py``. Plain Python instead of Jinja loops: every task of the
role runs in a new worker process per org, where a large template is compiled again each time, and the fleet
runs the role for hundreds of orgs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import hashlib
import numbers
import os
import re
from collections.abc import Mapping

import yaml

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_grants as grants
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_report import other_provider_warnings
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_handoff import handoff as _handoff
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values

try:  # the C loader parses the role's argument specs several times faster (once per worker process)
    from yaml import CSafeLoader as _SpecLoader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _SpecLoader


def _mapping(value):
    return value if isinstance(value, Mapping) else {}


def _plain(value):
    """``value`` as plain Python containers and scalars. Ansible hands a filter its variables as tagged subclasses
    (ansible-core 2.19 data tagging), and ArgumentSpecValidator deep-copies what it validates: a copy of tagged values
    costs many times that of plain ones, in the worker of every org."""
    if isinstance(value, Mapping):
        return dict((_plain(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    for kind in (bool, str, int, float):
        if isinstance(value, kind):
            return kind(value) if type(value) is not kind else value  # pylint: disable=unidiomatic-typecheck
    return value


def _number(value):
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def client_lines(check):
    """One line per client of a genesys_oauth_check result; [] when the check did not run (skipped or unset).

    A check that failed to run at all (no report) gives one line with its error.
    """
    check = _mapping(check)
    if not check or check.get('skipped'):
        return []
    lines = []
    for client in check.get('report') or []:
        if not isinstance(client, Mapping):
            continue
        label = client.get('name') or client.get('client_id')
        if client.get('unreachable') and not client.get('passed'):
            # the host, not the client: say so (a connection error says nothing about the client's credentials)
            bad = [item.get('detail') for item in client.get('checks') or [] if isinstance(item, Mapping)
                   and not item.get('passed') and item.get('detail')]
            lines.append('%s: NOT CHECKED - the Genesys Cloud host could not be reached: %s'
                         % (label, '; '.join(bad) or 'connection error'))
        elif client.get('passed'):
            lifetime = client.get('token_lifetime')
            lines.append('%s: OK%s' % (label, ' (token valid for %s s)' % lifetime if lifetime is not None else ''))
        else:
            bad = ['%s%s' % (item.get('name'), ': %s' % item['detail'] if item.get('detail') else '')
                   for item in client.get('checks') or [] if isinstance(item, Mapping) and not item.get('passed')]
            lines.append('%s: FAILED - %s' % (label, ', '.join(bad) if bad else 'see the report'))
    if not lines:
        lines.append('The OAuth client check did not run: %s' % (check['msg'] if 'msg' in check else 'no report returned'))
    return lines


def provider_lines(providers):
    """One line per provider of an overview (genesys_identity_provider_info's or list_providers' providers)."""
    lines = []
    for provider in providers or []:
        if not isinstance(provider, Mapping):
            continue
        certs = [c for c in provider.get('certificates') or [] if isinstance(c, Mapping)]
        days = [c['days_left'] for c in certs if _number(c.get('days_left'))]
        line = "%s '%s': %s" % (provider.get('type'), provider.get('name') or provider.get('type'),
                                'enabled' if provider.get('enabled') else 'disabled')
        if provider.get('issuer_uri'):
            line += ', issuer %s' % provider['issuer_uri']
        line += ', %d certificate(s)' % len(certs)
        if days:
            line += ', first expiry in %s days' % min(days)
        lines.append(line)
    return lines or ['No identity provider is configured yet.']


def _unreachable(check):
    """True when every failing client of a genesys_oauth_check result failed because the host could not be reached."""
    failing = [c for c in _mapping(check).get('report') or [] if isinstance(c, Mapping) and not c.get('passed')]
    return bool(failing) and all(c.get('unreachable') for c in failing)


def _clients_entry(check):
    """checked/passed/lines of a genesys_oauth_check result, plus unreachable=True when only the host failed."""
    entry = dict(checked=len(check.get('report') or []), passed=check.get('passed'), lines=client_lines(check))
    if _unreachable(check):
        entry['unreachable'] = True
    return entry


def _clients_state(clients):
    if clients['passed']:
        return 'all OK'
    return 'NOT CHECKED (the Genesys Cloud host could not be reached)' if clients.get('unreachable') else 'FAILED'


def _head(r, cert_count):
    if r['status'] == 'failed':
        return 'FAILED at "%s": %s' % (r['failed_step'], r['error'])
    fields = ', '.join(r['changed_fields']) or 'all fields'
    ptype = r['provider']['type']
    if r['mode'] == 'check':
        if not r['changed']:
            return 'check mode, no change needed'
        return 'check mode, would %s the %s provider (%s)' % ('create' if r['action'] == 'created' else 'update',
                                                              ptype, fields)
    if r['changed']:
        return '%s the %s provider (%s)' % (r['action'], ptype, fields)
    if r['action'] == 'skipped':
        return 'the provider was not read: step 4 did not run (only other tags were selected)'
    if r['mode'] == 'verify':
        return ('verified: the %s provider is %s and matches the intended fields and %d certificate fingerprint(s)'
                % (ptype, 'enabled' if r['provider']['enabled'] else 'disabled', cert_count))
    return 'no change needed, the provider is already as intended'


NOT_VERIFIED = 'OAuth automation NOT verified: no preserved clients configured'


def summary(configure, org='', provider_type='', mode='apply', failed=False, failed_step='', error='',
            rolled_back=False, clients_before=None, clients_after=None, expiry_warn_days=30, preserved_clients=None):
    """saml_sso_result of the role's main entry point: the facts of the run and the lines it prints.

    ``configure`` is the registered genesys_identity_provider result of step 4 (anything else, e.g. {} when the
    step did not run, counts as "no provider result"). ``preserved_clients``: how many preserved OAuth clients the
    org has (``saml_sso_preserved_clients | length``); with 0, step 1 checked the admin client's own grant instead,
    and the summary says loudly that the OAuth automation is NOT verified (None: not told, as before).
    """
    c = _mapping(configure)
    if 'provider' not in c:
        c = {}
    provider = _mapping(c.get('provider'))
    sp = _mapping(c.get('service_provider'))
    certs = [x for x in c.get('certificates') or [] if isinstance(x, Mapping)]
    expiring = [x.get('subject') for x in certs if _number(x.get('days_left')) and x['days_left'] <= int(expiry_warn_days)]
    module_changed = bool(c.get('changed'))
    rolled_back = bool(rolled_back)
    before, after = _mapping(clients_before), _mapping(clients_after)
    if rolled_back:
        action = 'restored'
    elif not c:
        action = 'skipped'  # step 4 did not run (another tag only, or the org failed before it)
    elif not module_changed:
        action = 'unchanged'
    else:
        action = 'updated' if _mapping(c.get('diff')).get('before') else 'created'
    r = dict(
        kind='configure',
        org=org,
        status='failed' if failed else 'ok',
        mode=mode,
        changed=module_changed and not rolled_back,
        changed_fields=list(c.get('changed_options') or []),
        action=action,
        rolled_back=rolled_back,
        failed_step=failed_step or '',
        error=error or '',
        organization=dict(_mapping(c.get('organization'))),
        providers_before=list(c.get('providers') or []),
        provider=dict(type=provider_type or '', id=provider.get('id') or '', name=provider.get('name') or '',
                      enabled=bool(provider.get('enabled', False))),
        certificates=certs,
        expiring_certificates=expiring,
        service_provider=dict(sp),
        backup_file=c.get('backup_file') or '',
        clients_before=_clients_entry(before),
        clients_after=_clients_entry(after),
        preserved_clients=preserved_clients,
        oauth_verified=preserved_clients is None or int(preserved_clients) > 0,
    )
    admin_only = not r['oauth_verified']
    # the org's OTHER enabled providers (the overview of step 4): an expired or expiring certificate there locks
    # out the users who sign in through them, whatever this run does
    r['warnings'] = other_provider_warnings(org, c.get('providers'), dict(
        type=provider_type or '', id=provider.get('id') or c.get('id') or '', name=provider.get('name') or ''),
        expiry_warn_days) if not failed else []

    lines = ['%s: %s' % (org, _head(r, len(certs)))]
    if admin_only:
        checked = r['clients_before']
        lines.append('%s (saml_sso_preserved_clients is empty): nothing proves that the bots and integrations of this '
                     'org keep working; list them in saml_sso_preserved_clients. The admin client\'s own '
                     'client-credentials grant: %s.' % (NOT_VERIFIED, 'not checked' if not checked['checked']
                                                        else ('OK' if checked['passed'] else 'FAILED')))
    org_info = r['organization']
    if org_info.get('short_name'):
        lines.append('Organization: %s (short name %s, id %s)'
                     % (org_info.get('name') or '', org_info['short_name'], org_info.get('id') or '?'))
    if 'providers' in c:
        lines.append('Providers before this run: ' + '; '.join(provider_lines(c['providers'])))
    if provider.get('id') or provider.get('name'):
        state = 'enabled' if r['provider']['enabled'] else 'disabled'
        ident = ' (id %s)' % provider['id'] if provider.get('id') else ''
        lines.append("Provider: %s '%s' %s%s" % (r['provider']['type'], r['provider']['name'], state, ident))
    for cert in certs:
        days = ''
        if 'days_left' in cert:
            days = ' (%s days%s)' % (cert['days_left'], ', RENEW SOON' if cert.get('subject') in expiring else '')
        lines.append('Certificate %s (SHA-256 %s): expires %s%s' % (cert.get('subject', '?'), cert.get('fingerprint', '?'),
                                                                    cert.get('not_after', '?'), days))
    if r['clients_before']['checked'] and not admin_only:
        lines.append('Preserved OAuth clients before the change: %d checked, %s'
                     % (r['clients_before']['checked'], _clients_state(r['clients_before'])))
    elif preserved_clients and not admin_only and not failed:
        # the tags left the OAuth proof out (--tags saml, --skip-tags oauth, --skip-tags saml,verify): say so,
        # never let a configured list read as a proof
        lines.append('Preserved OAuth clients were NOT validated in this run: the tags left step 1 out (run without '
                     '--tags, or with --tags oauth for the proof alone).')
    if r['clients_after']['checked']:
        lines.append('Preserved OAuth clients after the change: %s' % _clients_state(r['clients_after']))
    elif mode == 'apply' and not failed and not r['changed'] and r['clients_before']['checked'] and not admin_only:
        lines.append('Preserved OAuth clients were not validated again: nothing changed.')
    if mode == 'check' and not failed and r['changed']:
        lines.append('Check mode: nothing was written, so step 5 (verify the provider is active) and step 6 (validate '
                     'the preserved OAuth clients again) are skipped. The diff above is what a real run would apply.')
    lines.extend('WARNING: %s' % line for line in r['warnings'])
    if rolled_back:
        lines.append('ROLLED BACK: the provider was restored from %s' % r['backup_file'])
    elif r['backup_file']:
        lines.append('Backup of the previous provider: %s' % r['backup_file'])
    # the handoff to the IdP admin, from the provider as it ends (plugin_utils/genesys_handoff.py)
    r['handoff'] = _handoff(configure, org=org, mode=mode, failed=failed, rolled_back=rolled_back,
                            clients=clients_before)
    if r['handoff']['state'] != 'none' or rolled_back:
        lines.extend(r['handoff']['lines'])
    r['lines'] = lines
    return r


# ---------------------------------------------------------------------------------------------------------------
# The role's inputs (the first task of each entry point): unknown saml_sso_* variables, types, required options.
# ansible-core's own role argument validation prints the whole argument spec (11 KB) with its message; the
# collection's playbooks import the role with rolespec_validate: false and the role checks its inputs here instead,
# into one line that names the option and never a value.

# saml_sso_* variables that are not inputs but may be visible to a host: what the role sets (saml_sso_result) and
# what the collection's playbooks read (saml_sso_hosts).
NOT_INPUTS = ('saml_sso_result', 'saml_sso_hosts')
MASK = '********'
_SPECS = {}
_TYPE_ERROR = re.compile(r"^(Elements value for option|argument) '([^']+)'(?: found in '([^']+)'\.?)? is of type (\S+)"
                         r"(?: found in '([^']+)'\.?)? and we were unable to convert to (\w+)")
_REQUIRED_ERROR = re.compile(r'^missing required arguments: (.+?)(?: found in (.+))?$')
_CHOICE_ERROR = re.compile(r'^value of (\S+) must be one (?:or more )?of: (.*?)(?:, got: .*?|\. Got no match for: .*?)?(?: found in (.+))?$')


def role_argument_specs(path):
    """The ``argument_specs`` of a role's ``meta/argument_specs.yml`` (cached per file version and process)."""
    stat = os.stat(path)
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _SPECS:
        with open(path, 'rb') as handle:
            _SPECS.clear()
            _SPECS[key] = (yaml.load(handle, Loader=_SpecLoader) or {}).get('argument_specs') or {}  # nosec B506
    return _SPECS[key]


def _closest(name, candidates):
    found = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return found[0] if found else ''


def _unknown_variables(names, options, known):
    errors = []
    for name in sorted(names):
        if name in known:
            continue
        near = _closest(name, options) or _closest(name, known)
        errors.append('%s is not a variable of the saml_sso role%s: rename it, or remove it from the inventory, '
                      'group_vars, vars or -e (a misspelt input is otherwise ignored)'
                      % (name, ' (did you mean %s?)' % near if near else ''))
    return errors


def _sub_options(options, path):
    """Options of the nested option at ``path`` (a tuple of names), {} when unknown."""
    current = {'options': options}
    for part in path:
        current = (current.get('options') or {}).get(part) or {}
    return current.get('options') or {}


def _unsupported_lines(unsupported, options):
    lines = []
    for item in sorted(unsupported, key=str):
        path = tuple(item) if isinstance(item, (tuple, list)) else (item,)
        if not path:
            continue
        parent, name = path[:-1], path[-1]
        where = '.'.join(parent)
        near = _closest(name, _sub_options(options, parent))
        lines.append('%s is not an option of %s%s: rename or remove it'
                     % ('.'.join(path), where or 'the role', ' (did you mean %s.%s?)' % (where, near) if near else ''))
    return lines


def _dotted(where, name):
    return '%s.%s' % (where.replace(' -> ', '.'), name) if where else name


def _error_line(message):
    """ansible-core's validation message for one error, rewritten so that it names the option and holds no value."""
    match = _TYPE_ERROR.match(message)
    if match:
        kind, option, where, got, where2, wanted = match.groups()
        return '%s%s must be of type %s (it is a %s that does not convert to one)' % (
            'every element of ' if kind.startswith('Elements') else '', _dotted(where or where2, option), wanted,
            got.strip("<>'").replace("class '", ''))
    match = _REQUIRED_ERROR.match(message)
    if match:
        return '; '.join('%s is required' % _dotted(match.group(2), name.strip()) for name in match.group(1).split(','))
    match = _CHOICE_ERROR.match(message)
    if match:  # never echo the value given
        return '%s must be one of: %s' % (_dotted(match.group(3), match.group(1)), match.group(2))
    return re.sub(r'\.? Supported parameters include: .*$', '', message).rstrip('.')


PREFIX = 'saml_sso_'
# The host options: one of them (or its environment variable) must be set.
HOST_OPTIONS = (('region', 'GENESYSCLOUD_REGION'), ('api_url', 'GENESYSCLOUD_API_URL'))
_ENV = dict((name, opt['env']) for name, opt in grants.CREDENTIAL_OPTIONS if opt['env'])
_ENV.update(HOST_OPTIONS)


def role_input(values, option, environ):
    """The value of role input saml_sso_<option>, else its GENESYSCLOUD_* environment variable (as the module reads)."""
    value = _mapping(values).get(PREFIX + option)
    if grants.filled(value):
        return value
    env = _ENV.get(option)
    return environ.get(env, '') if env else ''


def credentials_error(values, org='', environ=None):
    """'' when the admin inputs of one org are complete for its grant (``saml_sso_grant_type``), else one line naming
    the missing inputs (never a value). The required options per grant come from the grant table; an empty input
    counts as set when its GENESYSCLOUD_* environment variable is (only its presence is tested)."""
    environ = os.environ if environ is None else environ
    values = _mapping(values)
    name = values.get(PREFIX + 'grant_type') or grants.DEFAULT_GRANT
    try:
        grant = grants.grant(name)
    except KeyError:
        return ''  # an unknown grant is named by the argument spec check (choices)
    missing = []
    for option in grant.requires:
        if not grants.filled(role_input(values, option, environ)):
            env = _ENV.get(option)
            missing.append(PREFIX + option + (' (or %s)' % env if env else ''))
    why = ' (the %s grant needs %s)' % (name, ', '.join(PREFIX + o for o in grant.requires)) if missing else ''
    if not any(grants.filled(role_input(values, option, environ)) for option, dummy in HOST_OPTIONS):
        missing.append('saml_sso_region (or GENESYSCLOUD_REGION, or saml_sso_api_url)')
    if not missing:
        return ''
    return 'Missing input for %s: set %s%s.' % (
        org or 'this org', ', '.join(missing[:-1]) + (' and ' if len(missing) > 1 else '') + missing[-1], why)


def input_error(values, spec_path, entry='main', org=''):
    """'' when the role variables visible to a host are valid inputs of the role entry point ``entry``, else one line.

    ``values``: {name: value} of every variable visible to the host whose name starts with ``saml_sso_``
    (``lookup('ansible.builtin.varnames', '^saml_sso_')``). A name that is an option of no entry point of the role
    fails, naming the closest option (a typo of saml_sso_preserved_clients would silently skip the OAuth proof); the
    values of the entry point's options are validated against its spec (type, choices, required, sub-options). The
    line never holds a value: secret options are no_log in the spec, and type and choice errors name the option only.
    """
    specs = role_argument_specs(spec_path)
    options = (specs.get(entry) or {}).get('options') or {}
    known = set(NOT_INPUTS)
    for spec in specs.values():
        known.update(((spec or {}).get('options') or {}).keys())
    values = _plain(dict(values or {}))
    errors = _unknown_variables(values, options, known)
    provided = dict((k, v) for k, v in values.items() if k in options)
    result = ArgumentSpecValidator(options).validate(provided)
    secrets = set(str(v) for v in result._no_log_values if v not in (None, ''))  # pylint: disable=protected-access
    errors += _unsupported_lines(result.unsupported_parameters, options)
    named = []
    for error in result.errors:
        if error.__class__.__name__ == 'UnsupportedError':
            continue  # named above with the closest option
        line = _error_line(str(error))
        if line not in named:
            named.append(line)
    # a bare conversion message ("dictionary requested, ...") comes with another that names the option
    errors += [line for line in named if 'saml_sso_' in line] or named
    if not errors:
        # complete admin inputs for the grant (the entry points that connect: those with saml_sso_grant_type)
        return credentials_error(values, org) if PREFIX + 'grant_type' in options else ''
    line = 'Invalid input for %s: %s. Fix it in the inventory, group_vars, vars or -e and run again.' % (
        org or 'this org', '; '.join(' '.join(e.split()) for e in errors))
    return remove_values(line, secrets) if secrets else line


_SAFE_SEGMENT = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$')


def path_segment(name):
    """A file or directory name made from ``name`` (an inventory host name) that stays inside its parent directory.

    A name of letters, digits, ``.``, ``_`` and ``-`` (not starting with ``.``, at most 100 characters) is kept as
    it is; any other (``../x``, ``a/b``, ``.``, a NUL, spaces) becomes its safe characters plus ``-`` and the first 12
    hex digits of its SHA-256, so two different host names never share a file.
    """
    text = '' if name is None else str(name)
    if _SAFE_SEGMENT.match(text):
        return text
    digest = hashlib.sha256(text.encode('utf-8', 'surrogateescape')).hexdigest()[:12]
    safe = re.sub(r'[^A-Za-z0-9._-]+', '_', text).lstrip('.')[:80]
    return '%s-%s' % (safe, digest) if safe else digest
