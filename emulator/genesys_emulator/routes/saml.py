"""The login service's SAML ACS (``POST /saml``): verification is ``genesys_emulator.saml``."""

from .. import saml as saml_check
from ..routing import RouteList, json_response

ROUTES = RouteList()


@ROUTES("POST", "/saml")
async def saml_acs(rc):
    fields = rc.form(saml_check.SamlError(415, "unsupported.media.type",
                                          "post the SAMLResponse as application/x-www-form-urlencoded"))
    result = saml_check.verify(rc.store, fields.get("SAMLResponse"), acs_url=saml_check.endpoint_urls(rc)[0])
    rc.org = result["org"]
    body = {"result": "success", "org": result["org"], "email": result["email"], "provider": result["provider"],
            "provider_id": result["provider_id"], "provider_name": result["provider_name"]}
    if result["service_name"]:
        body["service_name"] = result["service_name"]
    if fields.get("RelayState"):
        body["relay_state"] = fields["RelayState"]
    return json_response(body)
