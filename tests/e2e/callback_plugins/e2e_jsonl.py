# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: append one JSON line per task result to $E2E_JSONL_PATH.

It sees exactly what every callback sees (a censored result for no_log tasks).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: e2e_jsonl
type: aggregate
short_description: write task results as JSON lines (tests only)
description: Writes one JSON object per task result to the file named by E2E_JSONL_PATH.
requirements: [enable in ANSIBLE_CALLBACKS_ENABLED]
'''

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'e2e_jsonl'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get('E2E_JSONL_PATH')

    def _write(self, record):
        if not self._path:
            return
        with open(self._path, 'a', encoding='utf-8') as handle:
            handle.write(json.dumps(record, default=str, sort_keys=True) + '\n')

    def _record(self, status, result):
        task = result.task if hasattr(result, 'task') else result._task
        host = result.host if hasattr(result, 'host') else result._host
        data = result.result if hasattr(result, 'result') else result._result
        self._write(dict(event='task', status=status, host=host.get_name(), task=task.get_name(),
                         action=task.action, result=dict(data)))

    def v2_runner_on_ok(self, result):
        self._record('changed' if result.result.get('changed') else 'ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record('failed', result)

    def v2_runner_on_skipped(self, result):
        self._record('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._record('unreachable', result)

    def v2_playbook_on_stats(self, stats):
        hosts = sorted(stats.processed.keys())
        self._write(dict(event='stats', stats=dict((h, stats.summarize(h)) for h in hosts)))
