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
  masked in the result exactly as ``AnsibleModule`` would mask it
  (``invocation.module_args`` included);
* ``invocation`` is returned exactly when the running ansible-core's
  ``AnsibleModule`` would return it: always before 2.21, only with
  ``INJECT_INVOCATION`` (``ANSIBLE_INJECT_INVOCATION``) enabled from 2.21 on.

Set the variable ``genesyscloud_sso_execution: module`` (task, host or play
vars) to run the plain module instead, e.g. on a delegated jump host.

A subclass may set ``CENSOR_RESULT = True``: a successful result then carries
``_ansible_no_log`` so every callback (and ansible-runner) shows it censored,
while ``register`` still receives the full result (on both execution paths).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible import constants as C
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import PASS_VARS
from ansible.module_utils.errors import NoLogError, UnsupportedError
from ansible.plugins.action import ActionBase

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    SPEC_RULE_KEYS,
    GenesysModuleFail,
    RunContext,
    SecretMasker,
    connection_secrets,
    mask_output,
    scrub,
)

EXECUTION_VAR = 'genesyscloud_sso_execution'


def validate_module_args(spec, args, module_name):
    """Validate ``args`` like ``AnsibleModule`` does.

    Returns ``(validation, error_msg, warnings)``: the ``ValidationResult``, the
    message ``AnsibleModule.fail_json`` would give (None when valid) and the
    warnings it would emit.
    """
    validator = ArgumentSpecValidator(
        spec['argument_spec'],
        **dict((k, spec[k]) for k in SPEC_RULE_KEYS if k in spec)
    )
    try:
        validation = validator.validate(dict(args or {}))
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        # ansible-core's validator (and so AnsibleModule) crashes on some shapes, e.g. a dict option with
        # suboptions given a list of numbers; fail cleanly naming the option instead
        return _CrashedValidation(spec['argument_spec'], args), _crash_message(spec['argument_spec'], args, exc), []
    warnings = ['Both option {option} and its alias {alias} are set.'.format(option=w['option'], alias=w['alias'])
                for w in validation._warnings]
    msg = None
    if validation.error_messages:
        errors = list(validation.errors)
        error = errors[0]
        msg = validation.errors.msg
        if isinstance(error, NoLogError):
            # e.g. a dict option given 'a': the no_log scan's message does not name the option; the type
            # error that follows does ("argument 'expect' is of type str and we were unable to convert to dict")
            named = [e for e in errors if not isinstance(e, NoLogError)]
            if named:
                error, msg = named[0], named[0].msg
        if isinstance(error, UnsupportedError):
            msg = 'Unsupported parameters for ({name}) {kind}: {msg}'.format(name=module_name, kind='module', msg=msg)
    return validation, msg, warnings


def _iter_subvalues(value):
    """The dicts below an option with suboptions (a dict, or a list of dicts); other shapes yield nothing."""
    if isinstance(value, dict):
        yield value
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                yield item


def _find_bad_shape(argument_spec, args, prefix=''):
    """Name and message of the first option with suboptions whose value is neither a dict nor a list of dicts."""
    for name, opt in (argument_spec or {}).items():
        if not isinstance(args, dict) or not isinstance(opt, dict):
            continue
        keys = [name] + list(opt.get('aliases') or [])
        present = [k for k in keys if k in args]
        if not present or not opt.get('options'):
            continue
        value = args[present[0]]
        full = prefix + present[0]
        if value is None:
            continue
        if opt.get('type', 'str') == 'dict' and not isinstance(value, (dict, str)):
            return full, "argument '%s' is of type %s and we were unable to convert to dict: %s cannot be " \
                         "converted to a dict" % (full, type(value).__name__, type(value))
        if isinstance(value, list) and any(not isinstance(item, (dict, str)) for item in value):
            return full, "value of '%s' must be of type dict or list of dicts" % full
        if not isinstance(value, (list, dict, str)):
            return full, "value of '%s' must be of type dict or list of dicts" % full
        for sub in _iter_subvalues(value):
            found = _find_bad_shape(opt['options'], sub, full + '.')
            if found:
                return found
    return None


def _crash_message(argument_spec, args, exc):
    found = _find_bad_shape(argument_spec, args)
    if found:
        return found[1]
    return 'argument validation failed (%s); check the types of the options given' % type(exc).__name__


def _collect_no_log(argument_spec, args, out):
    """no_log values of ``args`` (suboptions included), collected without ansible-core's validator."""
    if not isinstance(args, dict):
        return out
    for name, opt in (argument_spec or {}).items():
        if not isinstance(opt, dict):
            continue
        for key in [name] + list(opt.get('aliases') or []):
            if key not in args:
                continue
            value = args[key]
            if opt.get('no_log') and isinstance(value, (str, int, float)) and not isinstance(value, bool):
                out.add(str(value))
            if opt.get('options'):
                for sub in _iter_subvalues(value):
                    _collect_no_log(opt['options'], sub, out)
    return out


class _CrashedValidation:
    """Stands in for ``ValidationResult`` when ansible-core's validator raised."""

    def __init__(self, argument_spec, args):
        self._no_log_values = _collect_no_log(argument_spec, args, set())
        self._warnings = []
        self.validated_parameters = dict(args or {})


def invocation_wanted(task_vars=None):
    """Whether ``AnsibleModule`` of the running ansible-core would add ``invocation`` to a result.

    Before 2.21 it always does. From 2.21 on only when the ``INJECT_INVOCATION`` setting
    (default false) is enabled; registered results are no longer stripped of it either.
    """
    if 'inject_invocation' not in PASS_VARS:
        return True
    return bool(C.config.get_config_value('INJECT_INVOCATION', variables=task_vars or {}))


def mask_result(result, no_log_values, keep=()):
    """Mask like ``AnsibleModule._return_formatted``: no_log values out, top-level bools/None kept.

    The masker is the one of the module path (``_genesys_common.SecretMasker``): every secret in every form
    (URL-encoded, JSON-escaped, base64, HTTP Basic), Authorization / Bearer / Basic credentials in any text,
    and private-key blocks removed (``invocation.module_args`` included). Blank (empty or whitespace-only)
    values are not masked: masking them would replace every space of the output (the client refuses blank
    secrets anyway). ``keep``: top-level keys of a successful result returned as they are.
    """
    masker = no_log_values if isinstance(no_log_values, SecretMasker) else SecretMasker(no_log_values or ())
    return mask_output(result, masker, keep=keep)


# ---------------------------------------------------------------------------------------------------
# the task's environment: keyword on the controller path
# ---------------------------------------------------------------------------------------------------
def env_fallback_names(argument_spec):
    """{option: [environment variable names]} of the options that fall back to the environment."""
    out = {}
    for name, opt in (argument_spec or {}).items():
        fallback = opt.get('fallback') if isinstance(opt, dict) else None
        if fallback and fallback[0] is env_fallback and len(fallback) > 1 and fallback[1]:
            names = fallback[1][0] if isinstance(fallback[1][0], (list, tuple)) else fallback[1]
            out[name] = list(names)
    return out


def apply_task_environment(argument_spec, args, task_env, process_env):
    """Resolve the environment fallbacks as a module process would see them: the task's ``environment:``
    over the controller's own environment.

    Returns ``(args, error)``: ``args`` with the options whose value comes from the task's ``environment:``
    set explicitly (so the fallback does not read the controller's environment), or an error message when
    a variable the task's ``environment:`` sets holds a different value in the controller's environment
    (it names the variables and both sources, never a value). An option given in the task wins over both.
    """
    args = dict(args or {})
    task_env = dict((str(k), v) for k, v in (task_env or {}).items())
    conflicts = []
    for option, names in sorted(env_fallback_names(argument_spec).items()):
        opt = argument_spec[option]
        keys = [option] + list(opt.get('aliases') or [])
        if any(args.get(k) is not None for k in keys):
            continue
        for name in names:
            if name in task_env and name in process_env and str(task_env[name]) != process_env[name]:
                conflicts.append((option, name))
        chosen = None
        for name in names:
            if name in task_env or name in process_env:
                chosen = name
                break
        if chosen is not None and chosen in task_env and task_env[chosen] is not None:
            args[option] = str(task_env[chosen])
    if conflicts:
        names = ', '.join(n for _o, n in conflicts)
        options = ', '.join(o for o, _n in conflicts)
        return args, (
            'Conflicting environment: %s %s set both by the task\'s environment: keyword and by the controller\'s '
            'own environment (the shell or job that started ansible-playbook), with different values; the task '
            'would act on another org or with other credentials depending on which one wins. Nothing was sent. '
            'Fix: unset %s in the controller\'s environment, give both the same value, or set the option%s %s in '
            'the task (an option given in the task wins over both)'
            % (names, 'is' if len(conflicts) == 1 else 'are', names, '' if len(conflicts) == 1 else 's', options))
    return args, None


def name_the_host(result, task_vars):
    """Prefix every warning of ``result`` with the inventory host (the org): with many forks, a warning printed
    without it (a retry, an expiring certificate) cannot be told apart from another org's. A provider diff gets
    ``before_header``/``after_header`` naming the org, the provider type and name."""
    host = str((task_vars or {}).get('inventory_hostname') or '')
    warnings = result.get('warnings') if isinstance(result, dict) else None
    if host and isinstance(warnings, list):
        result['warnings'] = [w if not isinstance(w, str) or w.startswith(host + ': ') else '%s: %s' % (host, w)
                              for w in warnings]
    # a provider diff is headed by the org, the provider type and name (``--- before: org-7: okta 'Okta'``), not
    # by a bare before/after that could be any of the orgs of the run
    diff = result.get('diff') if isinstance(result, dict) else None
    if host and isinstance(diff, dict) and ('before' in diff or 'after' in diff):
        obj = diff.get('after') or diff.get('before')
        if isinstance(obj, dict) and obj.get('type'):
            label = "%s: %s '%s'" % (host, obj['type'], obj.get('name') or obj['type'])
            diff.setdefault('before_header', label)
            diff.setdefault('after_header', label)
    return result


class GenesysActionBase(ActionBase):
    """Subclasses set ``SPEC`` (module spec dict) and ``CORE`` (core function)."""

    SPEC = None
    CORE = None
    CENSOR_RESULT = False
    TRANSFERS_FILES = False
    _requires_connection = False

    def _module_path_requested(self, task_vars):
        value = (task_vars or {}).get(EXECUTION_VAR, 'controller')
        if value not in ('controller', 'module'):
            raise AnsibleActionFail('%s must be "controller" or "module", got %r' % (EXECUTION_VAR, value))
        return value == 'module'

    def _censor(self, result):
        if self.CENSOR_RESULT and not result.get('failed') and not result.get('skipped'):
            result['_ansible_no_log'] = True
        return result

    def _task_environment(self):
        """The task's ``environment:`` (play, block and task levels merged, templated) as a dict, exactly as
        ansible-core gives it to a module process (``ActionBase._compute_environment_string``)."""
        final = {}
        environments = getattr(self._task, 'environment', None)
        if environments is None:
            return final
        if not isinstance(environments, list):
            environments = [environments]
        for environment in environments:
            if environment is None or len(environment) == 0:
                continue
            templated = self._templar.template(environment)
            if not isinstance(templated, dict):
                raise AnsibleActionFail('environment must be a dictionary, received %s' % type(templated).__name__)
            final.update(templated)
        if final:
            final = self._templar.template(final)
        return dict((str(k), v) for k, v in final.items())

    def _environment_args(self, args):
        """``(args, error)``: ``args`` with the task's ``environment:`` applied to the environment fallbacks."""
        try:
            task_env = self._task_environment()
        except (AnsibleError, TypeError, ValueError) as exc:
            return args, 'environment: could not be read (%s); fix the task\'s environment: keyword' % exc
        return apply_task_environment(self.SPEC['argument_spec'], args, task_env, os.environ)

    def _module_runs_here(self, task_vars):
        """True when the plain module would run on this controller (local connection, not delegated elsewhere),
        so that its process environment is this one plus the task's ``environment:``."""
        task_vars = task_vars or {}
        delegate = getattr(self._task, 'delegate_to', None)
        if delegate and str(delegate) not in ('localhost', '127.0.0.1', '::1'):
            return False
        return task_vars.get('ansible_connection', 'local') == 'local'

    def run(self, tmp=None, task_vars=None):
        module_path = self._module_path_requested(task_vars)
        args, env_error = self._environment_args(dict(self._task.args))
        if env_error and (not module_path or self._module_runs_here(task_vars)):
            # before any request, on both execution paths (the module path: when the module runs here)
            return dict(failed=True, changed=False, msg=scrub(env_error))
        if module_path:
            self._requires_connection = True
            result = self._execute_module(module_name=self._task.action, module_args=self._task.args,
                                          task_vars=task_vars)
            return self._censor(name_the_host(scrub(result), task_vars))
        result = super(GenesysActionBase, self).run(tmp, task_vars)
        return self._censor(name_the_host(self.run_core(result, args, self._task.action,
                                                        check_mode=self._task.check_mode, diff_mode=self._task.diff,
                                                        inject_invocation=invocation_wanted(task_vars)), task_vars))

    def run_core(self, result, args, module_name, check_mode=False, diff_mode=False, inject_invocation=None):
        """Validate ``args``, run the core, shape and mask the result (no Ansible task objects needed).

        ``inject_invocation``: add ``invocation.module_args``; None means as the running core's
        ``AnsibleModule`` does by default (see ``invocation_wanted``).
        """
        if inject_invocation is None:
            inject_invocation = invocation_wanted()
        result = self._shape(result, args, module_name, check_mode, diff_mode)
        if not inject_invocation:
            result.pop('invocation', None)
        return result

    def _shape(self, result, args, module_name, check_mode, diff_mode):
        spec = self.SPEC
        validation, error_msg, warnings = validate_module_args(spec, args, module_name)
        params = validation.validated_parameters
        masker = SecretMasker(validation._no_log_values)
        masker.update(connection_secrets(params))
        if warnings:
            result['warnings'] = list(warnings)
        if error_msg:
            result.update(failed=True, msg=error_msg, invocation=dict(module_args=params))
            return mask_result(result, masker)

        if check_mode and not spec.get('supports_check_mode', False):
            result.update(skipped=True, msg='remote module (%s) does not support check mode' % module_name,
                          invocation=dict(module_args=params))
            return mask_result(result, masker)

        ctx = RunContext(check_mode=bool(check_mode), diff_mode=bool(diff_mode), execution='controller')
        core = type(self).CORE
        try:
            with ctx:
                core_result = core(params, ctx)
        except GenesysModuleFail as exc:
            core_result = dict(exc.extra)
            core_result.update(failed=True, msg=exc.msg)
        masker.update(ctx.secrets)
        result.update(core_result)
        if ctx.warnings:
            result['warnings'] = result.get('warnings', []) + list(ctx.warnings)
        if 'invocation' not in result:
            result['invocation'] = dict(module_args=params)
        if not result.get('failed'):
            result.setdefault('changed', False)
        return mask_result(result, masker, keep=ctx.unmasked_keys)
