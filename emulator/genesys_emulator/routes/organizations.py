"""``GET /api/v2/organizations/me``."""

from ..routing import RouteList, json_response
from ..store import REGION_DOMAINS

ROUTES = RouteList()


@ROUTES("GET", "/api/v2/organizations/me")
async def organizations_me(rc):
    org, _ = rc.current()
    return json_response({
        "id": org["id"],
        "name": org["display_name"],
        "defaultLanguage": "en-us",
        "defaultCountryCode": "US",
        "thirdPartyOrgName": org["name"],
        "domain": REGION_DOMAINS.get(org["region"], org["region"]),
        "features": {},
        "version": 1,
        "state": "active",
        "voicemailEnabled": True,
        "productPlatform": "GenesysCloud",
        "selfUri": "/api/v2/organizations/" + org["id"],
    })
