# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the core of genesyscloud.sso.genesys_identity_provider_info
(shared by the module and its action plugin), which lists or reads providers through the API facade.

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
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_api import connect
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import (
    ALL_TYPES,
    CUSTOM_TYPE,
    FAMILY_PER_TYPE,
    PER_TYPE_TYPES,
    classify_entity,
    listing_is_ambiguous,
    overview_sort_key,
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


def _known_per_type_ids(api, entities):
    """id -> type of the per-type providers, read from their endpoints only when the listing does not show which
    entries are per-type (UUID ids with selfUri by id: docs/genesys-api.md section 6), else {} (no request)."""
    known = {}
    if not listing_is_ambiguous(entities):
        return known
    for ptype in PER_TYPE_TYPES:
        data = api.read_provider(ptype)
        if data and data.get('id') is not None:
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
    with connect(params, ctx, client=client) as api:
        providers = []
        if provider_id:
            data = api.read_provider(CUSTOM_TYPE, provider_id, action='read the identity provider %s' % provider_id)
            if data:  # not 404, and a provider (an empty answer is none)
                family, etype = classify_entity(data)
                providers.append(_view(params, etype, data, family))
        elif ptype in PER_TYPE_TYPES and name is None:
            data = api.read_provider(ptype)
            if data:
                providers.append(_view(params, ptype, data, FAMILY_PER_TYPE))
        else:
            entities = api.list_providers()
            known = _known_per_type_ids(api, entities)
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
            result['organization'] = dict(api.organization(), domain=getattr(api.client, 'domain', None))
        result['api_requests'] = getattr(api.client, 'request_count', None)
        return result
