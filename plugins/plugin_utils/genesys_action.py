# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side entry point shared by every genesyscloud.sso action plugin.

The modules of this collection always talk to an HTTPS API from localhost, so
their action plugins run the module's core (``plugins/module_utils``) in the
controller process instead of shipping a module to a Python child process.

It keeps the module contract:

* arguments are validated with the module's own spec (same messages as
  ``AnsibleModule``: unsupported options, types, choices, cross-option rules);
* check mode and diff mode are honoured;
* every ``no_log`` value (and every value the core registers as secret) is
  masked in the result exactly as ``AnsibleModule`` would mask it.

Set the variable ``genesyscloud_sso_execution: module`` (task, host or play
vars) to run the plain module instead, e.g. on a delegated jump host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.genesyscloud.sso.plugins.module_utils.genesys_common import (
    SPEC_RULE_KEYS,
    GenesysModuleFail,
    RunContext,
)

EXECUTION_VAR = 'genesyscloud_sso_execution'


class GenesysActionBase(ActionBase):
    """Subclasses set ``SPEC`` (module spec dict) and ``CORE`` (core function)."""

    SPEC = None
    CORE = None
    TRANSFERS_FILES = False
    _requires_connection = False

    def _module_path_requested(self, task_vars):
        value = (task_vars or {}).get(EXECUTION_VAR, 'controller')
        if value not in ('controller', 'module'):
            raise AnsibleActionFail('%s must be "controller" or "module", got %r' % (EXECUTION_VAR, value))
        return value == 'module'

    def run(self, tmp=None, task_vars=None):
        if self._module_path_requested(task_vars):
            self._requires_connection = True
            return self._execute_module(module_name=self._task.action, module_args=self._task.args,
                                        task_vars=task_vars)
        result = super(GenesysActionBase, self).run(tmp, task_vars)
        spec = self.SPEC
        validator = ArgumentSpecValidator(
            spec['argument_spec'],
            **dict((k, spec[k]) for k in SPEC_RULE_KEYS if k in spec)
        )
        validation = validator.validate(self._task.args)
        no_log_values = set(validation._no_log_values)
        if validation.error_messages:
            result.update(failed=True, msg=_validation_message(validation))
            return _mask(result, no_log_values)
        for warning in validation._warnings:
            self._display.warning(warning.get('warning') if isinstance(warning, dict) else str(warning))

        check_mode = bool(self._task.check_mode or self._play_context.check_mode)
        if check_mode and not spec.get('supports_check_mode', False):
            result.update(skipped=True, msg='remote module does not support check mode')
            return result
        diff_mode = bool(self._task.diff if self._task.diff is not None else self._play_context.diff)
        ctx = RunContext(check_mode=check_mode, diff_mode=diff_mode, execution='controller')
        core = type(self).CORE
        try:
            core_result = core(validation.validated_parameters, ctx)
        except GenesysModuleFail as exc:
            core_result = dict(exc.extra)
            core_result.update(failed=True, msg=exc.msg)
        no_log_values.update(ctx.secrets)
        result.update(core_result)
        if ctx.warnings:
            result.setdefault('warnings', []).extend(ctx.warnings)
        result.setdefault('changed', False)
        if not result.get('failed'):
            result['invocation'] = dict(module_args=validation.validated_parameters)
        return _mask(result, no_log_values)


def _validation_message(validation):
    """Same wording as AnsibleModule.fail_json on a bad argument set."""
    errors = validation.errors
    msg = errors.msg if hasattr(errors, 'msg') else str(errors)
    if len(validation.error_messages) > 1:
        msg = '; '.join(validation.error_messages)
    return msg


def _mask(result, no_log_values):
    keep = dict((k, result[k]) for k in ('_ansible_no_log',) if k in result)
    masked = remove_values(result, no_log_values) if no_log_values else result
    masked.update(keep)
    return masked
