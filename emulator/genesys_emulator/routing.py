"""The route table (method + path pattern -> handler), the request context handlers get, and the fast response.

Every route file (``routes/*.py``) declares ``ROUTES = RouteList()`` and decorates its handlers with
``@ROUTES("GET", "/api/v2/...")``; ``routes.build_table()`` adds them all to ONE :class:`RouteTable`, which
refuses a second handler for the same (method, pattern). A handler is ``async def handler(rc, **path_params)``
and returns a Starlette response (usually :func:`json_response`); it raises ``errors.ApiError`` & co. for an
error answer (``errors.error_parts`` is the one mapping).
"""

import fnmatch
import json
import re
import uuid
from urllib.parse import parse_qs, parse_qsl

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from starlette.responses import Response

from .errors import ApiError, dumps, error_parts

CONTROL_PREFIX = "/_emulator"
_PARAM = re.compile(r"\{(\w+)\}")


class FastJSONResponse(Response):
    """A Starlette Response with a cheap constructor (the body is already bytes)."""

    def __init__(self, body, status_code=200, headers=None, media_type="application/json"):  # pylint: disable=super-init-not-called
        self.status_code = status_code
        self.body = body
        self.media_type = media_type
        self.background = None
        raw = [(b"content-length", str(len(body)).encode("latin-1"))]
        if media_type is not None:
            raw.append((b"content-type", media_type.encode("latin-1")))
        for key, value in (headers or {}).items():
            raw.append((key.lower().encode("latin-1"), str(value).encode("latin-1")))
        self.raw_headers = raw


def json_response(data, status=200, headers=None):
    return FastJSONResponse(dumps(data), status, headers)


def error_response(exc, cid):
    """The response to ``exc`` (``errors.error_parts``: the one mapping)."""
    status, body, headers = error_parts(exc, cid)
    return FastJSONResponse(body, status, headers)


# ---- the route table ---------------------------------------------------------------------------
class Route:
    __slots__ = ("method", "pattern", "handler", "regex", "control")

    def __init__(self, method, pattern, handler):
        self.method = method
        self.pattern = pattern
        self.handler = handler
        self.regex = re.compile("^" + _PARAM.sub(r"(?P<\1>[^/]+)", pattern) + "$") if "{" in pattern else None
        self.control = pattern.startswith(CONTROL_PREFIX)

    @property
    def key(self):
        return self.method, self.pattern


class RouteList(list):
    """The routes of one route file: ``@ROUTES("PUT", "/api/v2/identityproviders/{key}")``."""

    def __call__(self, method, pattern):
        def register(handler):
            self.append(Route(method, pattern, handler))
            return handler
        return register


class RouteTable:
    """All routes of the emulator. Lookup: exact patterns by dict, then patterns with ``{params}`` in order."""

    def __init__(self, routes=()):
        self.routes = []
        self._static = {}    # (method, path) -> Route
        self._dynamic = {}   # method -> [Route]
        for route in routes:
            self.add(route)

    def add(self, route):
        if any(r.key == route.key for r in self.routes):
            raise ValueError("duplicate route %s %s" % route.key)
        self.routes.append(route)
        if route.regex is None:
            self._static[route.key] = route
        else:
            self._dynamic.setdefault(route.method, []).append(route)

    def match(self, method, path):
        """(route, path params) of the route for ``method`` + ``path``, or (None, None)."""
        route = self._static.get((method, path))
        if route is not None:
            return route, {}
        for route in self._dynamic.get(method, ()):
            found = route.regex.match(path)
            if found is not None:
                return route, found.groupdict()
        return None, None

    def knows_path(self, path):
        """True when some route (any method) serves ``path`` (the control plane answers 405 then)."""
        for route in self.routes:
            if (route.pattern == path) if route.regex is None else (route.regex.match(path) is not None):
                return True
        return False

    def keys(self):
        return [r.key for r in self.routes]


# ---- the request context -----------------------------------------------------------------------
def permitted(patterns, perm):
    for pattern in patterns:
        if pattern == "*" or pattern == perm or fnmatch.fnmatchcase(perm, pattern):
            return True
    return False


_INT = TypeAdapter(int)


class RequestContext:
    """What a handler knows of its request: the emulator, the store, the raw scope, lower-cased headers (first
    value), the body, and who is calling (filled in by the ASGI front; the request log reads them back)."""

    __slots__ = ("emu", "store", "scope", "headers", "path_params", "body", "cid", "org", "client", "token",
                 "rl", "fault", "user", "cycle")

    def __init__(self, emu, scope, headers, cid):
        self.emu = emu
        self.store = emu.store
        self.scope = scope
        self.headers = headers
        self.path_params = {}
        self.body = b""
        self.cid = cid
        self.org = None        # org short name
        self.client = None     # OAuth client id
        self.token = None
        self.rl = None         # (limit, count, reset) for the inin-ratelimit-* headers
        self.fault = None      # id of the fault rule that fired
        self.user = None
        self.cycle = None      # the server's request cycle (reset faults abort its transport)

    # ---- caller --------------------------------------------------------------------------------
    def current(self):
        """(org, client) of the bearer token (the front has checked it)."""
        org = self.store.orgs[self.org]
        return org, org["clients"][self.client]

    def require(self, *perms):
        """(org, client) when the client holds ANY of ``perms``, else 403 ``missing.any.permissions``."""
        org, client = self.current()
        if any(permitted(client["permissions"], p) for p in perms):
            return org, client
        joined = ", ".join(perms)
        raise ApiError(403, "missing.any.permissions",
                       "Unable to perform the requested action. You must have at least one of the following "
                       "permissions assigned: [%s]" % joined,
                       messageWithParams="Unable to perform the requested action. You must have at least one of "
                                         "the following permissions assigned: %s",
                       messageParams={"permissions": joined})

    # ---- body ----------------------------------------------------------------------------------
    def json_body(self):
        """The JSON body of an API request (400 ``bad.request`` when missing or malformed)."""
        if not self.body:
            raise ApiError(400, "bad.request", "A request body is required.")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "bad.request",
                           "The request could not be understood by the server due to malformed syntax: "
                           "the body is not valid JSON.") from None

    def control_json(self, default=None):
        """The JSON body of a control request (``default`` when empty)."""
        if not self.body:
            return default
        try:
            return json.loads(self.body)
        except ValueError:
            raise ApiError(400, "bad.request", "the body is not valid JSON") from None

    def form(self, content_type_error):
        """The form fields (first value each) of an ``application/x-www-form-urlencoded`` body, else raise
        ``content_type_error``."""
        ctype = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            raise content_type_error
        try:
            parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise content_type_error from None
        return {k: v[0] for k, v in parsed.items()}

    # ---- query ---------------------------------------------------------------------------------
    def page_query(self):
        """``pageSize``/``pageNumber`` of an API listing (positive integers, else 400)."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        out = {}
        for name in ("pageSize", "pageNumber"):
            raw = (query.get(name) or [None])[0]
            if raw is None:
                continue
            if not raw.isdigit() or int(raw) < 1:
                raise ApiError(400, "bad.request", "Invalid value for %s: %s (a positive integer)"
                               % (name, raw[:20]))
            out[name] = int(raw)
        return out

    def query_value(self, name, kind=str):
        """A control query parameter (the last one given; None when absent); ``kind=int`` parses like pydantic
        (400 ``bad.request`` "Invalid value for query.NAME: ..." otherwise)."""
        value = None
        for key, raw in parse_qsl(self.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
            if key == name:
                value = raw
        if value is None or kind is str:
            return value
        try:
            return _INT.validate_python(value)
        except PydanticValidationError as err:
            raise ApiError(400, "bad.request", "Invalid value for query.%s: %s"
                           % (name, err.errors()[0].get("msg"))) from None


def new_cid():
    return str(uuid.uuid4())
