"""``GET /api/v2/oauth/clients[/{client_id}]`` (never a secret)."""

from .. import models
from ..errors import ApiError
from ..routing import RouteList, json_response
from ._entities import role_divisions

ROUTES = RouteList()


def oauth_client(client):
    out = {
        "id": client["id"],
        "name": client["name"],
        "accessTokenValiditySeconds": client["access_token_validity_seconds"],
        "roleIds": [r["id"] for r in client["roles"]],
        "dateCreated": client["date_created"],
        "dateModified": client["date_modified"],
        "authorizedGrantType": client["grant_type"],
        "roleDivisions": role_divisions(client),
        "state": client["state"],
        "selfUri": "/api/v2/oauth/clients/" + client["id"],
    }
    if client.get("description"):
        out["description"] = client["description"]
    if client["grant_type"] != "CLIENT-CREDENTIALS":
        out["scope"] = client.get("scope") or []
    return out


@ROUTES("GET", "/api/v2/oauth/clients")
async def oauth_clients(rc):
    org, _ = rc.require("oauth:client:view")
    return json_response(models.listing([oauth_client(c) for c in org["clients"].values()], "/api/v2/oauth/clients"))


@ROUTES("GET", "/api/v2/oauth/clients/{client_id}")
async def oauth_client_get(rc, client_id):
    org, _ = rc.require("oauth:client:view")
    client = org["clients"].get(client_id)
    if client is None:
        raise ApiError(404, "client.not.found", "The OAuth client was not found.", entityId=client_id)
    return json_response(oauth_client(client))
