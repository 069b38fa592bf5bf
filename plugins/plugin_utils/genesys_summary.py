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

import numbers
from collections.abc import Mapping


def _mapping(value):
    return value if isinstance(value, Mapping) else {}


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
        if client.get('passed'):
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


def summary(configure, org='', provider_type='', mode='apply', failed=False, failed_step='', error='',
            rolled_back=False, clients_before=None, clients_after=None, expiry_warn_days=30):
    """saml_sso_result of the role's main entry point: the facts of the run and the lines it prints.

    ``configure`` is the registered genesys_identity_provider result of step 4 (anything else, e.g. {} when the
    step did not run, counts as "no provider result").
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
        clients_before=dict(checked=len(before.get('report') or []), passed=before.get('passed'),
                            lines=client_lines(before)),
        clients_after=dict(checked=len(after.get('report') or []), passed=after.get('passed'),
                           lines=client_lines(after)),
    )

    lines = ['%s: %s' % (org, _head(r, len(certs)))]
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
    if r['clients_before']['checked']:
        lines.append('Preserved OAuth clients before the change: %d checked, %s'
                     % (r['clients_before']['checked'], 'all OK' if r['clients_before']['passed'] else 'FAILED'))
    if r['clients_after']['checked']:
        lines.append('Preserved OAuth clients after the change: %s' % ('all OK' if r['clients_after']['passed'] else 'FAILED'))
    elif mode == 'apply' and not failed and not r['changed'] and r['clients_before']['checked']:
        lines.append('Preserved OAuth clients were not validated again: nothing changed.')
    if mode == 'check' and not failed and r['changed']:
        lines.append('Check mode: nothing was written, so step 5 (verify the provider is active) and step 6 (validate '
                     'the preserved OAuth clients again) are skipped. The diff above is what a real run would apply.')
    if rolled_back:
        lines.append('ROLLED BACK: the provider was restored from %s' % r['backup_file'])
    elif r['backup_file']:
        lines.append('Backup of the previous provider: %s' % r['backup_file'])
    if sp:
        attrs = ['%s = %s' % (a.get('name'), a.get('value') or '?') for a in sp.get('attributes') or []
                 if isinstance(a, Mapping) and a.get('required', True)]
        lines.append('Enter at the IdP: ACS / single sign-on URL %s; single logout URL %s; audience / SP entity ID %s; '
                     'attributes %s' % (sp.get('acs_url', '?'), sp.get('slo_url', '?'), sp.get('entity_id', '?'),
                                        ', '.join(attrs) or 'email, OrganizationName'))
    r['lines'] = lines
    return r
