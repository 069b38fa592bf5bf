# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sso_plan callback with fake task results: progress lines, compact diffs only with --diff and not in quiet mode,
warnings of the summary, the plan line at the end (and nothing for a play without the role)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.genesyscloud.sso.plugins.callback.sso_plan import CallbackModule


class _Display:
    def __init__(self):
        self.lines, self.warnings = [], []

    def display(self, msg, **kwargs):
        self.lines.extend(msg.splitlines())

    def warning(self, msg, **kwargs):
        self.warnings.append(msg)


class _Host:
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


class _Task:
    def __init__(self, action, diff=False, name='t', args=None):
        self.action, self.diff, self.name, self.args = action, diff, name, args or {}


class _Result:
    def __init__(self, host, task, result):
        self._host, self._task, self._result = _Host(host), task, result


def _callback(quiet=False):
    cb = CallbackModule()
    cb._display = _Display()
    cb.quiet, cb.progress, cb.is_stdout = quiet, True, False
    cb.total = 2
    return cb


def _summary(org, **extra):
    r = dict(kind='configure', org=org, status='ok', mode='check', changed=False, action='unchanged',
             changed_fields=[], warnings=[])
    r.update(extra)
    return _Result(org, _Task('ansible.builtin.set_fact'), dict(ansible_facts=dict(saml_sso_result=r)))


STEP4 = 'genesyscloud.sso.genesys_identity_provider'
DIFF = dict(before=dict(type='okta', name='Okta', issuer_uri='a'), after=dict(type='okta', name='Okta', issuer_uri='b'))


def test_progress_diff_warnings_and_plan():
    cb = _callback()
    cb.v2_runner_on_ok(_Result('o1', _Task(STEP4, diff=True), dict(changed=True, diff=DIFF)))
    cb.v2_runner_on_ok(_Result('o2', _Task(STEP4, diff=False), dict(changed=True, diff=DIFF)))  # no --diff: no diff
    cb.v2_runner_on_ok(_summary('o1', changed=True, action='updated', changed_fields=['issuer_uri'],
                                warnings=['o1: another enabled identity provider ...']))
    cb.v2_runner_on_ok(_summary('o2'))
    cb.v2_playbook_on_stats(None)
    assert cb._display.lines == ["--- o1: okta 'Okta' (update)", '  ~ issuer_uri: "a" -> "b"',
                                 '[1/2] o1: would update issuer_uri', '[2/2] o2: no change',
                                 'Plan: 0 to create, 1 to update, 0 to delete, 1 unchanged, 0 failed']
    assert cb._display.warnings == ['o1: another enabled identity provider ...']


def test_quiet_mode_has_no_diff_and_an_org_that_failed_before_its_summary_counts_as_failed():
    cb = _callback(quiet=True)
    cb.v2_runner_on_ok(_Result('o1', _Task(STEP4, diff=True), dict(changed=True, diff=DIFF)))
    cb.v2_runner_on_ok(_summary('o1', mode='apply'))
    cb.v2_runner_on_unreachable(_Result('o2', _Task('x'), dict(msg='no route')))
    cb.v2_playbook_on_stats(None)
    assert cb._display.lines == ['[1/2] o1: no change', '[-/2] o2: UNREACHABLE: no route',
                                 'Applied: 0 created, 0 updated, 0 deleted, 1 unchanged, 1 failed']


def test_a_play_without_the_role_prints_nothing():
    cb = _callback()
    cb.v2_runner_on_ok(_Result('h', _Task('ansible.builtin.debug'), dict(msg='hi')))
    cb.v2_runner_on_failed(_Result('h', _Task('ansible.builtin.fail'), dict(msg='boom')))
    cb.v2_playbook_on_stats(None)
    assert cb._display.lines == [] and cb._display.warnings == []
