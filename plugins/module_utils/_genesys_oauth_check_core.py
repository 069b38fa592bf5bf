# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the core of genesyscloud.sso.genesys_oauth_check, which proves
that OAuth client-credentials clients still work (each client's own grant and requests, through the API facade)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re
import time

from ansible.module_utils.six.moves.urllib.parse import unquote

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    GenesysModuleFail,
    build_spec,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_api import (
    ORG_PATH,
    TOKEN_INFO_PATH,
    ApiCallError,
    connect,
    organization_dict,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_transport import GenesysError

DEFAULT_PROBE_PATHS = [ORG_PATH]


def _expect_options():
    return dict(
        organization_id=dict(type='str'),
        organization_name=dict(type='str'),
        client_name=dict(type='str'),
        grant_type=dict(type='str'),
        state=dict(type='str'),
        role_ids=dict(type='list', elements='str'),
        min_token_lifetime=dict(type='int', no_log=False),
    )


SPEC = build_spec(
    dict(
        clients=dict(
            type='list', elements='dict',
            options=dict(
                client_id=dict(type='str', required=True),
                client_secret=dict(type='str', required=True, no_log=True),
                name=dict(type='str'),
                probe_paths=dict(type='list', elements='str'),
                expect=dict(type='dict', options=_expect_options()),
            ),
        ),
        probe_paths=dict(type='list', elements='str', default=list(DEFAULT_PROBE_PATHS)),
        expect=dict(type='dict', options=_expect_options()),
        fail_on_error=dict(type='bool', default=True),
    ),
    required_one_of=[('clients', 'client_id')],
    required_together=[('client_id', 'client_secret')],
)

CONNECTION_KEYS = ('region', 'api_url', 'login_url', 'validate_certs', 'ca_path', 'timeout', 'retries')


def _merge_expect(top, own):
    merged = dict((k, v) for k, v in (top or {}).items() if v is not None)
    merged.update((k, v) for k, v in (own or {}).items() if v is not None)
    return merged


def _targets(params):
    if params.get('clients'):
        for entry in params['clients']:
            yield dict(
                client_id=entry['client_id'], client_secret=entry['client_secret'],
                name=entry.get('name'),
                probe_paths=entry.get('probe_paths') if entry.get('probe_paths') is not None else params.get('probe_paths'),
                expect=_merge_expect(params.get('expect'), entry.get('expect')),
            )
    else:
        yield dict(client_id=params['client_id'], client_secret=params['client_secret'], name=None,
                   probe_paths=params.get('probe_paths'), expect=_merge_expect(params.get('expect'), None))


class _Report:
    def __init__(self, target):
        self.entry = dict(
            client_id=target['client_id'], name=target['name'], passed=True, checks=[],
            token_lifetime=None, organization=None, client=None, roles=[], probes=[],
        )

    def check(self, name, passed, detail):
        self.entry['checks'].append(dict(name=name, passed=bool(passed), detail=detail))
        if not passed:
            self.entry['passed'] = False


def _compare(report, name, expected, actual, what):
    if expected is None:
        return
    ok = actual is not None and str(actual).lower() == str(expected).lower() if name in ('grant_type', 'state') \
        else actual == expected
    report.check('expect_%s' % name, ok, '%s is %r, expected %r' % (what, actual, expected))


def check_client(params, target, ctx):
    """Check one client; every failure becomes a failed check, never an exception."""
    report = _Report(target)
    conn = dict((k, params.get(k)) for k in CONNECTION_KEYS)
    conn.update(client_id=target['client_id'], client_secret=target['client_secret'], grant_type='client_credentials')
    label = target['name'] or target['client_id']

    def warn(msg):
        ctx.warn('%s: %s' % (label, msg))

    try:
        with connect(conn, ctx, warn=warn, on_secret=ctx.add_secret) as api:
            _check(api, target, report)
    except GenesysModuleFail as exc:  # the client could not be built (a setting), before any request
        report.check('token', False, exc.msg)
    return report.entry


_PROBE_RE = re.compile(r'^/api/v2/[^\s\x00-\x1f\x7f]*$')


def _check(api, target, report):
    """The checks of one client on its own facade; every failure becomes a failed check."""
    client = api.client
    expect = target['expect']
    try:
        token = client.get_token()
    except GenesysError as err:
        report.check('token', False, err.describe())
        # the host could not be reached: that says nothing about the client (the summary says NOT CHECKED)
        report.entry['unreachable'] = err.status is None and err.code == 'connection.error'
        return
    # the client registered the token it minted with the running task (_genesys_common.report_secret) and
    # on_secret: an answer echoing it is masked (tests: test_genesys_masking.py, E16 b)
    lifetime = token.get('expires_in')
    report.entry['token_lifetime'] = lifetime
    report.check('token', True, 'client-credentials grant succeeded (token valid for %s s)' % lifetime)

    info = None
    try:
        info = api.token_info()
        report.check('token_info', True, 'GET %s answered' % TOKEN_INFO_PATH)
    except ApiCallError as exc:
        report.check('token_info', False, exc.error.describe())
    if info is not None:
        oc = info.get('OAuthClient') or {}
        org = info.get('organization') or {}
        report.entry['organization'] = dict(id=org.get('id'), name=org.get('name'), short_name=None)
        report.entry['client'] = dict(id=oc.get('id'), name=oc.get('name'),
                                      grant_type=oc.get('authorizedGrantType'), state=oc.get('state'))
        report.entry['roles'] = [dict(role_id=rd.get('roleId'), division_id=rd.get('divisionId'))
                                 for rd in (oc.get('roleDivisions') or []) if isinstance(rd, dict)]

    org_answer = None
    for path in target['probe_paths'] or []:
        started = time.time()
        try:
            status, body = api.probe(path)
            latency = int(round((time.time() - started) * 1000))
            report.entry['probes'].append(dict(path=path, status=status, latency_ms=latency))
            report.check('probe %s' % path, True, 'HTTP %s in %d ms' % (status, latency))
            if path.split('?')[0].rstrip('/') == ORG_PATH and body:
                org_answer = organization_dict(body)
        except ApiCallError as exc:
            latency = int(round((time.time() - started) * 1000))
            report.entry['probes'].append(dict(path=path, status=exc.error.status, latency_ms=latency))
            report.check('probe %s' % path, False, exc.error.describe())

    if expect.get('organization_name') is not None and org_answer is None:
        try:
            org_answer = api.organization()
        except ApiCallError as exc:
            report.check('expect_organization_name', False, exc.error.describe())
            expect = dict(expect, organization_name=None)
    if org_answer:
        org = report.entry['organization'] or {}
        org.update(id=org_answer['id'] or org.get('id'), name=org_answer['name'] or org.get('name'),
                   short_name=org_answer['short_name'])
        report.entry['organization'] = org

    org = report.entry['organization'] or {}
    cli = report.entry['client'] or {}
    _compare(report, 'organization_id', expect.get('organization_id'), org.get('id'), 'organization id')
    _compare(report, 'organization_name', expect.get('organization_name'), org.get('short_name'),
             'organization short name')
    _compare(report, 'client_name', expect.get('client_name'), cli.get('name'), 'client name')
    _compare(report, 'grant_type', expect.get('grant_type'), cli.get('grant_type'), 'grant type')
    _compare(report, 'state', expect.get('state'), cli.get('state'), 'client state')
    if expect.get('role_ids'):
        have = set(r['role_id'] for r in report.entry['roles'])
        missing = [r for r in expect['role_ids'] if r not in have]
        report.check('expect_role_ids', not missing,
                     'all expected roles present' if not missing else 'roles missing: %s' % ', '.join(missing))
    if expect.get('min_token_lifetime') is not None:
        ok = lifetime is not None and lifetime >= expect['min_token_lifetime']
        report.check('expect_min_token_lifetime', ok, 'token lifetime %s s, expected at least %s s'
                     % (lifetime, expect['min_token_lifetime']))


def _validate_probe_paths(params):
    """Refuse a probe path that would leave the API host or break the request line, before any request."""
    lists = [('probe_paths', params.get('probe_paths'))]
    for index, entry in enumerate(params.get('clients') or []):
        if isinstance(entry, dict) and entry.get('probe_paths') is not None:
            lists.append(('clients[%d].probe_paths' % index, entry.get('probe_paths')))
    for option, paths in lists:
        for path in paths or []:
            text = path if isinstance(path, str) else repr(path)
            # percent-decoded too: %2e%2e and %2f must not smuggle a dot segment past the check
            decoded = unquote(path.split('?')[0]) if isinstance(path, str) else ''
            segments = decoded.split('/')
            if (not isinstance(path, str) or not _PROBE_RE.match(path) or '//' in path or '\\' in path
                    or '//' in decoded or '\\' in decoded or '..' in segments or '.' in segments):
                raise GenesysModuleFail(
                    '%s: %r is not an API path; each probe path must start with /api/v2/ and contain no scheme, host, '
                    'dot segment, space, line break or control character (e.g. /api/v2/organizations/me)' % (option, text[:200]))


def core(params, ctx):
    """Check every client; read-only (changed false, same in check mode)."""
    _validate_probe_paths(params)
    reports = [check_client(params, target, ctx) for target in _targets(params)]
    failed = [r['name'] or r['client_id'] for r in reports if not r['passed']]
    result = dict(changed=False, passed=not failed, failed_clients=failed, report=copy.deepcopy(reports))
    if failed and params.get('fail_on_error', True):
        lines = []
        for r in reports:
            if r['passed']:
                continue
            bad = ['%s: %s' % (c['name'], c['detail']) for c in r['checks'] if not c['passed']]
            lines.append('%s: %s' % (r['name'] or r['client_id'], ' | '.join(bad)))
        msg = '%d of %d OAuth client(s) failed the check. %s' % (len(failed), len(reports), ' || '.join(lines))
        raise GenesysModuleFail(msg, **result)
    if failed:
        result['msg'] = '%d of %d OAuth client(s) failed the check' % (len(failed), len(reports))
    else:
        result['msg'] = 'all %d OAuth client(s) passed' % len(reports)
    return result
