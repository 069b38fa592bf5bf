"""The emulator's errors and the one function that turns any of them into a response (status, body, headers).

Route handlers, the provider repository and the ASGI front raise; :func:`error_parts` maps. Nothing else
builds an error body: the 401/413/415/429 of the front, the 404/405 of the router, the 400s of the control
endpoints and the 500 of an unexpected failure all go through it.
"""

import json

from pydantic import ValidationError as PydanticValidationError

from .saml import SamlError
from .validation import ValidationError

STATUS_CODES = {
    400: ("bad.request", "The request could not be understood by the server due to malformed syntax."),
    401: ("bad.credentials", "Invalid login credentials."),
    403: ("not.authorized", "You are not authorized to perform the requested action."),
    404: ("not.found", "The requested resource was not found."),
    405: ("method.not.allowed", "The requested method is not allowed for this resource."),
    408: ("client.timeout", "The client did not produce a request within the server timeout."),
    409: ("request.conflict", "The request conflicts with the current state of the resource."),
    413: ("request.entity.too.large", "The request is over the size limit. Maximum bytes: 512000"),
    415: ("unsupported.media.type", "Unsupported Media Type - Unsupported or incorrect media type, such as an "
                                    "incorrect Content-Type value in the header."),
    429: ("too.many.requests", "Rate limit exceeded the maximum [300] requests within [60] seconds"),
    500: ("internal.server.error", "The server encountered an unexpected condition which prevented it from "
                                   "fulfilling the request."),
    502: ("bad.gateway", "The server received an invalid response from an upstream server."),
    503: ("service.unavailable", "Service Unavailable - The server is currently unavailable (because it is "
                                 "overloaded or down for maintenance)."),
    504: ("request.timeout", "The request timed out."),
}
OAUTH_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class ApiError(Exception):
    """A platform API (or control) error: answered as the Genesys ErrorBody (``extra`` adds fields to it)."""

    def __init__(self, status, code=None, message=None, headers=None, **extra):
        default_code, default_message = STATUS_CODES.get(status, ("bad.request", "Error"))
        self.status = status
        self.code = code or default_code
        self.message = message or default_message
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.message)


class OAuthError(Exception):
    """A login service error: answered as ``{"error", "description", "error_description"}``, not cached."""

    def __init__(self, status, error, description):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def dumps(data):
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def error_body(status, code, message, cid, **extra):
    body = {"message": message, "code": code, "status": status, "contextId": cid, "details": [], "errors": []}
    body.update(extra)
    return body


def error_parts(exc, cid):
    """(status, JSON body bytes, headers) of the answer to ``exc`` for the request with correlation id ``cid``.

    ApiError -> its ErrorBody; a provider validation error (validation.ValidationError) -> 400 with its code and
    ``details: [{errorCode, fieldName}]``; a body of the wrong JSON types (pydantic) -> 400 ``invalid.value``;
    OAuthError -> the login service's error shape; SamlError -> the ACS failure shape; anything else -> 500
    ``internal.server.error`` (never a traceback: the caller logs it).
    """
    if isinstance(exc, ApiError):
        return exc.status, dumps(error_body(exc.status, exc.code, exc.message, cid, **exc.extra)), exc.headers
    if isinstance(exc, ValidationError):
        details = [{"errorCode": exc.code, "fieldName": exc.field}] if exc.field else []
        return 400, dumps(error_body(400, exc.code, exc.message, cid, details=details)), {}
    if isinstance(exc, PydanticValidationError):
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        return 400, dumps(error_body(400, "invalid.value", "Invalid value for %s: %s" % (field, first.get("msg")),
                                     cid, details=[{"errorCode": "invalid.value", "fieldName": field}])), {}
    if isinstance(exc, OAuthError):
        return exc.status, dumps({"error": exc.error, "description": exc.description,
                                  "error_description": exc.description}), OAUTH_HEADERS
    if isinstance(exc, SamlError):
        return exc.status, dumps({"result": "failure", "code": exc.code, "reason": exc.reason}), {}
    return 500, dumps(error_body(500, *STATUS_CODES[500], cid)), {}


def is_expected(exc):
    """True for the errors :func:`error_parts` maps on purpose (anything else is a bug: log its traceback)."""
    return isinstance(exc, (ApiError, ValidationError, PydanticValidationError, OAuthError, SamlError))
