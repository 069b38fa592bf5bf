# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the saml_sso role for a whole run: the closing lines, the plan line, the artifacts, the report files, the
audit findings, and whether the report fails an org.

Documented in sso_run_report.yml, sso_report_file.yml, sso_audit_findings.yml and sso_org_failure.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_report import (
    audit_findings,
    closing_lines,
    plan_line,
    render_csv,
    render_html,
    render_json,
    report_rows,
    run_kind,
)


def _host_value(hostvars, host, name, default):
    try:
        value = hostvars[host].get(name, default) if hasattr(hostvars[host], 'get') else default
    except (KeyError, TypeError):
        return default
    return default if value is None else value


# The set_stats artifact of each kind of saml_sso_result (AWX, ansible-runner), keyed by inventory host.
ARTIFACTS = dict(configure='saml_sso_summary', audit='saml_sso_audit')


def run_report(hostvars, hosts):
    """``{kind, plan, lines, rows, stats}`` of the run from each host's saml_sso_result (``{}`` when it has none).

    ``stats``: the data of the run's one set_stats task: ``saml_sso_plan`` (the plan line) and, per kind of result,
    ``saml_sso_summary`` / ``saml_sso_audit`` = ``{host: saml_sso_result}`` of the hosts that have one.
    """
    results, regions = {}, {}
    for host in hosts or []:
        result = _host_value(hostvars, host, 'saml_sso_result', {})
        results[host] = dict(result) if isinstance(result, Mapping) else {}
        # the region, else the API host the org was reached at (api_url)
        regions[host] = str(_host_value(hostvars, host, 'saml_sso_region', '')
                            or _host_value(hostvars, host, 'saml_sso_api_url', '') or '')
    values = list(results.values())
    plan = plan_line(values)
    stats = dict(saml_sso_plan=plan)
    for host, result in results.items():
        artifact = ARTIFACTS.get(result.get('kind'))
        if artifact:
            stats.setdefault(artifact, {})[host] = result
    return dict(kind=run_kind(values), plan=plan, lines=closing_lines(results), rows=report_rows(results, regions),
                stats=stats)


def org_failure(result, fail_on_findings=False, org=''):
    """Why the report entry point fails this org ('' when it does not): its saml_sso_result failed (or it has none,
    the org failed before its summary), or it is an audit with findings and ``fail_on_findings``."""
    result = result if isinstance(result, Mapping) else {}
    org = org or result.get('org') or ''
    prefix = '%s: ' % org if org else ''
    if result.get('status', 'failed') == 'failed':
        return '%sfailed at "%s": %s' % (prefix, result.get('failed_step') or 'unknown',
                                         result.get('error') or 'no summary was recorded')
    if result.get('kind') == 'audit' and fail_on_findings and result.get('findings'):
        return '%sfindings: %s' % (prefix, '; '.join(str(f) for f in result['findings']))
    return ''


def report_file(report, fmt, run_time=''):
    """The text of the report file ``fmt`` (json, csv or html) of a ``sso_run_report`` result."""
    if not isinstance(report, Mapping):
        raise AnsibleFilterError('sso_report_file: the input must be the result of sso_run_report')
    run = dict(kind=report.get('kind'), plan=report.get('plan'), time=run_time)
    rows = report.get('rows') or []
    if fmt == 'json':
        return render_json(rows, run)
    if fmt == 'csv':
        return render_csv(rows)
    if fmt == 'html':
        return render_html(rows, run)
    raise AnsibleFilterError('sso_report_file: format must be json, csv or html, got %r' % (fmt,))


class FilterModule(object):
    def filters(self):
        return dict(
            sso_run_report=run_report,
            sso_report_file=report_file,
            sso_audit_findings=audit_findings,
            sso_org_failure=org_failure,
        )
