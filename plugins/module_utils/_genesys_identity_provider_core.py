# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the core of genesys_identity_provider (shared by the module
and its action plugin): ``SPEC`` and ``core(params, ctx)``.

The core only maps: params -> :class:`ProviderRequest` (``_genesys_provider_input``: checks, backup, metadata,
certificates, desired fields) -> the read side (``_genesys_provider_read.Reader``) -> the journaled
:class:`Change` (``_genesys_provider_change``: recover, validate, read, ``plan()`` of the domain, lock, write,
verify, roll back; ``_genesys_provider_recovery`` finishes interrupted changes) -> the result.

Request pattern (what a run costs, after the token):

* per-type provider: 1 GET of ``/identityproviders/{type}`` (+ the listing when it
  answers 404, to tell "absent" from "not readable yet");
* custom provider by ``name``: 1 GET of the listing + 1 GET of ``/{id}``;
  by ``id``: 1 GET of ``/{id}``;
* + the listing when a change would disable or delete an enabled provider
  (lockout guard; skipped with ``force``) or create a custom provider
  (the 30-provider limit) and it was not read yet;
* + the listing up front with ``list_providers`` (the overview of the org; it then also
  serves the checks above, so it is never read twice);
* + ``GET /organizations/me`` only when the short name is needed and
  ``org_short_name`` is not set: for a backup file name or the lock, and for the
  ``service_provider`` values (OrganizationName) unless the preserved clients'
  probe of ``/organizations/me`` answered it (no other answer carries it);
* + the write and the bounded re-reads after it.

The steps of a change, in their order, are described in ``_genesys_provider_change``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    GenesysModuleFail,
    build_spec,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_api import (
    connect,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_txn import (
    DEFAULT_LOCK_DIR,
    TxnError,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_oauth_check_core import (
    DEFAULT_PROBE_PATHS,
    SPEC as _OAUTH_CHECK_SPEC,
    check_client,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_options import (
    ALL_TYPES,
    STATES,
    provider_option_spec,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import (
    PROVIDER_OPTIONS,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_backup import (
    BACKUP_FORMAT,
    BACKUP_VERSION,
    DEFAULT_BACKUP_DIR,
    load_backup,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_input import (
    provider_request,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_read import (
    Reader,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_change import (
    Change,
)

# The module's own API for callers (the action plugin, the role's export and handoff, tests): the spec, the core and
# the backup file format it writes and reads.
__all__ = ['SPEC', 'core', 'BACKUP_FORMAT', 'BACKUP_VERSION', 'load_backup']

METADATA_OPTIONS = ('idp_metadata', 'idp_metadata_url', 'idp_entity_id')


def _spec_options():
    """The module's options: type and state, the provider options of the table, then the task options."""
    options = dict(
        type=dict(type='str', choices=list(ALL_TYPES)),
        state=dict(type='str', default='present', choices=list(STATES)),
        id=dict(type='str'),
    )
    options.update(provider_option_spec())
    options.update(_TASK_OPTIONS)
    return options


_TASK_OPTIONS = dict(
    allow_expired_certificates=dict(type='bool', default=False),
    certificate_expiry_warn_days=dict(type='int', default=30),
    idp_metadata=dict(type='str'),
    idp_metadata_url=dict(type='str'),
    idp_entity_id=dict(type='str'),
    backup=dict(type='bool', default=False),
    backup_dir=dict(type='path', default=DEFAULT_BACKUP_DIR),
    restore_from=dict(type='path'),
    force=dict(type='bool', default=False),
    consistency_timeout=dict(type='float', default=480.0),
    org_short_name=dict(type='str'),
    list_providers=dict(type='bool', default=False),
    preserved_clients=copy.deepcopy(_OAUTH_CHECK_SPEC['argument_spec']['clients']),
    probe_paths=dict(type='list', elements='str', default=list(DEFAULT_PROBE_PATHS)),
    client_expectations=copy.deepcopy(_OAUTH_CHECK_SPEC['argument_spec']['expect']),
    validate_clients_before=dict(type='bool', default=True),
    rollback_on_failure=dict(type='bool', default=True),
    lock=dict(type='bool', default=True),
    lock_dir=dict(type='path', default=DEFAULT_LOCK_DIR),
    lock_timeout=dict(type='float', default=120.0),
    settle_delay=dict(type='float', default=1.0),
    restore_across_orgs=dict(type='bool', default=False),
)

SPEC = build_spec(
    _spec_options(),
    mutually_exclusive=[('idp_metadata', 'idp_metadata_url')] + [
        ('restore_from', option) for option in PROVIDER_OPTIONS + METADATA_OPTIONS + ('id',)],
    required_one_of=[('type', 'restore_from')],
    required_if=[('type', 'custom', ('name', 'id'), True)],
)


def core(params, ctx, client=None):
    """Run the module: see the module documentation."""
    try:
        return _run(params, ctx, provider_request(params, ctx), client)
    except GenesysModuleFail as exc:
        exc.extra.setdefault('failed_step', 'input')   # failed before reading anything
        raise


def _run(params, ctx, request, client=None):
    """params -> request -> the reader -> the change -> the result (the facade closes the client whatever happens)."""
    with connect(params, ctx, client) as api:
        change = Change(Reader(params, ctx, api), request, check_client=check_client)
        try:
            return change.execute()
        except TxnError as exc:
            raise GenesysModuleFail(str(exc), **change.failure_fields())
        except GenesysModuleFail as exc:
            for key, value in change.failure_fields().items():
                exc.extra.setdefault(key, value)
            raise
        finally:
            change.release()
