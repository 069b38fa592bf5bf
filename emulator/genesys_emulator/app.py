"""The ASGI application: a thin pure-ASGI front (correlation ids, body limit, latency, faults, bearer auth,
rate limits, request log) that dispatches every request through ONE route table (``routes.build_table()``).

- platform API (``/api/v2``) and login (``/oauth/token``, ``/saml``): the front reads the body (bounded), finds
  the caller, sleeps ``latency_ms``, applies fault rules, checks the bearer token, the rate limit and the content
  type, then calls the handler with a ``routing.RequestContext``; a miss is 404 ``not.found``;
- control (``/_emulator``): no limits, no log; a known path with another method is 405, a path that differs only
  by a trailing slash is redirected (307), like the FastAPI app the control plane used to be.

Every error answer (the front's, the router's, a handler's) is built by ``errors.error_parts``.
"""

import asyncio
import base64
import binascii
import collections
import copy
import random
import re
import time
import traceback
import uuid
from urllib.parse import parse_qs

from starlette.datastructures import URL
from starlette.responses import RedirectResponse

from . import saml
from . import variants as variants_mod
# re-exported (callers of app: ApiError, OAuthError, STATUS_CODES, permitted, FastJSONResponse, json_response)
from .errors import STATUS_CODES, ApiError, OAuthError, dumps, error_body, error_parts, is_expected  # noqa: F401
from .routes import build_table
from .routing import CONTROL_PREFIX, FastJSONResponse, RequestContext, error_response, json_response, permitted  # noqa: F401
from .store import now_iso

MAX_BODY = 512000
PROVIDER_PATH = re.compile(r"^/api/v2/identityproviders/[^/]+/?$")
FAULT_FIELDS = {
    "method": str, "path": str, "org": str, "client_id": str, "status": int, "retry_after": (int, float),
    "body": (dict, list, str), "content_type": str, "delay_ms": (int, float), "reset": bool,
    "not_found_after_write_ms": (int, float), "after_write": bool, "count": int, "probability": (int, float),
}


def _headers(scope):
    headers = {}
    for key, value in scope.get("headers", []):
        headers.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
    return headers


class Emulator:
    """The ASGI callable served by uvicorn."""

    def __init__(self, store, latency_ms=0, log_size=100000, variants=None):
        self.store = store
        self.start_variants = variants_mod.merge(variants_mod.DEFAULTS, variants or {})
        self._variants = None
        self.variants = copy.deepcopy(self.start_variants)
        self.latency_ms = latency_ms
        self.log = collections.deque(maxlen=log_size)
        self.seq = 0
        self.faults = []
        self.fault_seq = 0
        self.started = time.time()
        self.routes = build_table()   # login + platform API + control: routing.RouteTable

    # ---------------------------------------------------------------------------------------------
    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self._not_http(scope, receive, send)
            return
        if scope["path"].startswith(CONTROL_PREFIX):
            await self._control(scope, receive, send)
            return
        start = time.perf_counter()
        cid = str(uuid.uuid4())
        rc = RequestContext(self, scope, None, cid)
        # the server's transport (uvicorn's send is a bound method of its request cycle): for reset faults
        rc.cycle = getattr(send, "__self__", None)
        state = {"status": 0, "started": False}

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                hdrs = [h for h in message.get("headers", []) if h[0].lower() != b"inin-correlation-id"]
                hdrs.append((b"inin-correlation-id", cid.encode("ascii")))
                rl = rc.rl
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
            await self._handle(scope, receive, send_wrapper, rc)
        except Exception as exc:  # never a traceback to the client (only to the emulator's log)  # pylint: disable=broad-except
            traceback.print_exc()
            if not state["started"]:
                await self._send_error(send_wrapper, exc, cid)
        finally:
            self.seq += 1
            self.log.append({
                "seq": self.seq,
                "time": now_iso(),
                "method": scope["method"],
                "path": scope["path"],
                "status": state["status"] if state["started"] else 0,
                "org": rc.org,
                "client": rc.client,
                "latency_ms": round((time.perf_counter() - start) * 1000, 2),
                "correlation_id": cid,
                "fault": rc.fault,
            })

    async def _send_error(self, send, exc, cid):
        status, body, headers = error_parts(exc, cid)
        await self._send_raw(send, status, body, "application/json", headers)

    @staticmethod
    async def _send_raw(send, status, body, content_type, headers=None):
        hdrs = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
        for key, value in (headers or {}).items():
            hdrs.append((key.lower().encode(), str(value).encode()))
        await send({"type": "http.response.start", "status": status, "headers": hdrs})
        await send({"type": "http.response.body", "body": body})

    async def _dispatch(self, rc, route, params):
        """The handler's response, or the one error function's for what it raised."""
        try:
            return await route.handler(rc, **params)
        except Exception as exc:  # pylint: disable=broad-except
            if not is_expected(exc):
                raise
            return error_response(exc, rc.cid)

    async def _handle(self, scope, receive, send, rc):
        cid = rc.cid
        path = scope["path"]
        method = scope["method"]
        headers = rc.headers = _headers(scope)
        store = self.store

        # body (bounded)
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            await self._send_error(send, ApiError(413), cid)
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
                await self._send_error(send, ApiError(413), cid)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        rc.body = body

        # identity (for faults, the log and auth)
        is_api = path.startswith("/api/v2")
        auth = headers.get("authorization", "")
        tinfo = None
        if is_api:
            if auth[:7].lower() == "bearer ":
                token = auth[7:].strip()
                tinfo = store.token_info(token)
                if tinfo is not None:
                    rc.org = tinfo[0]["name"]
                    rc.client = tinfo[1]["id"]
                    rc.token = token
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
                rc.org = org["name"]
                rc.client = client["id"]

        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000.0)

        # fault rules
        if self.faults:
            done = await self._apply_faults(send, rc, method, path)
            if done:
                return

        if is_api:
            if tinfo is None:
                if not auth[:7].lower() == "bearer " or not auth[7:].strip():
                    await self._send_error(send, ApiError(401, "authentication.required",
                                                          "No authentication bearer token specified in "
                                                          "authorization header."), cid)
                else:
                    await self._send_error(send, ApiError(401, "bad.credentials", "Invalid login credentials."),
                                           cid)
                return
            allowed, count, reset, limit = store.hit("tok:" + rc.token, store.rate_limit)
            rc.rl = (limit, count, reset)
            if not allowed:
                msg = ("Rate limit exceeded the maximum [%d] requests within [60] seconds. "
                       "Retry the request in [%d] seconds" % (limit, reset))
                await self._send_error(send, ApiError(429, "too.many.requests.retry.after", msg,
                                                      headers={"Retry-After": reset},
                                                      limit={"key": "token.rate.per.minute",
                                                             "namespace": "platform.api", "value": limit}), cid)
                return
            if method in ("POST", "PUT", "PATCH") and body:
                ctype = headers.get("content-type", "").split(";")[0].strip().lower()
                if not (ctype == "application/json" or (ctype.startswith("application/") and ctype.endswith("+json"))):
                    await self._send_error(send, ApiError(415), cid)
                    return

        route, params = self.routes.match(method, path)
        if route is None or route.control:
            response = error_response(ApiError(404, "not.found", "The requested resource was not found: %s"
                                               % path[:200]), cid)
        else:
            rc.path_params = params
            response = await self._dispatch(rc, route, params)
        await response(scope, receive, send)

    # ---- the control plane -------------------------------------------------------------------------
    async def _control(self, scope, receive, send):
        cid = str(uuid.uuid4())
        rc = RequestContext(self, scope, _headers(scope), cid)

        async def control_send(message):
            if message["type"] == "http.response.start":
                message = dict(message, headers=list(message.get("headers", [])) + [
                    (b"inin-correlation-id", cid.encode("ascii"))])
            await send(message)

        try:
            path = scope["path"]
            route, params = self.routes.match(scope["method"], path)
            if route is None or not route.control:
                response = self._control_miss(scope, path, cid)
            else:
                chunks = []
                more = True
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        break
                    chunks.append(message.get("body", b""))
                    more = message.get("more_body", False)
                rc.body = b"".join(chunks)
                rc.path_params = params
                response = await self._dispatch(rc, route, params)
        except Exception as exc:  # pylint: disable=broad-except
            # like the FastAPI app this plane used to be: the 500 ErrorBody, then the exception to the server
            # (which logs it and closes the connection)
            await error_response(exc, cid)(scope, receive, control_send)
            raise
        await response(scope, receive, control_send)

    def _control_miss(self, scope, path, cid):
        """405 for a known control path with another method; 307 to the path without (or with) its trailing
        slash when that one is known; else 404."""
        if self.routes.knows_path(path):
            return error_response(ApiError(405), cid)
        if path != "/":
            other = path.rstrip("/") if path.endswith("/") else path + "/"
            if self.routes.knows_path(other):
                return RedirectResponse(url=str(URL(scope=dict(scope, path=other))))
        return error_response(ApiError(404), cid)

    @staticmethod
    async def _not_http(scope, receive, send):
        """Lifespan events are acknowledged (the server runs with lifespan off); a websocket is closed."""
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    # ---------------------------------------------------------------------------------------------
    async def _apply_faults(self, send, rc, method, path):
        for rule in list(self.faults):
            if rule.get("method") and rule["method"].upper() != method:
                continue
            if rule.get("path") and not rule["_re"].search(path):
                continue
            if rule.get("org") and rule["org"] != rc.org:
                continue
            if rule.get("client_id") and rule["client_id"] != rc.client:
                continue
            org = self.store.orgs.get(rc.org) if rc.org else None
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
            rc.fault = rule["id"]
            if rule.get("delay_ms"):
                await asyncio.sleep(rule["delay_ms"] / 1000.0)
            if rule.get("reset"):
                cycle = rc.cycle
                transport = getattr(cycle, "transport", None)
                if transport is not None:
                    transport.abort()
                    for _ in range(20):  # let the server notice, so it does not log a missing response
                        if getattr(cycle, "disconnected", True):
                            break
                        await asyncio.sleep(0)
                return True
            if nf_ms:
                await self._send_error(send, ApiError(404, "not.found", "The requested resource was not found."), rc.cid)
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
                        raw = dumps(error_body(status, code, message, rc.cid))
                    else:
                        raw = ("<html><head><title>%d</title></head><body><h1>%d</h1></body></html>"
                               % (status, status)).encode()
                elif isinstance(rbody, str):
                    raw = rbody.encode("utf-8")
                else:
                    raw = dumps(rbody)
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
        # the provider repository reads them for every provider request (strict_fields, lags, listing shapes, ...)
        self._variants = value
        self.store.providers.variants = value
        saml.set_sha1_policy((value or {}).get("saml_sha1"))

    def reset(self):
        self.store.reset()
        self.log.clear()
        self.faults = []
        self.variants = copy.deepcopy(self.start_variants)
