# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): check mode's permission preflight, and retiring the backup of a
write that was refused (used by the genesys_identity_provider core).

A dry run reads; the real run then writes, and a write the admin client's roles do not allow is answered
403 ``missing.any.permissions``. Where the admin client can read its own roles, check mode predicts that:

* ``GET /api/v2/tokens/me`` gives the client's roles (``OAuthClient.roleDivisions[].roleId``; a user's
  token - password or SAML2-bearer grant - has no client roles: its permissions come from the user);
* ``GET /api/v2/authorization/roles/{roleId}`` (permission ``authorization:role:view``, Authorization > Role >
  View) gives each role's
  ``permissionPolicies`` (``domain``, ``entityName``, ``actionSet``; ``*`` = any).

The write a change needs (docs/genesys-api.md, section 2): ``POST /identityproviders`` (create a custom
provider) ``sso:provider:add``; ``PUT /identityproviders/{type}`` ("Update/Create") ``sso:provider:add`` or
``sso:provider:edit``; ``PUT /identityproviders/{id}`` ``sso:provider:edit``; ``DELETE`` ``sso:provider:delete``.
A missing permission fails the check run (the real run would fail with 403); roles that cannot be read give a
warning that the permissions could not be checked, and the check run goes on. Two requests + one per role,
only in check mode and only when something would change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_api import (
    ROLE_PATH,
    TOKEN_INFO_PATH as TOKENS_ME,
    ApiCallError,
    GenesysApi,
)
ROLE_VIEW = 'authorization:role:view'
# how messages name it: the output masker takes "authorization:<8+ characters>" for an Authorization header
ROLE_VIEW_TEXT = 'Authorization > Role > View'
MAX_ROLES = 50   # every loop bounded: a client with more roles is not checked role by role
_ROLE_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$')


class CannotCheck(Exception):
    """The admin client's permissions could not be read; the message says why and how to allow it."""


def required_permissions(write, custom):
    """The permissions (any one suffices) the planned write needs: ``write`` is POST, PUT or DELETE."""
    if write == 'POST':
        return ['sso:provider:add']
    if write == 'DELETE':
        return ['sso:provider:delete']
    if write == 'PUT':
        return ['sso:provider:edit'] if custom else ['sso:provider:add', 'sso:provider:edit']
    return []


def _matches(pattern, value):
    return pattern in ('*', value)


def policy_grants(policy, permission):
    """True when one permissionPolicy entry grants ``permission`` (``domain:entity:action``)."""
    domain, entity, action = (permission.split(':') + ['', '', ''])[:3]
    if not isinstance(policy, dict):
        return False
    actions = policy.get('actionSet') or []
    if isinstance(actions, str):
        actions = [actions]
    return (_matches(str(policy.get('domain') or ''), domain) and _matches(str(policy.get('entityName') or ''), entity)
            and any(_matches(str(a), action) for a in actions))


def _error_text(err):
    status = getattr(err, 'status', None)
    code = getattr(err, 'code', None)
    return ('HTTP %s %s' % (status, code or '')).strip() if status is not None else (str(err).split('. ', 1)[0])


def read_token_info(api):
    """The admin token's ``GET /api/v2/tokens/me`` answer; raises CannotCheck."""
    try:
        return api.token_info()
    except ApiCallError as exc:
        raise CannotCheck('GET %s failed (%s)' % (TOKENS_ME, _error_text(exc.error)))


def read_policies(api, me=None):
    """``(role names, permissionPolicies)`` of the admin client; raises CannotCheck.

    ``api`` is the task's :class:`GenesysApi` (``GET /api/v2/tokens/me`` unless ``me``, its answer, is given; then
    each role).
    """
    if me is None:
        me = read_token_info(api)
    client = (me or {}).get('OAuthClient') or {}
    grant = str(client.get('authorizedGrantType') or '').upper()
    if grant and grant != 'CLIENT-CREDENTIALS':
        raise CannotCheck('the admin token is not a client-credentials token (grant %s): its permissions come from '
                          'the user, not from the roles of an OAuth client' % grant)
    role_ids = []
    for entry in client.get('roleDivisions') or []:
        rid = (entry or {}).get('roleId') if isinstance(entry, dict) else None
        if rid and rid not in role_ids:
            role_ids.append(rid)
    for rid in client.get('roleIds') or []:
        if rid and rid not in role_ids:
            role_ids.append(rid)
    if not role_ids:
        raise CannotCheck('GET %s lists no roles of the admin client (OAuthClient.roleDivisions)' % TOKENS_ME)
    if len(role_ids) > MAX_ROLES:
        raise CannotCheck('the admin client has %d roles (more than %d are not read one by one)'
                          % (len(role_ids), MAX_ROLES))
    names, policies = [], []
    for rid in role_ids:
        if not isinstance(rid, str) or not _ROLE_ID.match(rid):
            raise CannotCheck('GET %s gave a role id that is not an id (%r)' % (TOKENS_ME, str(rid)[:40]))
        try:
            role = api.role(rid)
        except ApiCallError as exc:
            hint = (' (the admin client needs the permission %s to read its own roles)' % ROLE_VIEW_TEXT
                    if getattr(exc.error, 'status', None) == 403 else '')
            raise CannotCheck('GET %s failed (%s)%s' % (ROLE_PATH % rid, _error_text(exc.error), hint))
        names.append(str(role.get('name') or rid))
        policies.extend(p for p in role.get('permissionPolicies') or [] if isinstance(p, dict))
    return names, policies


def check_write_permissions(client, write, custom, label, warn, result=None, token_info=None):
    """Check mode: fail when the admin client's roles lack every permission the planned write needs.

    ``client``: the task's client or its :class:`GenesysApi`.

    Returns the ``permissions`` result field (``checked``, ``needed`` (any of), ``roles``, ``missing``, or
    ``reason`` when it could not check); warns when it could not check; raises GenesysModuleFail (failed_step
    ``permissions``, with ``changed_options`` of ``result``, the planned change) when a permission is missing.
    ``token_info``: the admin token's ``tokens/me`` answer when the caller read it already (no second GET);
    a :class:`CannotCheck` instead (the caller's read failed) makes it say it could not check.
    """
    needed = required_permissions(write, custom)
    if isinstance(client, GenesysApi):
        client = client.client
    if not needed or client is None or not hasattr(client, 'request'):
        return dict(checked=False, needed=needed, reason='no write planned')
    try:
        if isinstance(token_info, CannotCheck):
            raise token_info
        roles, policies = read_policies(GenesysApi(client), token_info)
    except CannotCheck as exc:
        reason = str(exc)
        warn('Check mode could not check the permissions of the admin client for the %s of the %s identity provider '
             '(it needs %s): %s. The real run fails with 403 missing.any.permissions if the client lacks them; give '
             'a role of the admin client the permission %s to have check mode verify them.'
             % (_verb(write, custom), label, ' or '.join(needed), reason, ROLE_VIEW_TEXT))
        return dict(checked=False, needed=needed, reason=reason)
    if any(policy_grants(p, perm) for p in policies for perm in needed):
        return dict(checked=True, needed=needed, roles=roles, missing=[])
    raise GenesysModuleFail(
        'Check mode: the admin client lacks the permission %s, which the %s of the %s identity provider needs: the '
        'real run would fail with 403 missing.any.permissions. Its roles (%s) grant no %s. Add the permission '
        '(Admin > Roles/Permissions: Single Sign-on > Provider > %s) to a role of the admin OAuth client, or use '
        'another admin client, and run again.'
        % (' or '.join(needed), _verb(write, custom), label, ', '.join(roles), ' or '.join(needed),
           ' or '.join(p.rsplit(':', 1)[-1].capitalize() for p in needed)),
        failed_step='permissions', permissions=dict(checked=True, needed=needed, roles=roles, missing=needed),
        changed_options=(result or {}).get('changed_options') or [])


def _verb(write, custom):
    return {'POST': 'creation', 'DELETE': 'deletion'}.get(write, 'update' if custom else 'creation or update')


# ------------------------------------------------------------------ backups of refused writes

UNUSED_SUFFIX = '.not-applied'


def retire_unused_backup(path, reason, now=None):
    """After a write that was refused (nothing changed), make its backup unmistakable; returns the new path.

    The backup ``<name>.json`` becomes ``<name>.json.not-applied`` (no longer matched by ``*.json``, so no
    listing, glob or restore picks it for a real backup) with ``"not_applied": {"reason", "at"}`` added to the
    document; mode 0600 as before. When it cannot be rewritten it is removed. ``None`` when ``path`` is empty
    or gone. Only for a write whose refusal proves it changed nothing (an HTTP 4xx answer), never after an
    unknown outcome: the journal of such a write still needs the backup to undo it.
    """
    if not path or not os.path.isfile(path):
        return None
    target = path + UNUSED_SUFFIX
    stamp = (now or datetime.datetime.now(datetime.timezone.utc)).strftime('%Y-%m-%dT%H:%M:%SZ')
    try:
        with open(path) as handle:
            document = json.load(handle)
        if not isinstance(document, dict):
            raise ValueError('not a JSON object')
        document['not_applied'] = dict(reason=str(reason), at=stamp)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            json.dump(document, handle, indent=2, sort_keys=True)
            handle.write('\n')
        os.chmod(target, 0o600)
    except (OSError, IOError, ValueError):
        try:
            os.remove(path)
        except OSError:
            pass
        return None
    os.remove(path)
    return target
