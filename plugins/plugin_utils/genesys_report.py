# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a whole run of the saml_sso role says: the outcome of each org, the plan line, the compact diff, the audit
findings and the report files (JSON, CSV, self-contained HTML).

Controller-only, plain Python (no Ansible imports): used by the ``sso_report`` filters (``plugins/filter``) and by
the ``genesyscloud.sso.sso_plan`` callback, so that the line the callback prints and the line the role emits with
set_stats are the same text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import html
import io
import json
import numbers
from collections.abc import Mapping

# the outcome buckets of a configure run, in the order of the plan line
PLAN_BUCKETS = ('create', 'update', 'delete', 'unchanged', 'failed')
# the outcome buckets of an audit run, in the order of its header
AUDIT_BUCKETS = ('healthy', 'expiring', 'expired', 'client_failed', 'failed')
AUDIT_LABELS = dict(healthy='healthy', expiring='expiring', expired='EXPIRED', client_failed='OAuth client failing',
                    failed='failed')
# the fields of a diff that are not compared (identity and family of the object)
_NOT_FIELDS = ('id', 'type', 'family', 'certificates')
REPORT_COLUMNS = ('org', 'region', 'kind', 'mode', 'status', 'action', 'changed_fields', 'provider_type',
                  'provider_name', 'certificate_days_left', 'clients_before', 'clients_after', 'findings',
                  'warnings', 'error', 'backup_file')


def _mapping(value):
    return value if isinstance(value, Mapping) else {}


def _number(value):
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------------------------------------
# certificates and audit findings

def certificate_label(cert):
    """``<fingerprint, subject, expiry>`` of a certificate summary (sanitised diff or overview entry)."""
    cert = _mapping(cert)
    if cert.get('fingerprint') is None and cert.get('unparseable'):
        return '<unparseable certificate, SHA-256 of its text %s>' % cert.get('sha256_of_text', '?')
    return '<%s, %s, expires %s>' % (cert.get('fingerprint') or '?', cert.get('subject') or '?',
                                     cert.get('not_after') or '?')


def certificate_state(days_left, within_days):
    """'expired', 'expiring' or '' for a certificate with ``days_left`` (a number or None)."""
    if not _number(days_left):
        return ''
    if days_left < 0:
        return 'expired'
    if within_days is not None and days_left <= int(within_days):
        return 'expiring'
    return ''


def certificate_finding(provider, cert, state):
    """The line of one expired or expiring certificate of a provider overview entry."""
    provider = _mapping(provider)
    who = "%s '%s'" % (provider.get('type') or '?', provider.get('name') or provider.get('type') or '?')
    days = cert.get('days_left')
    if state == 'expired':
        return 'certificate EXPIRED: %s %s expired %s (%d day%s ago)' % (
            who, cert.get('subject') or '?', cert.get('not_after') or '?', -days, '' if -days == 1 else 's')
    return 'certificate expiring: %s %s expires %s (in %d day%s)' % (
        who, cert.get('subject') or '?', cert.get('not_after') or '?', days, '' if days == 1 else 's')


def audit_findings(providers, within_days=30, clients=None, client_lines=None):
    """The findings of an audit: ``{expired, expiring, client_failed, findings}``.

    ``providers``: the overview of genesys_identity_provider_info (every provider, enabled or not: an expired
    certificate of a disabled provider is still worth knowing). An expired certificate is reported as EXPIRED,
    never as "expiring (-4 days)". ``clients``: the genesys_oauth_check result (or None), ``client_lines`` its
    printed lines (``sso_client_lines``).
    """
    expired, expiring = [], []
    for provider in providers or []:
        for cert in _mapping(provider).get('certificates') or []:
            if not isinstance(cert, Mapping):
                continue
            state = certificate_state(cert.get('days_left'), within_days)
            if state == 'expired':
                expired.append(certificate_finding(provider, cert, state))
            elif state == 'expiring':
                expiring.append(certificate_finding(provider, cert, state))
    clients = _mapping(clients)
    client_failed = []
    if clients and not clients.get('skipped') and 'passed' in clients and not clients.get('passed'):
        bad = [line for line in client_lines or [] if ': OK' not in line]
        client_failed = ['OAuth client FAILED: ' + ('; '.join(bad) or clients.get('msg') or 'see the report')]
    return dict(expired=expired, expiring=expiring, client_failed=client_failed,
                findings=expired + expiring + client_failed)


def other_provider_warnings(org, providers, configured, warn_days=30):
    """Warnings about the certificates of the org's OTHER enabled providers (the overview of step 4).

    ``configured``: ``{type, id, name}`` of the provider the role configures; a per-type provider is the same one
    when its type matches, a custom one when its id (or, without an id, its name) matches.
    """
    configured = _mapping(configured)
    lines = []
    for provider in providers or []:
        provider = _mapping(provider)
        if not provider.get('enabled', True):
            continue
        if provider.get('type') == configured.get('type'):
            if provider.get('family') != 'custom':
                continue
            if configured.get('id') and provider.get('id') == configured.get('id'):
                continue
            if not configured.get('id') and configured.get('name') and provider.get('name') == configured.get('name'):
                continue
        for cert in provider.get('certificates') or []:
            if not isinstance(cert, Mapping):
                continue
            state = certificate_state(cert.get('days_left'), warn_days)
            if state:
                lines.append('%s: another enabled identity provider of this org has %s: %s. Users who sign in '
                             'through it are affected; renew it at that IdP and update that provider.'
                             % (org, 'an EXPIRED certificate' if state == 'expired' else 'a certificate expiring soon',
                                certificate_finding(provider, cert, state).split(': ', 1)[1]))
    return lines


# ---------------------------------------------------------------------------------------------------------------
# compact diff

def _show(value):
    if isinstance(value, (Mapping, list)):
        return json.dumps(value, sort_keys=True)
    return json.dumps(value) if isinstance(value, str) else str(value)


def compact_diff(diff):
    """Only what changes between ``diff['before']`` and ``diff['after']`` (sanitised provider objects).

    Returns ``[(sign, text)]``: ``~ field: old -> new``, ``+ field: new``, ``- field: old``, and certificates
    matched by SHA-256 fingerprint (never by subject: a rotation often keeps the subject)
    ``+ added <fingerprint, subject, expiry>`` / ``- removed <...>``.
    """
    diff = _mapping(diff)
    before, after = _mapping(diff.get('before')), _mapping(diff.get('after'))
    out = []
    for key in sorted(set(before) | set(after)):
        if key in _NOT_FIELDS:
            continue
        if key not in before:
            out.append(('+', '%s: %s' % (key, _show(after[key]))))
        elif key not in after:
            if after:  # a deleted object: only its certificates and identity are shown below
                out.append(('-', '%s: %s' % (key, _show(before[key]))))
        elif before[key] != after[key]:
            out.append(('~', '%s: %s -> %s' % (key, _show(before[key]), _show(after[key]))))
    if not after and before:
        out.append(('-', 'the whole provider is deleted'))

    def by_fingerprint(obj):
        found = {}
        for cert in obj.get('certificates') or []:
            if isinstance(cert, Mapping):
                found[cert.get('fingerprint') or cert.get('sha256_of_text')] = cert
        return found

    old, new = by_fingerprint(before), by_fingerprint(after)
    for fingerprint in sorted(set(old) - set(new), key=str):
        out.append(('-', 'removed certificate %s' % certificate_label(old[fingerprint])))
    for fingerprint in sorted(set(new) - set(old), key=str):
        out.append(('+', 'added certificate %s' % certificate_label(new[fingerprint])))
    return out


def diff_header(org, diff, ptype='', name=''):
    """``org-0001: generic 'Corp IdP' (update)``: who a diff is about and what it does."""
    diff = _mapping(diff)
    before, after = _mapping(diff.get('before')), _mapping(diff.get('after'))
    obj = after or before
    ptype = obj.get('type') or ptype or '?'
    name = obj.get('name') or name or ptype
    action = 'create' if not before else ('delete' if not after else ('update' if before != after else 'no change'))
    ident = ', id %s' % obj['id'] if obj.get('id') else ''
    return "%s: %s '%s' (%s%s)" % (org, ptype, name, action, ident)


def compact_diff_lines(org, diff, ptype='', name=''):
    """The compact diff as printed: a header line, then one line per change (empty list for no change)."""
    changes = compact_diff(diff)
    if not changes:
        return []
    return ['--- %s' % diff_header(org, diff, ptype, name)] + ['  %s %s' % (sign, text) for sign, text in changes]


# ---------------------------------------------------------------------------------------------------------------
# outcome per org, plan line, closing lines

def outcome(result):
    """(bucket, text) of one org's saml_sso_result: the bucket counts in the plan (or audit) line, the text is what
    its progress line says. None / {} (the org failed before its summary) is 'failed'."""
    r = _mapping(result)
    if not r:
        return 'failed', 'FAILED before its summary (see its error above)'
    if r.get('status') == 'failed':
        text = 'FAILED at "%s": %s' % (r.get('failed_step') or '?', r.get('error') or '')
        if r.get('rolled_back'):
            text += ' (provider restored from backup)'
        return 'failed', text
    if r.get('kind') == 'audit':
        if r.get('expired_certificates'):
            bucket = 'expired'
        elif r.get('client_failed'):
            bucket = 'client_failed'
        elif r.get('expiring_certificates'):
            bucket = 'expiring'
        else:
            bucket = 'healthy'
        return bucket, '; '.join(r.get('findings') or []) or 'healthy'
    fields = ', '.join(r.get('changed_fields') or []) or 'the provider'
    check = r.get('mode') in ('check', 'verify')
    action = r.get('action')
    if r.get('changed') and action == 'created':
        return 'create', ('would create the provider (%s)' if check else 'created the provider (%s)') % fields
    if r.get('changed') and action == 'deleted':
        return 'delete', 'would delete the provider' if check else 'deleted the provider'
    if r.get('changed'):
        return 'update', ('would update %s' if check else 'updated %s') % fields
    if action == 'skipped':
        return 'unchanged', 'provider not read (step 4 did not run)'
    return 'unchanged', 'verified, no change' if r.get('mode') == 'verify' else 'no change'


def plan_counts(results, kind='configure'):
    buckets = AUDIT_BUCKETS if kind == 'audit' else PLAN_BUCKETS
    counts = dict((b, 0) for b in buckets)
    for result in results:
        bucket = outcome(result)[0]
        counts[bucket if bucket in counts else 'failed'] += 1
    return counts


def run_kind(results):
    """'audit' when the run was an audit, 'check' when nothing was written (check or verify mode), else 'apply'."""
    results = [_mapping(r) for r in results if _mapping(r)]
    if results and all(r.get('kind') == 'audit' for r in results):
        return 'audit'
    if results and all(r.get('mode') in ('check', 'verify') for r in results):
        return 'check'
    return 'apply'


def plan_line(results, check_mode=None):
    """``Plan: N to create, N to update, N to delete, N unchanged, N failed`` (nothing written: check or verify
    mode), ``Applied: N created, N updated, N deleted, N unchanged, N failed`` (a real run), or for an audit
    ``Audit: N healthy, N expiring, N EXPIRED, N OAuth client failing, N failed``.

    ``results``: the saml_sso_result of every org of the run ({} or None for an org that failed before its
    summary). ``check_mode``: force Plan (True) or Applied (False); None decides from the results' modes.
    """
    results = list(results)
    kind = run_kind(results)
    if kind == 'audit':
        counts = plan_counts(results, 'audit')
        return 'Audit: ' + ', '.join('%d %s' % (counts[b], AUDIT_LABELS[b]) for b in AUDIT_BUCKETS)
    counts = plan_counts(results)
    if check_mode is None:
        check_mode = kind == 'check'
    if check_mode:
        return 'Plan: %(create)d to create, %(update)d to update, %(delete)d to delete, %(unchanged)d unchanged, ' \
               '%(failed)d failed' % counts
    return 'Applied: %(create)d created, %(update)d updated, %(delete)d deleted, %(unchanged)d unchanged, ' \
           '%(failed)d failed' % counts


NOT_VERIFIED = 'OAuth automation NOT verified: no preserved clients configured'


def closing_lines(results_by_host):
    """The lines of the role's report entry point: a header, one line per org (sorted), the plan line.

    ``results_by_host``: ``{host: saml_sso_result or {}}`` of every host of the play.
    """
    hosts = sorted(results_by_host)
    lines, failed, unverified = [], [], []
    changed = ok = 0
    results = [_mapping(results_by_host[h]) for h in hosts]
    kind = run_kind(results)
    for host, r in zip(hosts, results):
        bucket, text = outcome(r)
        if bucket == 'failed':
            failed.append(host)
        elif bucket in ('create', 'update', 'delete'):
            changed += 1
            mode_word = 'would change' if r.get('mode') == 'check' else 'changed'
            text = '%s %s' % (mode_word, ', '.join(r.get('changed_fields') or []) or 'the provider')
        else:
            ok += 1
            if r.get('action') == 'skipped' and r.get('kind') != 'audit':
                clients = _mapping(r.get('clients_before'))
                text = 'provider not read (step 4 did not run)'
                if int(clients.get('checked') or 0) > 0:
                    text += ', preserved OAuth clients ' + ('OK' if clients.get('passed') else 'FAILED')
            elif r.get('kind') != 'audit':
                text = ('verified, ' if r.get('mode') == 'verify' else '') + 'no change needed'
        line = '%s: %s' % (host, text)
        if r and not r.get('oauth_verified', True):
            unverified.append(host)
            line += ' - ' + NOT_VERIFIED
        lines.append(line)
    if kind == 'audit':
        counts = plan_counts(results, 'audit')
        head = '%d org(s): %s' % (len(hosts), ', '.join('%d %s' % (counts[b], AUDIT_LABELS[b]) for b in AUDIT_BUCKETS))
        if failed:
            head += ' (%s)' % ', '.join(failed)
    else:
        head = '%d org(s): %d changed, %d unchanged/healthy, %d failed%s' % (
            len(hosts), changed, ok, len(failed), (' (%s)' % ', '.join(failed)) if failed else '')
    if unverified:
        head += '; %s (%s)' % (NOT_VERIFIED, ', '.join(unverified))
    return [head] + lines + [plan_line(results)]


# ---------------------------------------------------------------------------------------------------------------
# report rows and files

def _clients_cell(clients):
    clients = _mapping(clients)
    checked = int(clients.get('checked') or 0)
    if not checked:
        return ''
    if clients.get('unreachable'):
        return 'not checked (API host unreachable)'
    return '%d ok' % checked if clients.get('passed') else 'FAILED'


def _min_days(values):
    days = [d for d in values if _number(d)]
    return min(days) if days else None


def report_row(host, result, region=''):
    """One row of the report for ``host``: what a person reviewing the run needs about the org."""
    r = _mapping(result)
    bucket, text = outcome(r)
    org = _mapping(r.get('organization'))
    provider = _mapping(r.get('provider'))
    if r.get('kind') == 'audit':
        providers = [p for p in r.get('providers') or [] if isinstance(p, Mapping)]
        days = _min_days(c.get('days_left') for p in providers for c in p.get('certificates') or []
                         if isinstance(c, Mapping))
        ptype = ', '.join(str(p.get('type')) for p in providers)
        pname = ', '.join(str(p.get('name') or p.get('type')) for p in providers)
        before = r.get('clients')
        after = {}
    else:
        days = _min_days(c.get('days_left') for c in r.get('certificates') or [] if isinstance(c, Mapping))
        ptype, pname = provider.get('type') or '', provider.get('name') or ''
        before, after = r.get('clients_before'), r.get('clients_after')
    return dict(
        org=host,
        region=region or org.get('domain') or '',
        kind=r.get('kind') or 'configure',
        mode=r.get('mode') or '',
        status=r.get('status') or 'failed',
        action=bucket,
        summary=text,
        changed_fields=list(r.get('changed_fields') or []),
        provider_type=ptype,
        provider_name=pname,
        certificate_days_left=days,
        clients_before=_clients_cell(before),
        clients_after=_clients_cell(after),
        findings=list(r.get('findings') or []),
        warnings=list(r.get('warnings') or []),
        error=r.get('error') or ('' if r else text),
        backup_file=r.get('backup_file') or '',
    )


def report_rows(results_by_host, regions=None):
    """Rows (sorted by org) of ``{host: saml_sso_result}``; ``regions``: ``{host: region}`` (optional)."""
    regions = _mapping(regions)
    return [report_row(h, results_by_host[h], regions.get(h) or '') for h in sorted(results_by_host)]


def _cell(value):
    if value is None:
        return ''
    if isinstance(value, list):
        return '; '.join(str(v) for v in value)
    return str(value)


def render_json(rows, run=None):
    return json.dumps(dict(run=dict(_mapping(run)), orgs=list(rows)), indent=2, sort_keys=True) + '\n'


def render_csv(rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(REPORT_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(col)) for col in REPORT_COLUMNS])
    return out.getvalue()


_CSS = ('body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;width:100%}'
        'th,td{border:1px solid #bbb;padding:4px 6px;text-align:left;vertical-align:top;font-size:13px}'
        'th{background:#eee}tr.failed td{background:#fdd}tr.expired td{background:#fdd}'
        'tr.expiring td,tr.client_failed td{background:#ffd}tr.create td,tr.update td,tr.delete td{background:#def}'
        'code{font-size:12px}')
_HTML_COLUMNS = (('org', 'Org'), ('region', 'Region'), ('status', 'Status'), ('action', 'Action'),
                 ('changed_fields', 'Changed fields'), ('provider_type', 'Provider type'),
                 ('provider_name', 'Provider name'), ('certificate_days_left', 'Lowest certificate days left'),
                 ('clients_before', 'Preserved clients before'), ('clients_after', 'Preserved clients after'),
                 ('findings', 'Findings'), ('warnings', 'Warnings'), ('error', 'Error'), ('backup_file', 'Backup file'))


def render_html(rows, run=None):
    """A self-contained page (no script, no external asset): the run, the plan line, a table with a row per org."""
    run = _mapping(run)
    esc = html.escape
    title = 'Single sign-on %s report, %s' % (run.get('kind') or 'run', run.get('time') or '')
    parts = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
             '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
             '<title>%s</title><style>%s</style></head><body>' % (esc(title), _CSS),
             '<h1>%s</h1>' % esc(title)]
    if run.get('plan'):
        parts.append('<p id="plan"><strong>%s</strong></p>' % esc(run['plan']))
    parts.append('<table id="orgs"><thead><tr>%s</tr></thead><tbody>'
                 % ''.join('<th>%s</th>' % esc(label) for _key, label in _HTML_COLUMNS))
    for row in rows:
        cells = []
        for key, _label in _HTML_COLUMNS:
            value = row.get(key)
            if key == 'backup_file' and value:
                cells.append('<td><code>%s</code></td>' % esc(_cell(value)))
            else:
                cells.append('<td>%s</td>' % esc(_cell(value)))
        parts.append('<tr class="%s">%s</tr>' % (esc(str(row.get('action') or '')), ''.join(cells)))
    parts.append('</tbody></table></body></html>')
    return '\n'.join(parts) + '\n'
