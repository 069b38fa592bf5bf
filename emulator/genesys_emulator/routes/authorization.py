"""``GET /api/v2/authorization/roles/{role_id}``: a DomainOrganizationRole built from the seed's clients."""

import collections

from ..errors import ApiError
from ..routing import RouteList, json_response

ROUTES = RouteList()


@ROUTES("GET", "/api/v2/authorization/roles/{role_id}")
async def authorization_role(rc, role_id):
    # A seed gives permissions per client, not per role: a role holds the permissions of the clients it is
    # assigned to, as permissionPolicies (domain, entityName, actionSet; "*" = any).
    org, _ = rc.require("authorization:role:view")
    holders = [(c, r) for c in org["clients"].values() for r in c["roles"] if r["id"] == role_id]
    if not holders:
        raise ApiError(404, "not.found", "The requested role was not found.", entityId=role_id)
    policies = collections.OrderedDict()
    for client, _role in holders:
        for perm in client["permissions"]:
            parts = (str(perm).split(":") + ["*", "*"])[:3] if perm != "*" else ["*", "*", "*"]
            actions = policies.setdefault((parts[0], parts[1]), [])
            if parts[2] not in actions:
                actions.append(parts[2])
    return json_response({
        "id": role_id,
        "name": holders[0][1]["name"],
        "permissions": [],
        "permissionPolicies": [
            {"domain": domain, "entityName": entity, "policyName": "%s-%s" % (domain, entity),
             "actionSet": actions, "allowConditions": False}
            for (domain, entity), actions in policies.items()],
        "userCount": 0,
        "default": False,
        "base": False,
        "selfUri": "/api/v2/authorization/roles/" + role_id,
    })
