"""``/api/v2/identityproviders``: permissions here, everything else in ``store.providers`` (providers.py)."""

from starlette.responses import Response

from ..providers import is_type
from ..routing import RouteList, json_response

ROUTES = RouteList()


@ROUTES("GET", "/api/v2/identityproviders")
async def list_providers(rc):
    org, _ = rc.require("sso:provider:view")
    return json_response(rc.store.providers.listing(org, rc.page_query))


@ROUTES("POST", "/api/v2/identityproviders")
async def create_custom(rc):
    org, _ = rc.require("sso:provider:add")
    return json_response(rc.store.providers.create(org, rc.json_body()))


@ROUTES("GET", "/api/v2/identityproviders/{key}")
async def get_provider(rc, key):
    org, _ = rc.require("sso:provider:view")
    return json_response(rc.store.providers.get(org, key))


@ROUTES("PUT", "/api/v2/identityproviders/{key}")
async def put_provider(rc, key):
    repo = rc.store.providers
    if is_type(key):
        org, _ = rc.require("sso:provider:add", "sso:provider:edit")
    else:
        org, _ = rc.require("sso:provider:edit")
        repo.existing(org, key)   # 404 before the body is read
    return json_response(repo.put(org, key, rc.json_body()))


@ROUTES("DELETE", "/api/v2/identityproviders/{key}")
async def delete_provider(rc, key):
    org, _ = rc.require("sso:provider:delete")
    body = rc.store.providers.delete(org, key)
    return Response(status_code=204) if body is None else json_response(body)
