"""Pydantic models mirroring the SDK models (purecloudplatformclientv2 269.0.0 ``attribute_map``).

JSON field names are exactly the API's. Unknown fields are ignored (dropped), like the real API.
``id`` and ``selfUri`` are read-only: accepted in a body but never stored from it.
"""

from typing import Dict, List, Optional

from pydantic import BaseModel, ConfigDict, StrictBool


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")

    def dump(self):
        """Fields that were written, exactly as written (read-only ``id``/``selfUri`` excluded)."""
        data = self.model_dump(exclude_unset=True)
        data.pop("id", None)
        data.pop("selfUri", None)
        return data


class PureCloud(_Model):
    id: Optional[str] = None
    name: Optional[str] = None
    disabled: Optional[StrictBool] = None
    selfUri: Optional[str] = None


IdentityProvider = PureCloud  # the per-type PUT response has the same four fields


class SAMLProvider(_Model):
    """The SAML field set: ADFS, CustomerInteractionCenter, GSuite, IdentityNow, OneLogin, PingIdentity,
    Salesforce, Okta and SAMLProvider (the listing entity)."""
    id: Optional[str] = None
    name: Optional[str] = None
    disabled: Optional[StrictBool] = None
    issuerURI: Optional[str] = None
    ssoTargetURI: Optional[str] = None
    sloURI: Optional[str] = None
    sloBinding: Optional[str] = None
    relyingPartyIdentifier: Optional[str] = None
    certificate: Optional[str] = None
    certificates: Optional[List[str]] = None
    logoImageData: Optional[str] = None
    nameIdentifierFormat: Optional[str] = None
    ssoBinding: Optional[str] = None
    signAuthnRequests: Optional[StrictBool] = None
    providerName: Optional[str] = None
    displayOnLogin: Optional[StrictBool] = None
    metadataURL: Optional[str] = None
    forceAuthn: Optional[StrictBool] = None
    selfUri: Optional[str] = None


class ADFS(SAMLProvider):
    pass


class CustomerInteractionCenter(SAMLProvider):
    pass


class GSuite(SAMLProvider):
    pass


class IdentityNow(SAMLProvider):
    pass


class Okta(SAMLProvider):
    pass


class OneLogin(SAMLProvider):
    pass


class PingIdentity(SAMLProvider):
    pass


class Salesforce(SAMLProvider):
    pass


class GenericSAML(SAMLProvider):
    endpointCompression: Optional[StrictBool] = None


class CustomProvider(SAMLProvider):
    endpointCompression: Optional[StrictBool] = None


class PureEngage(SAMLProvider):
    autoProvisionUsers: Optional[StrictBool] = None


# {type} path segment -> model
PROVIDER_TYPES = {
    "adfs": ADFS,
    "cic": CustomerInteractionCenter,
    "generic": GenericSAML,
    "gsuite": GSuite,
    "identitynow": IdentityNow,
    "okta": Okta,
    "onelogin": OneLogin,
    "ping": PingIdentity,
    "purecloud": PureCloud,
    "pureengage": PureEngage,
    "salesforce": Salesforce,
}

# types whose PUT/POST validation includes missing.provider.name, invalid.nameid.format, provider.logo.too.large
NAMED_TYPES = ("generic", "custom")

SAML_FIELDS = tuple(f for f in SAMLProvider.model_fields)


def model_fields(ptype):
    model = CustomProvider if ptype == "custom" else PROVIDER_TYPES[ptype]
    return tuple(model.model_fields)


class NamedEntity(_Model):
    id: Optional[str] = None
    name: Optional[str] = None


class RoleDivision(_Model):
    roleId: str
    divisionId: str


class DomainEntityRef(_Model):
    id: Optional[str] = None
    name: Optional[str] = None
    selfUri: Optional[str] = None


class OrgOAuthClient(_Model):
    id: Optional[str] = None
    name: Optional[str] = None
    dateCreated: Optional[str] = None
    dateModified: Optional[str] = None
    createdBy: Optional[DomainEntityRef] = None
    modifiedBy: Optional[DomainEntityRef] = None
    authorizedGrantType: Optional[str] = None
    scope: Optional[List[str]] = None
    roleDivisions: Optional[List[RoleDivision]] = None
    state: Optional[str] = None
    dateToDelete: Optional[str] = None
    organization: Optional[NamedEntity] = None


class TokenInfo(_Model):
    organization: Optional[NamedEntity] = None
    homeOrganization: Optional[NamedEntity] = None
    authorizedScope: Optional[List[str]] = None
    clonedUser: Optional[dict] = None
    dateTokenIdles: Optional[str] = None
    OAuthClient: Optional[OrgOAuthClient] = None


class OAuthClient(_Model):
    """As returned by GET /api/v2/oauth/clients[/{id}]: ``secret`` is never filled in by the emulator."""
    id: Optional[str] = None
    name: Optional[str] = None
    accessTokenValiditySeconds: Optional[int] = None
    description: Optional[str] = None
    registeredRedirectUri: Optional[List[str]] = None
    roleIds: Optional[List[str]] = None
    dateCreated: Optional[str] = None
    dateModified: Optional[str] = None
    createdBy: Optional[DomainEntityRef] = None
    modifiedBy: Optional[DomainEntityRef] = None
    authorizedGrantType: Optional[str] = None
    scope: Optional[List[str]] = None
    roleDivisions: Optional[List[RoleDivision]] = None
    state: Optional[str] = None
    dateToDelete: Optional[str] = None
    selfUri: Optional[str] = None


class Organization(_Model):
    id: Optional[str] = None
    name: Optional[str] = None
    defaultLanguage: Optional[str] = None
    defaultCountryCode: Optional[str] = None
    thirdPartyOrgName: Optional[str] = None
    thirdPartyURI: Optional[str] = None
    domain: Optional[str] = None
    features: Optional[Dict[str, bool]] = None
    version: Optional[int] = None
    state: Optional[str] = None
    defaultSiteId: Optional[str] = None
    supportURI: Optional[str] = None
    voicemailEnabled: Optional[bool] = None
    productPlatform: Optional[str] = None
    selfUri: Optional[str] = None


class Detail(_Model):
    errorCode: Optional[str] = None
    fieldName: Optional[str] = None
    entityId: Optional[str] = None
    entityName: Optional[str] = None


class ErrorBody(_Model):
    message: Optional[str] = None
    code: Optional[str] = None
    status: Optional[int] = None
    entityId: Optional[str] = None
    entityName: Optional[str] = None
    messageWithParams: Optional[str] = None
    messageParams: Optional[Dict[str, str]] = None
    contextId: Optional[str] = None
    details: Optional[List[Detail]] = None
    errors: Optional[List["ErrorBody"]] = None
    limit: Optional[dict] = None


def listing(entities, self_uri):
    """The usual paging envelope (one page holding everything)."""
    total = len(entities)
    return {
        "entities": entities,
        "pageSize": max(total, 25),
        "pageNumber": 1,
        "total": total,
        "pageCount": 1,
        "firstUri": self_uri + "?pageSize=%d&pageNumber=1" % max(total, 25),
        "lastUri": self_uri + "?pageSize=%d&pageNumber=1" % max(total, 25),
        "selfUri": self_uri + "?pageSize=%d&pageNumber=1" % max(total, 25),
    }


def paged_listing(entities, self_uri, page_size, page_number):
    """The paging envelope of one page (the page_size variant): ``nextUri``/``previousUri`` where they apply."""
    total = len(entities)
    page_count = max(1, (total + page_size - 1) // page_size)

    def uri(number):
        return self_uri + "?pageSize=%d&pageNumber=%d" % (page_size, number)
    out = {
        "entities": entities[(page_number - 1) * page_size:page_number * page_size],
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "pageCount": page_count,
        "firstUri": uri(1),
        "lastUri": uri(page_count),
        "selfUri": uri(page_number),
    }
    if page_number < page_count:
        out["nextUri"] = uri(page_number + 1)
    if page_number > 1:
        out["previousUri"] = uri(page_number - 1)
    return out
