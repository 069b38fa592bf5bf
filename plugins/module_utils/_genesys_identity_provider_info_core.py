# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Core of genesyscloud.sso.genesys_identity_provider_info (shared by the module and its action plugin).

Requests: one ``GET /api/v2/identityproviders`` (both families) for a listing
or a search by name; one ``GET /{type}`` or ``GET /{id}`` for a single
provider; plus ``GET /organizations/me`` only with ``include_organization``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    GenesysModuleFail,
    build_spec,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import (
    GenesysClient,
    GenesysError,
    to_module_fail,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import (
    ALL_TYPES,
    CUSTOM_TYPE,
    FAMILY_PER_TYPE,
    PER_TYPE_TYPES,
    classify_entity,
    describe_api_error,
    list_entities,
    listing_is_ambiguous,
    overview_sort_key,
    provider_path,
    provider_view,
    writable_copy,
)

SPEC = build_spec(
    dict(
        type=dict(type='str', choices=list(ALL_TYPES)),
        name=dict(type='str'),
        id=dict(type='str'),
        expiring_within_days=dict(type='int'),
        include_organization=dict(type='bool', default=False),
        include_api_fields=dict(type='bool', default=False),
    ),
    mutually_exclusive=[('name', 'id')],
)


def _call(client, action, path, expect_404=False):
    try:
        return client.request('GET', path, expect_404=expect_404)
    except GenesysError as err:
        raise GenesysModuleFail(describe_api_error(err, action), **err.result_fields())


def _known_per_type_ids(client, entities):
    """id -> type of the per-type providers, read from their endpoints only when the listing does not show which
    entries are per-type (UUID ids with selfUri by id: docs/genesys-api.md section 6), else {} (no request)."""
    known = {}
    if not listing_is_ambiguous(entities):
        return known
    for ptype in PER_TYPE_TYPES:
        status, data = _call(client, 'read the %s identity provider' % ptype, provider_path(ptype), expect_404=True)
        if status != 404 and isinstance(data, dict) and data.get('id') is not None:
            known[data['id']] = ptype
    return known


def _view(params, ptype, data, family):
    view = provider_view(ptype, data, family)
    if params.get('include_api_fields'):
        view['api_fields'] = writable_copy(data)
    return view


def core(params, ctx, client=None):
    ptype = params.get('type')
    name = params.get('name')
    provider_id = params.get('id')
    if ptype and ptype != CUSTOM_TYPE and provider_id:
        raise GenesysModuleFail('id addresses a custom provider; per-type providers (%s) are addressed by type only.'
                                % ptype)
    if client is None:
        try:
            client = GenesysClient(params, warn=ctx.warn)
        except GenesysError as err:
            raise to_module_fail(err)
    try:
        providers = []
        if provider_id:
            status, data = _call(client, 'read the identity provider %s' % provider_id,
                                 provider_path(CUSTOM_TYPE, provider_id), expect_404=True)
            if status != 404 and isinstance(data, dict):
                family, etype = classify_entity(data)
                providers.append(_view(params, etype, data, family))
        elif ptype in PER_TYPE_TYPES and name is None:
            status, data = _call(client, 'read the %s identity provider' % ptype, provider_path(ptype),
                                 expect_404=True)
            if status != 404 and isinstance(data, dict):
                providers.append(_view(params, ptype, data, FAMILY_PER_TYPE))
        else:
            entities = list_entities(lambda path: _call(client, 'list the identity providers', path)[1])
            known = _known_per_type_ids(client, entities)
            for entity in entities:
                family, etype = classify_entity(entity, known)
                if ptype and etype != ptype:
                    continue
                if name is not None and (entity.get('name') or '') != name:
                    continue
                providers.append(_view(params, etype, entity, family))
        days = params.get('expiring_within_days')
        if days is not None:
            providers = [p for p in providers
                         if any(c.get('days_left') is not None and c['days_left'] <= days for c in p['certificates'])]
        providers.sort(key=overview_sort_key)
        for view in providers:  # name always (null without one): map(attribute='name') must work on every provider
            view.setdefault('name', None)
        result = dict(changed=False, providers=providers)
        if params.get('include_organization'):
            status, data = _call(client, 'read the organization', '/api/v2/organizations/me')
            data = data or {}
            result['organization'] = dict(short_name=data.get('thirdPartyOrgName'), id=data.get('id'),
                                          name=data.get('name'), domain=getattr(client, 'domain', None))
        result['api_requests'] = getattr(client, 'request_count', None)
        return result
    finally:
        if hasattr(client, 'close'):
            client.close()
