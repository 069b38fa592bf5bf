# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the saml_sso role for a whole run: the closing lines, the plan line, the report files, the audit findings.

Documented in sso_run_report.yml, sso_report_file.yml and sso_audit_findings.yml.
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


def run_report(hostvars, hosts):
    """``{kind, plan, lines, rows}`` of the run from each host's saml_sso_result (``{}`` when it has none)."""
    results, regions = {}, {}
    for host in hosts or []:
        result = _host_value(hostvars, host, 'saml_sso_result', {})
        results[host] = dict(result) if isinstance(result, Mapping) else {}
        # the region, else the API host the org was reached at (api_url)
        regions[host] = str(_host_value(hostvars, host, 'saml_sso_region', '')
                            or _host_value(hostvars, host, 'saml_sso_api_url', '') or '')
    values = list(results.values())
    return dict(kind=run_kind(values), plan=plan_line(values), lines=closing_lines(results),
                rows=report_rows(results, regions))


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
        )
