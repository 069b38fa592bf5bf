# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: sso_plan
type: aggregate
short_description: Labelled compact diffs, a progress line per org and a plan line for the saml_sso role
version_added: 1.1.0
author:
  - genesyscloud.sso contributors (@genesyscloud)
description:
  - For runs of the C(genesyscloud.sso.saml_sso) role (C(configure_sso.yml), C(audit_sso.yml)) over many orgs.
  - "Enabled beside the stdout callback (C(ANSIBLE_CALLBACKS_ENABLED=genesyscloud.sso.sso_plan), or C(callbacks_enabled)
    in C(ansible.cfg)), also under ansible-runner and AWX (their C(awx_display) stdout callback stays), it adds the
    following."
  - "With C(--diff), after each org's step 4, a compact diff headed by the org, the provider type and name, with only the
    changed fields (C(~ field: old -> new), C(+ field: new), C(- field: old)) and the certificates matched by SHA-256
    fingerprint (C(+ added certificate <fingerprint, subject, expiry>), C(- removed certificate <...>))."
  - "A progress line as each org finishes (C([37/200] org-0037: no change)), and the warnings of the org's summary
    (another enabled provider with an expired or expiring certificate)."
  - "At the end, one plan line: C(Plan: N to create, N to update, N to delete, N unchanged, N failed) when nothing was
    written (check mode, C(--tags verify)), C(Applied: N created, N updated, N deleted, N unchanged, N failed) after a
    real run, C(Audit: N healthy, N expiring, N EXPIRED, N OAuth client failing, N failed) after an audit. The role
    emits the same line with C(set_stats) as C(saml_sso_plan) (the AWX job's artifacts)."
  - "Quiet mode: used as the stdout callback (C(ANSIBLE_STDOUT_CALLBACK=genesyscloud.sso.sso_plan)), it prints ONLY the
    per-org lines, the warnings (each named by its org), the errors of orgs that failed before their summary, and the
    plan line. Set O(quiet=false) there to add the compact diffs back."
  - Prints nothing for a play that does not run the role.
options:
  quiet:
    description:
      - Print only the per-org lines, warnings and the plan line (no compact diffs). Defaults to true when this plugin
        is the stdout callback; beside another stdout callback it cannot silence that one, so it only drops the diffs.
    type: bool
    env:
      - name: ANSIBLE_SSO_PLAN_QUIET
    ini:
      - section: callback_sso_plan
        key: quiet
  progress:
    description: Print a progress line as each org finishes.
    type: bool
    default: true
    env:
      - name: ANSIBLE_SSO_PLAN_PROGRESS
    ini:
      - section: callback_sso_plan
        key: progress
'''

from collections.abc import Mapping

from ansible import constants as C
from ansible.plugins.callback import CallbackBase

from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_report import (
    compact_diff_lines,
    outcome,
    plan_line,
)

NAMES = ('genesyscloud.sso.sso_plan', 'sso_plan')
STEP4 = 'genesys_identity_provider'


def _result(result):
    value = getattr(result, 'result', None)
    return value if isinstance(value, Mapping) else getattr(result, '_result', {}) or {}


def _host(result):
    host = getattr(result, 'host', None) or getattr(result, '_host', None)
    return host.get_name() if hasattr(host, 'get_name') else str(host)


def _task(result):
    return getattr(result, 'task', None) or getattr(result, '_task', None)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'genesyscloud.sso.sso_plan'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.is_stdout = str(getattr(C, 'DEFAULT_STDOUT_CALLBACK', '') or '') in NAMES
        self.quiet = self.is_stdout
        self.progress = True
        self.total, self.results, self.errors, self.check_mode = 0, {}, {}, None
        self._reset()

    def _reset(self):
        self.total = 0
        self.results = {}   # host -> saml_sso_result, in the order the orgs finished
        self.errors = {}    # host -> last error before its summary
        self.check_mode = None

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super(CallbackModule, self).set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        quiet = self.get_option('quiet')
        self.quiet = self.is_stdout if quiet is None else bool(quiet)
        self.progress = bool(self.get_option('progress'))

    # ------------------------------------------------------------------ plays
    def v2_playbook_on_start(self, playbook):
        self._reset()

    def v2_playbook_on_play_start(self, play):
        try:
            inventory = play.get_variable_manager()._inventory  # pylint: disable=protected-access
            self.total = max(self.total, len(inventory.get_hosts(play.hosts)))
        except Exception:  # pylint: disable=broad-except  # pragma: no cover - the count is only for the progress line
            pass
        if getattr(play, 'check_mode', None):
            self.check_mode = True

    # ------------------------------------------------------------------ results
    def _record(self, result):
        res = _result(result)
        host = _host(result)
        facts = res.get('ansible_facts')
        summary = facts.get('saml_sso_result') if isinstance(facts, Mapping) else None
        if isinstance(summary, Mapping) and summary.get('kind') in ('configure', 'audit'):
            first = host not in self.results
            self.results[host] = dict(summary)
            self.errors.pop(host, None)
            if self.progress:
                number = list(self.results).index(host) + 1
                total = max(self.total, len(self.results))
                again = '' if first else ' (again)'
                self._display.display('[%d/%d] %s: %s%s' % (number, total, host, outcome(summary)[1], again))
            for warning in summary.get('warnings') or []:
                self._display.warning(warning)
            return True
        return False

    def _diff(self, result):
        if self.quiet:
            return
        task = _task(result)
        res = _result(result)
        action = str(getattr(task, 'action', '') or '')
        if not (action == STEP4 or action.endswith('.' + STEP4)) or not getattr(task, 'diff', False):
            return
        diff = res.get('diff')
        if not isinstance(diff, Mapping):
            return
        provider = res.get('provider') if isinstance(res.get('provider'), Mapping) else {}
        args = getattr(task, 'args', {}) or {}
        lines = compact_diff_lines(_host(result), diff, ptype=str(args.get('type') or ''),
                                   name=provider.get('name') or '')
        if lines:
            self._display.display('\n'.join(lines))

    def _quiet_extras(self, result):
        """In quiet mode the stdout callback shows no task results: keep the warnings (they name the org)."""
        if not self.is_stdout:
            return
        # warnings only: the errors are in the per-org lines (a copy: the other callbacks see the result unchanged)
        self._handle_warnings(dict(_result(result)))

    def v2_runner_on_ok(self, result):
        self._quiet_extras(result)
        if not self._record(result):
            self._diff(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._quiet_extras(result)
        self._diff(result)
        host = _host(result)
        if not ignore_errors and host not in self.results:
            task = _task(result)
            msg = _result(result).get('msg') or 'see the task output'
            self.errors[host] = 'FAILED at "%s": %s' % (getattr(task, 'name', '') or '?', msg)

    def v2_runner_on_unreachable(self, result):
        self._quiet_extras(result)
        self.errors[_host(result)] = 'UNREACHABLE: %s' % (_result(result).get('msg') or '')

    def v2_runner_on_skipped(self, result):
        self._quiet_extras(result)

    # ------------------------------------------------------------------ end
    def v2_playbook_on_stats(self, stats):
        if not self.results:
            if self.is_stdout:  # quiet stdout callback of a play without the role: its errors at least
                for host in sorted(self.errors):
                    self._display.display('%s: %s' % (host, self.errors[host]), stderr=True)
            return
        for host in sorted(self.errors):
            if host not in self.results and self.progress:
                self._display.display('[-/%d] %s: %s' % (max(self.total, len(self.results)), host, self.errors[host]))
        missing = [h for h in self.errors if h not in self.results]
        results = list(self.results.values()) + [{} for _h in missing]
        self._display.display(plan_line(results, check_mode=True if self.check_mode else None))
