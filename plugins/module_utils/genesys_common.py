# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared entry-point contract of every genesyscloud.sso module.

Every user-facing module has one *core*: a function ``core(params, ctx)`` that
returns a result dict (``changed``, ``diff``, return values...) or raises
:class:`GenesysModuleFail`.  The same core runs

* in the module process, through :func:`run_module` (``AnsibleModule``), and
* in the controller process, through the action plugin of the same name
  (``plugins/plugin_utils/genesys_action.py``).

``ctx`` is a :class:`RunContext`: it carries check/diff mode and collects
warnings, so the core never touches ``AnsibleModule`` directly.

A module's *spec* is a dict holding the ``argument_spec`` plus the keyword
arguments that ``AnsibleModule`` takes for cross-option rules
(``mutually_exclusive``, ``required_if``, ``required_one_of``,
``required_together``, ``required_by``) and ``supports_check_mode``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.module_utils.basic import env_fallback

SPEC_RULE_KEYS = (
    'mutually_exclusive',
    'required_if',
    'required_one_of',
    'required_together',
    'required_by',
)


def connection_argument_spec():
    """The connection options every module shares (doc fragment genesyscloud.sso.genesys)."""
    return dict(
        region=dict(type='str', fallback=(env_fallback, ['GENESYSCLOUD_REGION'])),
        api_url=dict(type='str', fallback=(env_fallback, ['GENESYSCLOUD_API_URL'])),
        login_url=dict(type='str', fallback=(env_fallback, ['GENESYSCLOUD_LOGIN_URL'])),
        client_id=dict(type='str', fallback=(env_fallback, ['GENESYSCLOUD_OAUTHCLIENT_ID'])),
        client_secret=dict(type='str', no_log=True,
                           fallback=(env_fallback, ['GENESYSCLOUD_OAUTHCLIENT_SECRET'])),
        access_token=dict(type='str', no_log=True,
                          fallback=(env_fallback, ['GENESYSCLOUD_ACCESS_TOKEN'])),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path', fallback=(env_fallback, ['GENESYSCLOUD_CA_PATH'])),
        timeout=dict(type='float', default=30.0),
        retries=dict(type='int', default=5),
    )


def build_spec(argument_spec, with_connection=True, **rules):
    """Return a module spec dict: argument_spec (+ connection options) and rules."""
    full = connection_argument_spec() if with_connection else {}
    full.update(copy.deepcopy(argument_spec))
    spec = dict(argument_spec=full, supports_check_mode=rules.pop('supports_check_mode', True))
    for key in SPEC_RULE_KEYS:
        if rules.get(key):
            spec[key] = rules.pop(key)
    if rules:
        raise TypeError('unknown spec keys: %s' % ', '.join(sorted(rules)))
    return spec


class GenesysModuleFail(Exception):
    """A clean task failure: ``msg`` for the user, ``extra`` merged into the result."""

    def __init__(self, msg, **extra):
        super(GenesysModuleFail, self).__init__(msg)
        self.msg = msg
        self.extra = extra


class RunContext:
    """What a core may know of the run it is part of."""

    def __init__(self, check_mode=False, diff_mode=False, tmpdir=None, execution='module'):
        self.check_mode = bool(check_mode)
        self.diff_mode = bool(diff_mode)
        self.tmpdir = tmpdir
        self.execution = execution
        self.warnings = []
        self.secrets = set()

    def warn(self, msg):
        if msg not in self.warnings:
            self.warnings.append(msg)

    def add_secret(self, value):
        """Mask ``value`` wherever it would appear in the task result (like no_log)."""
        if value:
            self.secrets.add(value)


def run_module(spec, core):
    """Run ``core`` as an Ansible module (the plain module path)."""
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(**spec)
    ctx = RunContext(check_mode=module.check_mode, diff_mode=module._diff,
                     tmpdir=getattr(module, 'tmpdir', None), execution='module')
    try:
        result = core(module.params, ctx)
        module.no_log_values.update(ctx.secrets)
    except GenesysModuleFail as exc:
        module.no_log_values.update(ctx.secrets)
        for w in ctx.warnings:
            module.warn(w)
        module.fail_json(msg=exc.msg, **exc.extra)
    for w in ctx.warnings:
        module.warn(w)
    module.exit_json(**result)
