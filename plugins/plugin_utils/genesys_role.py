# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions and texts of the saml_sso role's entry points, in Python instead of Jinja.

Behind the filters ``sso_connection``, ``sso_provider_options``, ``sso_step1_clients``, ``sso_failure`` and
``sso_audit_summary`` of ``plugins/filter/saml_sso.py``. The role's tasks and vars only map inputs to module options
and sequence the steps: the connection of every module, the options of step 4 from ``saml_sso_provider``, what to
validate in step 1, which step failed (an id from the registered results, never from a task name) and why (the
drift of a verify-only run field by field), and the audit's summary. The input check (``sso_input_error``, with the admin inputs each grant needs) is in
``genesys_summary``.

One filter call builds a whole dict of module options: every templated option of a task is a Jinja template compiled
again in the worker process of every org, which cost more than the module itself.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
from collections.abc import Mapping

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_grants as grants
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_report import audit_findings
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_summary import client_lines, provider_lines, role_input

# The admin client step 1 validates when there are no preserved clients (client-credentials grant only): its own
# grant, tokens/me and a read of the providers. The summary then says "OAuth automation NOT verified".
ADMIN_CLIENT_NAME = 'admin client (saml_sso_client_id; no preserved clients configured)'
ADMIN_PROBE_PATHS = ['/api/v2/identityproviders']
AUDIT_NOT_VERIFIED = 'OAuth automation NOT verified: no preserved clients configured (saml_sso_preserved_clients is empty)'


def _mapping(value):
    return value if isinstance(value, Mapping) else {}


def _set(value):
    """An input that is set: ``default(omit, true)`` for everything but booleans (False is a value)."""
    return isinstance(value, bool) or (value is not None and value != '' and value != [] and value != {})


def connection(values):
    """The module_defaults of the action group from the role's connection inputs ``{option: value}``: the unset
    ones left out (the module then reads its GENESYSCLOUD_* environment variable), ``validate_certs`` a boolean."""
    options = dict((k, v) for k, v in _mapping(values).items() if v is not None and v != '')
    if 'validate_certs' in options:
        options['validate_certs'] = boolean(options['validate_certs'], strict=False)
    return options


def provider_options(provider):
    """The options of genesys_identity_provider from ``saml_sso_provider``: every key is the module option of the
    same name (meta/argument_specs.yml documents them; ``tests/unit/plugins/filter/test_role_single_source.py`` holds
    them against the module SPEC and the provider option table); an unset value is left out (a boolean False is
    kept); ``enabled`` defaults to true (the role enables the provider it configures)."""
    options = dict((k, v) for k, v in _mapping(provider).items() if _set(v))
    options['enabled'] = boolean(options.get('enabled', True), strict=False)
    return options


def step1_clients(preserved, grant_type=grants.DEFAULT_GRANT, client_id='', client_secret='', environ=None):
    """The clients step 1 validates: ``saml_sso_preserved_clients``; with none and the client-credentials admin grant,
    the admin client itself (its grant, tokens/me and a read of the providers); else none."""
    if preserved:
        return list(preserved)
    if (grant_type or grants.DEFAULT_GRANT) != 'client_credentials':
        return []
    environ = os.environ if environ is None else environ
    values = dict(saml_sso_client_id=client_id, saml_sso_client_secret=client_secret)
    return [dict(name=ADMIN_CLIENT_NAME, client_id=role_input(values, 'client_id', environ),
                 client_secret=role_input(values, 'client_secret', environ), probe_paths=list(ADMIN_PROBE_PATHS))]


# ------------------------------------------------------------------------------------------------ failures

def _json_cut(value, limit=120):
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _cert_line(sign, word, cert):
    cert = _mapping(cert)
    return '%s %s %s (SHA-256 %s..., expires %s)' % (sign, word, cert.get('subject') or '?',
                                                     str(cert.get('fingerprint') or '')[:23], cert.get('not_after') or '?')


def drift_details(result):
    """The drift of a read-only step 4 (``--tags verify``), field by field from its result's diff: the value on the
    platform -> the value of saml_sso_provider (JSON, "(not set)" when absent, long values cut); certificates as the
    ones the platform holds and saml_sso_provider does not (removed) and the other way round (added)."""
    result = _mapping(result)
    diff = _mapping(result.get('diff'))
    before, after = _mapping(diff.get('before')), _mapping(diff.get('after'))
    parts = []
    for option in result.get('changed_options') or []:
        if option == 'certificates':
            had = [c.get('fingerprint') for c in before.get('certificates') or [] if isinstance(c, Mapping)]
            wants = [c.get('fingerprint') for c in after.get('certificates') or [] if isinstance(c, Mapping)]
            certs = [_cert_line('-', 'removed', c) for c in before.get('certificates') or []
                     if isinstance(c, Mapping) and c.get('fingerprint') not in wants]
            certs += [_cert_line('+', 'added', c) for c in after.get('certificates') or []
                      if isinstance(c, Mapping) and c.get('fingerprint') not in had]
            parts.append('certificates ' + (' '.join(certs) or 'differ in order or form'))
        else:
            old = _json_cut(before[option]) if option in before else '(not set)'
            new = _json_cut(after[option]) if option in after else '(not set)'
            parts.append('%s %s -> %s' % (option, old, new))
    return '; '.join(parts) or 'see the diff of step 4 (run with --diff)'


def _clients_text(check):
    return '; '.join(line[:-1] if line.endswith('.') else line for line in client_lines(check))


def failure(failed, input_result=None, clients_before=None, org='', provider_type='', verify_only=False,
            otherwise='unknown'):
    """``{step, message}`` of the failed task of the main entry point (its rescue records them).

    ``failed``: ``ansible_failed_result``. The step id comes from the results, never from a task name: ``input``
    when the first task (``input_result``, registered) failed; the module's own ``failed_step`` for step 4;
    ``clients_before`` when step 1 alone (``clients_before``, registered) failed; ``drift`` when a verify-only step 4
    would change the provider; ``verify`` when the platform did not keep a value; else ``otherwise`` (the audit
    entry point passes ``read``: its only other failing task reads the providers).
    """
    failed = _mapping(failed)
    input_result = _mapping(input_result)
    if input_result.get('failed'):
        return dict(step='input', message=str(_mapping(input_result.get('ansible_facts')).get('_saml_sso_error')
                                              or failed.get('msg') or 'invalid input'))
    msg = str(failed.get('msg') or '')
    step = failed.get('failed_step') or ''
    module_step = bool(step)
    if not step:
        if _mapping(clients_before).get('failed'):
            step = 'clients_before'
        elif verify_only and failed.get('changed'):
            step = 'drift'
        elif failed.get('not_kept'):
            step = 'verify'
        else:
            step = otherwise or 'unknown'
    if step == 'clients_before':
        if 'host could not be reached, so the preserved' in msg:
            why = ('the Genesys Cloud host could not be reached, so the preserved OAuth clients were not checked (this '
                   'is not a failure of the clients). ')
        else:
            why = 'a preserved OAuth client fails before the change. '
        check = failed.get('clients_before') or failed
        return dict(step=step, message='No change was made: ' + why + '; '.join(client_lines(check)))
    if step == 'drift' or (step == 'permissions' and verify_only):
        # a result without 'existed' counts as an existing provider (as the overview of step 4 says)
        existed = 'existed' not in failed or bool(failed.get('existed'))
        message = 'The %s provider of %s%s%s (on the platform -> in saml_sso_provider): %s. Run the role without ' \
                  '--tags verify to configure it.' % (
                      provider_type, org, ' differs from saml_sso_provider in ' if existed
                      else ' does not exist; saml_sso_provider would create it with ',
                      ', '.join(failed.get('changed_options') or []) or 'its fields', drift_details(failed))
        if step == 'permissions':
            message += ' ' + msg
        return dict(step=step, message=message)
    if step == 'verify' and not module_step:
        return dict(step=step, message='The %s provider of %s is not as intended after the write (step 5): Genesys '
                    'Cloud did not keep %s. The preserved OAuth clients passed, so it was not rolled back; check the '
                    'fields and run again.' % (provider_type, org, ', '.join(failed.get('not_kept') or [])))
    if step == 'clients_after':
        return dict(step=step, message='%s Before the change: %s. After the change: %s.' % (
            msg, _clients_text(failed.get('clients_before') or {}), _clients_text(failed.get('clients_after') or {})))
    return dict(step=step, message=msg or 'failed (see the task output above)')


# ------------------------------------------------------------------------------------------------ the audit

def audit_summary(providers, clients=None, org='', failed=False, failed_step='', error='', within_days=30,
                  preserved_clients=0):
    """saml_sso_result of the audit entry point, with the ``lines`` it prints.

    ``providers``: the registered genesys_identity_provider_info result (its ``providers`` and ``organization``);
    ``clients``: the registered genesys_oauth_check result (skipped without preserved clients).
    """
    read = _mapping(providers)
    listing = [p for p in read.get('providers') or [] if isinstance(p, Mapping)]
    clients = _mapping(clients)
    lines = client_lines(clients)
    findings = audit_findings(listing, within_days, clients, lines)
    result = dict(
        kind='audit', org=org, status='failed' if failed else 'ok', mode='audit', changed=False,
        oauth_verified=int(preserved_clients or 0) > 0, failed_step=failed_step or '', error=error or '',
        organization=dict(_mapping(read.get('organization'))), providers=listing,
        provider_lines=provider_lines(listing), expired_certificates=findings['expired'],
        expiring_certificates=findings['expiring'], client_failed=bool(findings['client_failed']),
        clients=dict(checked=len(clients.get('report') or []), passed=clients.get('passed'), lines=lines),
        # an expired certificate says EXPIRED (never "expiring (-4 days)"); counted apart in the closing header
        findings=findings['findings'])
    head = ('FAILED at "%s": %s' % (result['failed_step'], result['error']) if failed
            else '; '.join(result['findings']) or 'healthy')
    result['lines'] = (['%s: %s' % (org, head)]
                       + ([] if result['oauth_verified'] else [AUDIT_NOT_VERIFIED])
                       + result['provider_lines'] + lines)
    return result
