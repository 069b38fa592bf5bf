"""The ASGI application: a thin pure-ASGI front (correlation ids, body limit, latency, faults, bearer auth,
rate limits, request log) around a FastAPI app holding the login, platform API and control routes."""

import asyncio
import base64
import binascii
import collections
import copy
import datetime
import fnmatch
import hmac
import json
import random
import re
import time
import traceback
import uuid
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError as PydanticValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import models, saml
from . import variants as variants_mod
from .store import CLIENT_STATES, GRANT_TYPES, REGION_DOMAINS, SeedError, now_iso
from .validation import ValidationError

MAX_BODY = 512000
MAX_PROVIDERS = 30
PROVIDER_PATH = re.compile(r"^/api/v2/identityproviders/[^/]+/?$")
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
FAULT_FIELDS = {
    "method": str, "path": str, "org": str, "client_id": str, "status": int, "retry_after": (int, float),
    "body": (dict, list, str), "content_type": str, "delay_ms": (int, float), "reset": bool,
    "not_found_after_write_ms": (int, float), "after_write": bool, "count": int, "probability": (int, float),
}
SUPPORTED_GRANTS = {
    "client_credentials": "CLIENT-CREDENTIALS",
    "password": "PASSWORD",
    "urn:ietf:params:oauth:grant-type:saml2-bearer": "SAML2-BEARER",
}


class FastRequest:
    """What the login/API handlers need of a request (lighter than Starlette's Request)."""
    __slots__ = ("scope", "headers", "path_params")

    def __init__(self, scope, headers):
        self.scope = scope
        self.headers = headers  # lower-cased names, first value
        self.path_params = {}


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


def _dumps(data):
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def json_response(data, status=200, headers=None):
    return FastJSONResponse(_dumps(data), status, headers)


class ApiError(Exception):
    def __init__(self, status, code=None, message=None, headers=None, **extra):
        default_code, default_message = STATUS_CODES.get(status, ("bad.request", "Error"))
        self.status = status
        self.code = code or default_code
        self.message = message or default_message
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.message)


class OAuthError(Exception):
    def __init__(self, status, error, description):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def error_body(status, code, message, cid, **extra):
    body = {"message": message, "code": code, "status": status, "contextId": cid, "details": [], "errors": []}
    body.update(extra)
    return body


def permitted(patterns, perm):
    for pattern in patterns:
        if pattern == "*" or pattern == perm or fnmatch.fnmatchcase(perm, pattern):
            return True
    return False


class Emulator:
    """The ASGI callable served by uvicorn."""

    def __init__(self, store, latency_ms=0, log_size=100000, variants=None):
        self.store = store
        self.start_variants = variants_mod.merge(variants_mod.DEFAULTS, variants or {})
        self._variants = None
        self.variants = copy.deepcopy(self.start_variants)
        self.read_shadow = {}   # (org name, provider key) -> (until, GET body or None): read_lag_s
        self.list_shadow = {}   # (org name, provider key) -> (until, listing entity or None, order): listing_lag_s
        self.latency_ms = latency_ms
        self.log = collections.deque(maxlen=log_size)
        self.seq = 0
        self.faults = []
        self.fault_seq = 0
        self.started = time.time()
        self.routes = []   # (method, compiled path regex, async handler): login + platform API
        self.api = build_api(self)

    # ---------------------------------------------------------------------------------------------
    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.api(scope, receive, send)
            return
        if scope["path"].startswith("/_emulator"):
            ccid = str(uuid.uuid4())
            scope["emu"] = {"cid": ccid, "org": None, "client": None, "token": None, "body": b""}

            async def control_send(message):
                if message["type"] == "http.response.start":
                    message = dict(message, headers=list(message.get("headers", [])) + [
                        (b"inin-correlation-id", ccid.encode("ascii"))])
                await send(message)
            await self.api(scope, receive, control_send)
            return
        start = time.perf_counter()
        cid = str(uuid.uuid4())
        emu = {"cid": cid, "org": None, "client": None, "token": None, "rl": None, "body": b"", "fault": None,
               "user": None}
        scope["emu"] = emu
        # the server's transport (uvicorn's send is a bound method of its request cycle): for reset faults
        emu["cycle"] = getattr(send, "__self__", None)
        state = {"status": 0, "started": False}

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                hdrs = [h for h in message.get("headers", []) if h[0].lower() != b"inin-correlation-id"]
                hdrs.append((b"inin-correlation-id", cid.encode("ascii")))
                rl = emu["rl"]
                if rl is None:  # no token/client identified: count per caller address, never refused
                    client_addr = (scope.get("client") or ("?",))[0]
                    _, count, reset, _ = self.store.hit("anon:%s" % client_addr, 1 << 30)
                    rl = (self.store.rate_limit, count, reset)
                if rl is not None:
                    hdrs.append((b"inin-ratelimit-allowed", str(rl[0]).encode()))
                    hdrs.append((b"inin-ratelimit-count", str(rl[1]).encode()))
                    hdrs.append((b"inin-ratelimit-reset", str(rl[2]).encode()))
                message = dict(message, headers=hdrs)
            await send(message)

        try:
            await self._handle(scope, receive, send_wrapper, emu)
        except Exception:  # never a traceback to the client (only to the emulator's log)  # pylint: disable=broad-except
            traceback.print_exc()
            if not state["started"]:
                await self._send_error(send_wrapper, 500, "internal.server.error", STATUS_CODES[500][1], cid)
        finally:
            self.seq += 1
            self.log.append({
                "seq": self.seq,
                "time": now_iso(),
                "method": scope["method"],
                "path": scope["path"],
                "status": state["status"] if state["started"] else 0,
                "org": emu["org"],
                "client": emu["client"],
                "latency_ms": round((time.perf_counter() - start) * 1000, 2),
                "correlation_id": cid,
                "fault": emu["fault"],
            })

    async def _send_error(self, send, status, code, message, cid, headers=None, **extra):
        await self._send_raw(send, status, _dumps(error_body(status, code, message, cid, **extra)),
                             "application/json", headers)

    @staticmethod
    async def _send_raw(send, status, body, content_type, headers=None):
        hdrs = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
        for key, value in (headers or {}).items():
            hdrs.append((key.lower().encode(), str(value).encode()))
        await send({"type": "http.response.start", "status": status, "headers": hdrs})
        await send({"type": "http.response.body", "body": body})

    async def _handle(self, scope, receive, send, emu):
        cid = emu["cid"]
        path = scope["path"]
        method = scope["method"]
        headers = {}
        for key, value in scope.get("headers", []):
            headers.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
        store = self.store

        # body (bounded)
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            await self._send_error(send, 413, *STATUS_CODES[413], cid)
            return
        chunks = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                await self._send_error(send, 413, *STATUS_CODES[413], cid)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        emu["body"] = body

        # identity (for faults, the log and auth)
        is_api = path.startswith("/api/v2")
        auth = headers.get("authorization", "")
        tinfo = None
        if is_api:
            if auth[:7].lower() == "bearer ":
                token = auth[7:].strip()
                tinfo = store.token_info(token)
                if tinfo is not None:
                    emu["org"] = tinfo[0]["name"]
                    emu["client"] = tinfo[1]["id"]
                    emu["token"] = token
        elif path == "/oauth/token":
            cid_guess = None
            if auth[:6].lower() == "basic ":
                try:
                    cid_guess = base64.b64decode(auth[6:].strip()).decode("utf-8").split(":", 1)[0]
                except (binascii.Error, ValueError):
                    cid_guess = None
            if cid_guess is None and b"client_id=" in body:
                cid_guess = (parse_qs(body.decode("utf-8", "replace")).get("client_id") or [None])[0]
            org, client = store.client(cid_guess) if cid_guess else (None, None)
            if client is not None:
                emu["org"] = org["name"]
                emu["client"] = client["id"]

        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000.0)

        # fault rules
        if self.faults:
            done = await self._apply_faults(scope, send, emu, method, path)
            if done:
                return

        if is_api:
            if tinfo is None:
                if not auth[:7].lower() == "bearer " or not auth[7:].strip():
                    await self._send_error(send, 401, "authentication.required",
                                           "No authentication bearer token specified in authorization header.", cid)
                else:
                    await self._send_error(send, 401, "bad.credentials", "Invalid login credentials.", cid)
                return
            allowed, count, reset, limit = store.hit("tok:" + emu["token"], store.rate_limit)
            emu["rl"] = (limit, count, reset)
            if not allowed:
                msg = ("Rate limit exceeded the maximum [%d] requests within [60] seconds. "
                       "Retry the request in [%d] seconds" % (limit, reset))
                await self._send_error(send, 429, "too.many.requests.retry.after", msg, cid,
                                       headers={"Retry-After": reset},
                                       limit={"key": "token.rate.per.minute", "namespace": "platform.api",
                                              "value": limit})
                return
            if method in ("POST", "PUT", "PATCH") and body:
                ctype = headers.get("content-type", "").split(";")[0].strip().lower()
                if not (ctype == "application/json" or (ctype.startswith("application/") and ctype.endswith("+json"))):
                    await self._send_error(send, 415, *STATUS_CODES[415], cid)
                    return

        request = FastRequest(scope, headers)
        try:
            handler = None
            for rmethod, regex, func in self.routes:
                match = regex.match(path)
                if match is not None and rmethod == method:
                    handler = func
                    request.path_params = match.groupdict()
                    break
            if handler is None:
                raise ApiError(404, "not.found", "The requested resource was not found: %s" % path[:200])
            response = await handler(request, **request.path_params)
        except ApiError as exc:
            response = json_response(error_body(exc.status, exc.code, exc.message, cid, **exc.extra), exc.status,
                                     headers=exc.headers)
        except OAuthError as exc:
            response = json_response({"error": exc.error, "description": exc.description,
                                      "error_description": exc.description}, exc.status,
                                     headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
        except saml.SamlError as exc:
            response = json_response({"result": "failure", "code": exc.code, "reason": exc.reason}, exc.status)
        await response(scope, receive, send)

    # ---------------------------------------------------------------------------------------------
    async def _apply_faults(self, scope, send, emu, method, path):
        for rule in list(self.faults):
            if rule.get("method") and rule["method"].upper() != method:
                continue
            if rule.get("path") and not rule["_re"].search(path):
                continue
            if rule.get("org") and rule["org"] != emu["org"]:
                continue
            if rule.get("client_id") and rule["client_id"] != emu["client"]:
                continue
            org = self.store.orgs.get(emu["org"]) if emu["org"] else None
            if rule.get("after_write") and (org is None or org["last_write"] < rule["_created"]):
                continue
            nf_ms = rule.get("not_found_after_write_ms")
            if nf_ms:
                if method != "GET" or not PROVIDER_PATH.match(path) or org is None:
                    continue
                if (time.time() - org["last_write"]) * 1000.0 > nf_ms:
                    continue
            if rule.get("count") is not None and rule["fired"] >= rule["count"]:
                continue
            if rule.get("probability") is not None and random.random() >= rule["probability"]:
                continue
            rule["fired"] += 1
            emu["fault"] = rule["id"]
            if rule.get("delay_ms"):
                await asyncio.sleep(rule["delay_ms"] / 1000.0)
            if rule.get("reset"):
                cycle = emu.get("cycle")
                transport = getattr(cycle, "transport", None)
                if transport is not None:
                    transport.abort()
                    for _ in range(20):  # let the server notice, so it does not log a missing response
                        if getattr(cycle, "disconnected", True):
                            break
                        await asyncio.sleep(0)
                return True
            if nf_ms:
                await self._send_error(send, 404, "not.found", "The requested resource was not found.", emu["cid"])
                return True
            status = rule.get("status")
            if status:
                headers = {}
                if rule.get("retry_after") is not None:
                    headers["Retry-After"] = int(rule["retry_after"]) if float(rule["retry_after"]).is_integer() \
                        else rule["retry_after"]
                ctype = rule.get("content_type") or "application/json"
                rbody = rule.get("body")
                if rbody is None:
                    if "json" in ctype:
                        code, message = STATUS_CODES.get(status, ("error", "Error"))
                        if status == 429 and rule.get("retry_after") is not None:
                            code = "too.many.requests.retry.after"
                            message = ("Rate limit exceeded the maximum [300] requests within [60] seconds. "
                                       "Retry the request in [%s] seconds" % headers["Retry-After"])
                        raw = _dumps(error_body(status, code, message, emu["cid"]))
                    else:
                        raw = ("<html><head><title>%d</title></head><body><h1>%d</h1></body></html>"
                               % (status, status)).encode()
                elif isinstance(rbody, str):
                    raw = rbody.encode("utf-8")
                else:
                    raw = _dumps(rbody)
                await self._send_raw(send, status, raw, ctype, headers)
                return True
            return False  # delay only: carry on
        return False

    def add_fault(self, rule):
        if not isinstance(rule, dict):
            raise ApiError(400, "bad.request", "a fault rule must be a JSON object")
        for key, value in rule.items():
            if key not in FAULT_FIELDS:
                raise ApiError(400, "bad.request", "unknown fault field %r" % key)
            if value is not None and (not isinstance(value, FAULT_FIELDS[key]) or
                                      (isinstance(value, bool) and FAULT_FIELDS[key] is not bool)):
                raise ApiError(400, "bad.request", "fault field %r has the wrong type" % key)
        clean = {k: v for k, v in rule.items() if v is not None}
        if clean.get("path"):
            try:
                compiled = re.compile(clean["path"])
            except re.error as err:
                raise ApiError(400, "bad.request", "fault path is not a valid regex: %s" % err) from None
        else:
            compiled = None
        if "probability" in clean and not 0 <= clean["probability"] <= 1:
            raise ApiError(400, "bad.request", "probability must be within 0..1")
        if not any(clean.get(k) for k in ("status", "delay_ms", "reset", "not_found_after_write_ms")):
            raise ApiError(400, "bad.request", "a fault rule needs one of status, delay_ms, reset, "
                                               "not_found_after_write_ms")
        self.fault_seq += 1
        clean.update({"id": "fault-%d" % self.fault_seq, "fired": 0, "_re": compiled, "_created": time.time()})
        self.faults.append(clean)
        return self.public_fault(clean)

    @staticmethod
    def public_fault(rule):
        return {k: v for k, v in rule.items() if not k.startswith("_")}

    @property
    def variants(self):
        return self._variants

    @variants.setter
    def variants(self, value):
        # the SAML verifier's SHA-1 policy follows the saml_sha1 variant (null: its environment default)
        self._variants = value
        saml.set_sha1_policy((value or {}).get("saml_sha1"))

    def reset(self):
        self.store.reset()
        self.log.clear()
        self.faults = []
        self.variants = copy.deepcopy(self.start_variants)
        self.read_shadow = {}
        self.list_shadow = {}


# =================================================================================================
def _org_entity(org):
    return {"id": org["id"], "name": org["display_name"]}


def _role_divisions(client):
    return [{"roleId": r["id"], "divisionId": r["division_id"]} for r in client["roles"]]


def _oauth_client(org, client):
    out = {
        "id": client["id"],
        "name": client["name"],
        "accessTokenValiditySeconds": client["access_token_validity_seconds"],
        "roleIds": [r["id"] for r in client["roles"]],
        "dateCreated": client["date_created"],
        "dateModified": client["date_modified"],
        "authorizedGrantType": client["grant_type"],
        "roleDivisions": _role_divisions(client),
        "state": client["state"],
        "selfUri": "/api/v2/oauth/clients/" + client["id"],
    }
    if client.get("description"):
        out["description"] = client["description"]
    if client["grant_type"] != "CLIENT-CREDENTIALS":
        out["scope"] = client.get("scope") or []
    return out


def _full_provider(ptype, rec, key):
    data = rec["data"]
    out = {"id": rec["id"]}
    out.update(data)
    if "disabled" not in out:
        out["disabled"] = False
    out["selfUri"] = "/api/v2/identityproviders/" + key
    return out


def _short_provider(ptype, rec, key):
    out = {"id": rec["id"]}
    if rec["data"].get("name") is not None:
        out["name"] = rec["data"]["name"]
    out["disabled"] = rec["data"].get("disabled", False)
    out["selfUri"] = "/api/v2/identityproviders/" + key
    return out


def _listing_entity(full):
    return {k: v for k, v in full.items() if k in models.SAMLProvider.model_fields}


def filled_relying_party(org):
    """fill_relying_party: the value the platform is assumed to put in an empty relyingPartyIdentifier. A guess:
    the org's regional ACS URL, which the Okta help article gives as the Audience URI ("Add Okta as a single
    sign-on provider"); no public source shows the real value."""
    return "https://login.%s/saml" % REGION_DOMAINS.get(org.get("region"), "mypurecloud.com")


def _provider_count(org):
    return sum(1 for t in org["providers"] if t != "purecloud") + len(org["custom"])


def build_api(emu):
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    store = emu.store

    def route(method, pattern):
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

        def register(func):
            emu.routes.append((method, regex, func))
            return func
        return register

    def ctx(request):
        return request.scope.get("emu") or {"cid": str(uuid.uuid4()), "org": None, "client": None, "token": None,
                                            "body": b""}

    def current(request):
        c = ctx(request)
        org = store.orgs[c["org"]]
        return org, org["clients"][c["client"]]

    def require(request, *perms):
        org, client = current(request)
        if any(permitted(client["permissions"], p) for p in perms):
            return org, client
        joined = ", ".join(perms)
        raise ApiError(403, "missing.any.permissions",
                       "Unable to perform the requested action. You must have at least one of the following "
                       "permissions assigned: [%s]" % joined,
                       messageWithParams="Unable to perform the requested action. You must have at least one of "
                                         "the following permissions assigned: %s",
                       messageParams={"permissions": joined})

    def json_body(request):
        raw = ctx(request)["body"]
        if not raw:
            raise ApiError(400, "bad.request", "A request body is required.")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "bad.request",
                           "The request could not be understood by the server due to malformed syntax: "
                           "the body is not valid JSON.") from None
        return data

    def parse_provider(ptype, data, org=None):
        model = models.CustomProvider if ptype == "custom" else models.PROVIDER_TYPES[ptype]
        if not isinstance(data, dict):
            raise ApiError(400, "bad.request", "The request body must be a JSON object.")
        variants = emu.variants
        if variants["strict_fields"]:
            unknown = [k for k in data if k not in model.model_fields]
            if unknown:
                raise ApiError(400, "invalid.property",
                               "Unrecognized field \"%s\": the %s identity provider has no such property."
                               % (str(unknown[0])[:100], ptype),
                               details=[{"errorCode": "invalid.property", "fieldName": str(k)[:100]}
                                        for k in unknown])
        try:
            parsed = model.model_validate(data)
        except PydanticValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first.get("loc", ()))
            raise ApiError(400, "invalid.value", "Invalid value for %s: %s" % (field, first.get("msg")),
                           details=[{"errorCode": "invalid.value", "fieldName": field}]) from None
        written = parsed.dump()
        try:
            from .validation import validate_provider
            validate_provider(ptype, written)
        except ValidationError as err:
            raise ApiError(400, err.code, err.message,
                           details=[{"errorCode": err.code, "fieldName": err.field}] if err.field else []) from None
        return platform_rewrite(ptype, written, org)

    def platform_rewrite(ptype, written, org):
        """What the platform keeps of a valid body under the current variants (defaults: all, verbatim)."""
        if ptype == "purecloud":
            return written
        variants = emu.variants
        if ptype not in ("generic", "custom"):
            for name in variants["dropped_fields"]:
                written.pop(name, None)
        if variants["certificate_echo"] == "bare_base64":
            from .validation import certificate_bare
            certs = written.get("certificates")
            if certs is None and written.get("certificate"):
                certs = [written["certificate"]]
            if certs is not None:
                certs = [certificate_bare(c) for c in certs]
                written["certificates"] = certs
                if len(certs) == 1:
                    written["certificate"] = certs[0]
                else:
                    written.pop("certificate", None)
        if variants["fill_relying_party"] and not written.get("relyingPartyIdentifier") and org is not None:
            written["relyingPartyIdentifier"] = filled_relying_party(org)
        return written

    # ---- error handlers --------------------------------------------------------------------------
    @app.exception_handler(ApiError)
    async def _api_error(request, exc):
        return json_response(error_body(exc.status, exc.code, exc.message, ctx(request)["cid"], **exc.extra),
                             exc.status, headers=exc.headers)

    @app.exception_handler(OAuthError)
    async def _oauth_error(request, exc):
        return json_response({"error": exc.error, "description": exc.description,
                              "error_description": exc.description}, exc.status,
                             headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    @app.exception_handler(saml.SamlError)
    async def _saml_error(request, exc):
        return json_response({"result": "failure", "code": exc.code, "reason": exc.reason}, exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request, exc):
        code, message = STATUS_CODES.get(exc.status_code, ("error", str(exc.detail)))
        return json_response(error_body(exc.status_code, code, message, ctx(request)["cid"]), exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request, exc):
        first = (exc.errors() or [{}])[0]
        message = "Invalid value for %s: %s" % (".".join(str(p) for p in first.get("loc", ())), first.get("msg"))
        return json_response(error_body(400, "bad.request", message, ctx(request)["cid"]), 400)

    @app.exception_handler(Exception)
    async def _any_error(request, exc):  # pylint: disable=unused-argument
        return json_response(error_body(500, *STATUS_CODES[500], ctx(request)["cid"]), 500)

    # ---- login host ------------------------------------------------------------------------------
    def form(request, content_type_error):
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            raise content_type_error
        try:
            parsed = parse_qs(ctx(request)["body"].decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise content_type_error from None
        return {k: v[0] for k, v in parsed.items()}

    @route("POST", "/oauth/token")
    async def oauth_token(request):
        c = ctx(request)
        fields = form(request, OAuthError(400, "invalid_request",
                                          "Content-Type must be application/x-www-form-urlencoded"))
        client_id = secret = None
        auth = request.headers.get("authorization", "")
        if auth[:6].lower() == "basic ":
            try:
                client_id, secret = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8").split(":", 1)
            except (binascii.Error, ValueError):
                client_id = secret = None
        else:
            client_id, secret = fields.get("client_id"), fields.get("client_secret")
        org, client = store.client(client_id) if client_id else (None, None)
        if client is None or secret is None or not hmac.compare_digest(client["secret"].encode(), secret.encode()):
            raise OAuthError(401, "invalid_client", "authentication failed")
        allowed, count, reset, limit = store.hit("login:" + client["id"], store.token_rate_limit)
        c["rl"] = (limit, count, reset)
        if not allowed:
            raise OAuthError(400, "invalid_request",
                             "rate limit exceeded; the client may request at most %d tokens per minute, retry in %d "
                             "seconds" % (limit, reset))
        if client["state"] != "active":
            raise OAuthError(401, "invalid_client", "client is %s" % client["state"])
        grant = fields.get("grant_type")
        if not grant:
            raise OAuthError(400, "invalid_request", "missing grant_type")
        if grant not in SUPPORTED_GRANTS:
            raise OAuthError(400, "unsupported_grant_type", "unsupported grant type: %s" % grant[:80])
        if SUPPORTED_GRANTS[grant] != client["grant_type"]:
            raise OAuthError(400, "unauthorized_client",
                             "the client is not authorized for this grant type (client grant type: %s)"
                             % client["grant_type"])
        user = None
        if grant == "password":
            entry = org["users"].get((fields.get("username") or "").lower())
            if entry is None or not hmac.compare_digest(entry["password"].encode(),
                                                        (fields.get("password") or "").encode()):
                raise OAuthError(400, "invalid_grant", "authentication failed")
            user = entry["email"]
        elif SUPPORTED_GRANTS[grant] == "SAML2-BEARER":
            org_name = fields.get("orgName")
            if not org_name:
                raise OAuthError(400, "invalid_request", "missing orgName")
            if org_name != org["name"]:
                raise OAuthError(400, "invalid_grant", "orgName does not match the client's organization")
            try:
                result = saml.verify(store, fields.get("assertion"), expect_org=org_name,
                                     acs_url=saml.endpoint_urls(request)[0], token_url=saml.endpoint_urls(request)[1])
            except saml.SamlError as err:
                raise OAuthError(400, "invalid_grant", "assertion rejected: %s" % err.reason) from None
            user = result["email"]
        token, ttl = store.issue_token(org, client, user)
        c["user"] = user
        return json_response({"access_token": token, "token_type": "bearer", "expires_in": ttl},
                             headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    @route("POST", "/saml")
    async def saml_acs(request):
        fields = form(request, saml.SamlError(415, "unsupported.media.type",
                                              "post the SAMLResponse as application/x-www-form-urlencoded"))
        result = saml.verify(store, fields.get("SAMLResponse"), acs_url=saml.endpoint_urls(request)[0])
        c = ctx(request)
        c["org"] = result["org"]
        body = {"result": "success", "org": result["org"], "email": result["email"], "provider": result["provider"],
                "provider_id": result["provider_id"], "provider_name": result["provider_name"]}
        if result["service_name"]:
            body["service_name"] = result["service_name"]
        if fields.get("RelayState"):
            body["relay_state"] = fields["RelayState"]
        return json_response(body)

    # ---- identity providers ----------------------------------------------------------------------
    def render(ptype, rec, key):
        """The GET body of a provider (``key``: its type, or the custom id) under the id/selfUri variants."""
        if ptype == "custom":
            return _full_provider(ptype, rec, key)
        out = _full_provider(ptype, rec, key)
        if emu.variants["listing_ids"] == "type":
            out["id"] = ptype
        out["selfUri"] = "/api/v2/identityproviders/" + (ptype if emu.variants["listing_self_uri"] == "type"
                                                        else out["id"])
        return out

    def current_state(org, key):
        """(ptype, rec) of the provider ``key`` (a type or a custom id) as stored now, or (ptype, None)."""
        if key in models.PROVIDER_TYPES:
            return key, org["providers"].get(key)
        return "custom", org["custom"].get(key)

    def shadow_live(table, org, key):
        entry = table.get((org["name"], key))
        if entry is None:
            return None
        if entry[0] <= time.time():
            del table[(org["name"], key)]
            return None
        return entry

    def visible_body(org, key):
        """What a GET of ``key`` answers now: the previous state while read_lag_s runs, else the state."""
        entry = shadow_live(emu.read_shadow, org, key)
        if entry is not None:
            return entry[1]
        ptype, rec = current_state(org, key)
        return None if rec is None else render(ptype, rec, key)

    def listing_order(org, key):
        if key in models.PROVIDER_TYPES:
            return (0, list(models.PROVIDER_TYPES).index(key))
        keys = list(org["custom"])
        return (1, keys.index(key) if key in keys else len(keys))

    def visible_entity(org, key):
        entry = shadow_live(emu.list_shadow, org, key)
        if entry is not None:
            return entry[1]
        ptype, rec = current_state(org, key)
        return None if rec is None else _listing_entity(render(ptype, rec, key))

    def before_write(org, key):
        """Snapshot what readers see of ``key`` before a write; call after_write() once it is done."""
        if not (emu.variants["read_lag_s"] or emu.variants["listing_lag_s"]):
            return None
        return visible_body(org, key), visible_entity(org, key), listing_order(org, key)

    def after_write(org, key, snapshot):
        if snapshot is None:
            return
        now = time.time()
        if emu.variants["read_lag_s"]:
            emu.read_shadow[(org["name"], key)] = (now + emu.variants["read_lag_s"], snapshot[0])
        if emu.variants["listing_lag_s"]:
            emu.list_shadow[(org["name"], key)] = (now + emu.variants["listing_lag_s"], snapshot[1], snapshot[2])

    def resolve_key(org, key):
        """A per-type provider's uuid resolves to its type when selfUri points by id (listing_self_uri=id)."""
        if key in models.PROVIDER_TYPES or key in org["custom"] or emu.variants["listing_self_uri"] != "id":
            return key
        for ptype, rec in org["providers"].items():
            if rec["id"] == key:
                return ptype
        for (org_name, skey), entry in list(emu.read_shadow.items()):
            if org_name == org["name"] and entry[1] is not None and entry[1].get("id") == key:
                return skey
        return key

    def page_query(request):
        query = parse_qs(request.scope.get("query_string", b"").decode("latin-1"))
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

    @route("GET", "/api/v2/identityproviders")
    async def list_providers(request):
        org, _ = require(request, "sso:provider:view")
        rows = {}
        for ptype in models.PROVIDER_TYPES:
            rec = org["providers"].get(ptype)
            if rec is not None:
                rows[ptype] = (listing_order(org, ptype), _listing_entity(render(ptype, rec, ptype)))
        for rec in org["custom"].values():
            rows[rec["id"]] = (listing_order(org, rec["id"]), _listing_entity(render("custom", rec, rec["id"])))
        if emu.list_shadow:
            for (org_name, key), entry in list(emu.list_shadow.items()):
                if org_name != org["name"] or shadow_live(emu.list_shadow, org, key) is None:
                    continue
                if entry[1] is None:
                    rows.pop(key, None)
                else:
                    rows[key] = (rows[key][0] if key in rows else entry[2], entry[1])
        entities = [row[1] for row in sorted(rows.values(), key=lambda row: row[0])]
        page_size = emu.variants["page_size"]
        if not page_size:
            return json_response(models.listing(entities, "/api/v2/identityproviders"))
        query = page_query(request)
        return json_response(models.paged_listing(entities, "/api/v2/identityproviders",
                                                  min(query.get("pageSize", page_size), page_size),
                                                  query.get("pageNumber", 1)))

    @route("POST", "/api/v2/identityproviders")
    async def create_custom(request):
        org, _ = require(request, "sso:provider:add")
        data = parse_provider("custom", json_body(request), org)
        if _provider_count(org) >= MAX_PROVIDERS:
            raise ApiError(400, "bad.request", "The maximum number of %d single sign-on integrations for this "
                                               "organization has been reached." % MAX_PROVIDERS)
        rec = {"id": str(uuid.uuid4()), "data": data, "written_at": time.time()}
        snapshot = before_write(org, rec["id"])
        org["custom"][rec["id"]] = rec
        org["last_write"] = time.time()
        store.save()
        after_write(org, rec["id"], snapshot)
        return json_response(_full_provider("custom", rec, rec["id"]))

    @route("GET", "/api/v2/identityproviders/{key}")
    async def get_provider(request, key):
        org, _ = require(request, "sso:provider:view")
        key = resolve_key(org, key)
        body = visible_body(org, key)
        if body is None:
            if key in models.PROVIDER_TYPES:
                raise ApiError(404, "not.found", "The requested %s identity provider was not found." % key)
            raise ApiError(404, "not.found", "The requested identity provider was not found.", entityId=key)
        return json_response(body)

    @route("PUT", "/api/v2/identityproviders/{key}")
    async def put_provider(request, key):
        if key in models.PROVIDER_TYPES:
            org, _ = require(request, "sso:provider:add", "sso:provider:edit")
            data = parse_provider(key, json_body(request), org)
            rec = org["providers"].get(key)
            snapshot = before_write(org, key)
            if rec is None:
                if key != "purecloud" and _provider_count(org) >= MAX_PROVIDERS:
                    raise ApiError(400, "bad.request", "The maximum number of %d single sign-on integrations for "
                                                       "this organization has been reached." % MAX_PROVIDERS)
                rec = {"id": str(uuid.uuid4()), "data": data, "written_at": time.time()}
                org["providers"][key] = rec
            else:
                rec["data"] = data
                rec["written_at"] = time.time()
            org["last_write"] = time.time()
            store.save()
            after_write(org, key, snapshot)
            if key == "identitynow":
                return json_response(render(key, rec, key))
            short = _short_provider(key, rec, key)
            full = render(key, rec, key)
            short["id"], short["selfUri"] = full["id"], full["selfUri"]
            return json_response(short)
        org, _ = require(request, "sso:provider:edit")
        rec = org["custom"].get(key)
        if rec is None:
            raise ApiError(404, "not.found", "The requested identity provider was not found.", entityId=key)
        data = parse_provider("custom", json_body(request), org)
        snapshot = before_write(org, key)
        rec["data"] = data
        rec["written_at"] = time.time()
        org["last_write"] = time.time()
        store.save()
        after_write(org, key, snapshot)
        return json_response(_full_provider("custom", rec, key))

    def refuse_last_delete(org, key):
        """refuse_last_provider_delete: the help article's rule (see emulator/README.md)."""
        if not emu.variants["refuse_last_provider_delete"] or key == "purecloud":
            return
        login = org["providers"].get("purecloud")
        if login is None or not login["data"].get("disabled"):
            return
        _, rec = current_state(org, key)
        if rec is None or rec["data"].get("disabled"):
            return
        others = [r for t, r in org["providers"].items() if t not in ("purecloud", key)]
        others += [r for i, r in org["custom"].items() if i != key]
        if any(not r["data"].get("disabled") for r in others):
            return
        raise ApiError(400, "identity.provider.last.enabled",
                       "The last enabled single sign-on provider cannot be deleted while the Genesys Cloud login "
                       "is disabled. Enable the Genesys Cloud login (purecloud) or another provider first.",
                       details=[{"errorCode": "identity.provider.last.enabled", "entityId": key}])

    @route("DELETE", "/api/v2/identityproviders/{key}")
    async def delete_provider(request, key):
        org, _ = require(request, "sso:provider:delete")
        if key in models.PROVIDER_TYPES:
            if org["providers"].get(key) is None:
                raise ApiError(404, "not.found", "The requested %s identity provider was not found." % key)
            refuse_last_delete(org, key)
            snapshot = before_write(org, key)
            org["providers"].pop(key)
            org["last_write"] = time.time()
            store.save()
            after_write(org, key, snapshot)
            return json_response({})
        if org["custom"].get(key) is None:
            raise ApiError(404, "not.found", "The requested identity provider was not found.", entityId=key)
        refuse_last_delete(org, key)
        snapshot = before_write(org, key)
        org["custom"].pop(key)
        org["last_write"] = time.time()
        store.save()
        after_write(org, key, snapshot)
        return Response(status_code=204)

    # ---- tokens, organization, oauth clients ------------------------------------------------------
    @route("GET", "/api/v2/tokens/me")
    async def tokens_me(request):
        org, client = current(request)
        oclient = {
            "id": client["id"],
            "name": client["name"],
            "dateCreated": client["date_created"],
            "dateModified": client["date_modified"],
            "authorizedGrantType": client["grant_type"],
            "roleDivisions": _role_divisions(client),
            "state": client["state"],
            "organization": _org_entity(org),
        }
        if client["grant_type"] != "CLIENT-CREDENTIALS":
            oclient["scope"] = client.get("scope") or []
        rec = store.tokens[ctx(request)["token"]]
        body = {
            "organization": _org_entity(org),
            "homeOrganization": _org_entity(org),
            "authorizedScope": client.get("scope") or [],
            "dateTokenIdles": datetime.datetime.fromtimestamp(rec["expires"], datetime.timezone.utc)
            .strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "OAuthClient": oclient,
        }
        return json_response(body)

    @route("HEAD", "/api/v2/tokens/me")
    async def tokens_me_head(request):  # pylint: disable=unused-argument
        return Response(status_code=200)

    @route("DELETE", "/api/v2/tokens/me")
    async def tokens_me_delete(request):
        store.revoke(ctx(request)["token"])
        return Response(status_code=200)

    @route("GET", "/api/v2/authorization/roles/{role_id}")
    async def authorization_role(request, role_id):
        # DomainOrganizationRole. A seed gives permissions per client, not per role: a role holds the permissions
        # of the clients it is assigned to, as permissionPolicies (domain, entityName, actionSet; "*" = any).
        org, _ = require(request, "authorization:role:view")
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

    @route("GET", "/api/v2/organizations/me")
    async def organizations_me(request):
        org, _ = current(request)
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

    @route("GET", "/api/v2/oauth/clients")
    async def oauth_clients(request):
        org, _ = require(request, "oauth:client:view")
        entities = [_oauth_client(org, c) for c in org["clients"].values()]
        return json_response(models.listing(entities, "/api/v2/oauth/clients"))

    @route("GET", "/api/v2/oauth/clients/{client_id}")
    async def oauth_client(request, client_id):
        org, _ = require(request, "oauth:client:view")
        client = org["clients"].get(client_id)
        if client is None:
            raise ApiError(404, "client.not.found", "The OAuth client was not found.", entityId=client_id)
        return json_response(_oauth_client(org, client))

    # ---- control endpoints -----------------------------------------------------------------------
    def control_json(raw, default=None):
        if not raw:
            return default
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError(400, "bad.request", "the body is not valid JSON") from None

    @app.get("/_emulator/health")
    async def c_health():
        return json_response({"status": "ok", "orgs": len(store.orgs), "uptime_s": round(time.time() - emu.started, 1)})

    @app.get("/_emulator/requests")
    async def c_requests(org: str = None, since: int = None):
        entries = [e for e in emu.log if (org is None or e["org"] == org) and (since is None or e["seq"] > since)]
        return json_response(entries)

    @app.delete("/_emulator/requests")
    async def c_requests_clear():
        emu.log.clear()
        return json_response({"cleared": True})

    @app.post("/_emulator/faults")
    async def c_fault_add(request: Request):
        return json_response(emu.add_fault(control_json(await request.body(), {})))

    @app.get("/_emulator/faults")
    async def c_faults():
        return json_response([emu.public_fault(r) for r in emu.faults])

    @app.delete("/_emulator/faults")
    async def c_faults_clear():
        emu.faults = []
        return json_response({"cleared": True})

    @app.delete("/_emulator/faults/{fault_id}")
    async def c_fault_delete(fault_id: str):
        before = len(emu.faults)
        emu.faults = [r for r in emu.faults if r["id"] != fault_id]
        if len(emu.faults) == before:
            raise ApiError(404, "not.found", "no fault rule %s" % fault_id)
        return json_response({"deleted": fault_id})

    @app.post("/_emulator/reset")
    async def c_reset():
        emu.reset()
        return json_response({"reset": True, "orgs": len(store.orgs)})

    @app.get("/_emulator/variants")
    async def c_variants():
        return json_response(emu.variants)

    @app.post("/_emulator/variants")
    async def c_variants_set(request: Request, profile: str = None):
        changes = control_json(await request.body(), {})
        try:
            base = variants_mod.profile(profile) if profile else emu.variants
            effective = variants_mod.merge(base, changes if changes is not None else {})
        except variants_mod.VariantError as err:
            raise ApiError(400, "bad.request", str(err)) from None
        emu.variants = effective
        return json_response(emu.variants)

    @app.delete("/_emulator/variants")
    async def c_variants_restore():
        emu.variants = copy.deepcopy(emu.start_variants)
        return json_response(emu.variants)

    @app.get("/_emulator/state")
    async def c_state():
        return json_response(store.dump())

    @app.get("/_emulator/config")
    async def c_config():
        return json_response({"latency_ms": emu.latency_ms, "rate_limit_per_minute": store.rate_limit,
                              "token_rate_limit_per_minute": store.token_rate_limit})

    @app.patch("/_emulator/config")
    async def c_config_patch(request: Request):
        data = control_json(await request.body(), {})
        for key in data:
            if key not in ("latency_ms", "rate_limit_per_minute", "token_rate_limit_per_minute"):
                raise ApiError(400, "bad.request", "unknown config field %r" % key)
            if not isinstance(data[key], int) or isinstance(data[key], bool) or data[key] < 0:
                raise ApiError(400, "bad.request", "%s must be a non-negative integer" % key)
        if "latency_ms" in data:
            emu.latency_ms = data["latency_ms"]
        if "rate_limit_per_minute" in data:
            store.rate_limit = data["rate_limit_per_minute"]
        if "token_rate_limit_per_minute" in data:
            store.token_rate_limit = data["token_rate_limit_per_minute"]
        return await c_config()

    @app.post("/_emulator/orgs")
    async def c_orgs_add(request: Request):
        data = control_json(await request.body(), [])
        if isinstance(data, dict):
            data = data.get("orgs", [])
        if not isinstance(data, list):
            raise ApiError(400, "bad.request", "post a list of orgs (the seed's orgs shape)")
        try:
            added = store.add_orgs(data)
        except (SeedError, ValueError, TypeError, AttributeError) as err:
            raise ApiError(400, "bad.request", str(err)) from None
        return json_response({"added": added})

    def _apply_client_changes(org, client, changes):
        aliases = {"authorizedGrantType": "grant_type", "accessTokenValiditySeconds": "access_token_validity_seconds"}
        for key, value in changes.items():
            key = aliases.get(key, key)
            if key == "state":
                if value not in CLIENT_STATES:
                    raise ApiError(400, "bad.request", "state must be one of %s" % ", ".join(CLIENT_STATES))
            elif key == "grant_type":
                value = str(value).upper()
                if value not in GRANT_TYPES:
                    raise ApiError(400, "bad.request", "grant_type must be one of %s" % ", ".join(GRANT_TYPES))
            elif key in ("permissions", "scope"):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ApiError(400, "bad.request", "%s must be a list of strings" % key)
            elif key == "roles":
                if not isinstance(value, list):
                    raise ApiError(400, "bad.request", "roles must be a list")
                value = [{"id": str(r.get("id") or uuid.uuid4()), "name": r.get("name"),
                          "division_id": str(r.get("division_id", r.get("divisionId", "*")))} for r in value]
            elif key == "access_token_validity_seconds":
                if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                    raise ApiError(400, "bad.request", "access_token_validity_seconds must be a positive integer")
            elif key in ("secret", "name", "description"):
                value = None if value is None else str(value)
            else:
                raise ApiError(400, "bad.request", "unknown client field %r" % key)
            client[key] = value
        client["date_modified"] = now_iso()

    @app.patch("/_emulator/orgs/{name}/clients/{client_id}")
    async def c_client_patch(request: Request, name: str, client_id: str):
        org = store.orgs.get(name)
        if org is None or client_id not in org["clients"]:
            raise ApiError(404, "not.found", "no client %s in org %s" % (client_id, name))
        changes = control_json(await request.body(), {})
        if not isinstance(changes, dict):
            raise ApiError(400, "bad.request", "post a JSON object of changes")
        client = org["clients"][client_id]
        _apply_client_changes(org, client, changes)
        store.save()
        return json_response(dict({k: v for k, v in client.items() if k != "secret"}, secret="***"))

    @app.post("/_emulator/orgs/{name}/clients")
    async def c_client_add(request: Request, name: str):
        org = store.orgs.get(name)
        if org is None:
            raise ApiError(404, "not.found", "no org %s" % name)
        raw = control_json(await request.body(), {})
        from .store import _client_from_seed
        try:
            client = _client_from_seed(org["id"], raw)
        except (SeedError, ValueError, TypeError, AttributeError) as err:
            raise ApiError(400, "bad.request", str(err)) from None
        if client["id"] in store.client_index:
            raise ApiError(409, "request.conflict", "client id %s already exists" % client["id"])
        org["clients"][client["id"]] = client
        store.client_index[client["id"]] = org["name"]
        store.save()
        return json_response(dict({k: v for k, v in client.items() if k != "secret"}, secret="***"))

    @app.post("/_emulator/tokens/expire")
    async def c_tokens_expire(request: Request):
        data = control_json(await request.body(), {}) or {}
        org = data.get("org") if isinstance(data, dict) else None
        if org is not None and org not in store.orgs:
            raise ApiError(404, "not.found", "no org %s" % org)
        return json_response({"expired": store.expire_tokens(org)})

    return app
