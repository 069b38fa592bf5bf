# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the core of genesyscloud.sso.genesys_token, which mints (or
checks) an OAuth access token with any grant of the grant table (``_genesys_grants``) and returns it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_grants as grants
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import build_spec
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_api import connect, organization_dict

# the grant options (and each grant's required_if) come with the connection options of every module
# (_genesys_grants); the token module only performs client credentials when no grant_type is given
# even if an access_token is set too (the other modules then use the token)
SPEC = build_spec(
    dict(
        grant_type=dict(type='str', choices=list(grants.GRANT_TYPES), default=grants.DEFAULT_GRANT),
        include_organization=dict(type='bool', default=False),
    ),
)


def organization_summary(data):
    """dict(id, name, short_name) of a GET /api/v2/organizations/me body (the facade's one shape)."""
    return organization_dict(data)


def core(params, ctx):
    """Return the token of the chosen grant; never changes anything (runs in check mode too)."""
    with connect(params, ctx) as api:
        client = api.client
        organization = None
        client.get_token()
        if params.get('include_organization'):
            organization = api.organization()
        elif params.get('grant_type') == 'token':
            # a given token is only checked: HEAD /api/v2/tokens/me answers 2xx when it is valid
            api.check_token()
        token = client.get_token()  # the latest one (a given token may have been renewed on 401)
        # the client registered the token as a secret (masked in msg, warnings, invocation); this field is
        # what the module exists to return (censored in the output, kept for register)
        if token['access_token'] != (params.get('access_token') or '').strip():
            ctx.return_unmasked('access_token')  # a given token stays masked like the no_log option it came from
        result = dict(
            changed=False,
            access_token=token['access_token'],
            token_type=token.get('token_type') or 'bearer',
            expires_in=token.get('expires_in'),
            expires_at=token.get('expires_at'),
            grant_type=params.get('grant_type'),
            api_url=client.api_url,
            login_url=client.login_url,
        )
        if organization is not None:
            result['organization'] = organization
        return result
