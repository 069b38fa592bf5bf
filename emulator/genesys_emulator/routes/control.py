"""``/_emulator/...``: the control endpoints of tests and demos (no auth; the server listens on 127.0.0.1).

Errors are ErrorBodies through the same ``errors.error_parts`` as the platform API (400 ``bad.request``,
404 ``not.found``; the router answers 405 ``method.not.allowed`` for a known path with another method).
"""

import copy
import time
import uuid

from .. import variants as variants_mod
from ..errors import ApiError
from ..routing import RouteList, json_response
from ..store import CLIENT_STATES, GRANT_TYPES, SeedError, _client_from_seed, now_iso

ROUTES = RouteList()
CONFIG_FIELDS = ("latency_ms", "rate_limit_per_minute", "token_rate_limit_per_minute")


def _public_client(client):
    return dict({k: v for k, v in client.items() if k != "secret"}, secret="***")


@ROUTES("GET", "/_emulator/health")
async def c_health(rc):
    return json_response({"status": "ok", "orgs": len(rc.store.orgs),
                          "uptime_s": round(time.time() - rc.emu.started, 1)})


@ROUTES("GET", "/_emulator/requests")
async def c_requests(rc):
    org = rc.query_value("org")
    since = rc.query_value("since", int)
    entries = [e for e in rc.emu.log if (org is None or e["org"] == org) and (since is None or e["seq"] > since)]
    return json_response(entries)


@ROUTES("DELETE", "/_emulator/requests")
async def c_requests_clear(rc):
    rc.emu.log.clear()
    return json_response({"cleared": True})


@ROUTES("POST", "/_emulator/faults")
async def c_fault_add(rc):
    return json_response(rc.emu.add_fault(rc.control_json({})))


@ROUTES("GET", "/_emulator/faults")
async def c_faults(rc):
    return json_response([rc.emu.public_fault(r) for r in rc.emu.faults])


@ROUTES("DELETE", "/_emulator/faults")
async def c_faults_clear(rc):
    rc.emu.faults = []
    return json_response({"cleared": True})


@ROUTES("DELETE", "/_emulator/faults/{fault_id}")
async def c_fault_delete(rc, fault_id):
    emu = rc.emu
    before = len(emu.faults)
    emu.faults = [r for r in emu.faults if r["id"] != fault_id]
    if len(emu.faults) == before:
        raise ApiError(404, "not.found", "no fault rule %s" % fault_id)
    return json_response({"deleted": fault_id})


@ROUTES("POST", "/_emulator/reset")
async def c_reset(rc):
    rc.emu.reset()
    return json_response({"reset": True, "orgs": len(rc.store.orgs)})


@ROUTES("GET", "/_emulator/variants")
async def c_variants(rc):
    return json_response(rc.emu.variants)


@ROUTES("POST", "/_emulator/variants")
async def c_variants_set(rc):
    profile = rc.query_value("profile")
    changes = rc.control_json({})
    try:
        base = variants_mod.profile(profile) if profile else rc.emu.variants
        effective = variants_mod.merge(base, changes if changes is not None else {})
    except variants_mod.VariantError as err:
        raise ApiError(400, "bad.request", str(err)) from None
    rc.emu.variants = effective
    return json_response(rc.emu.variants)


@ROUTES("DELETE", "/_emulator/variants")
async def c_variants_restore(rc):
    rc.emu.variants = copy.deepcopy(rc.emu.start_variants)
    return json_response(rc.emu.variants)


@ROUTES("GET", "/_emulator/state")
async def c_state(rc):
    return json_response(rc.store.dump())


@ROUTES("GET", "/_emulator/config")
async def c_config(rc):
    return json_response({"latency_ms": rc.emu.latency_ms, "rate_limit_per_minute": rc.store.rate_limit,
                          "token_rate_limit_per_minute": rc.store.token_rate_limit})


@ROUTES("PATCH", "/_emulator/config")
async def c_config_patch(rc):
    data = rc.control_json({})
    for key in data:
        if key not in CONFIG_FIELDS:
            raise ApiError(400, "bad.request", "unknown config field %r" % key)
        if not isinstance(data[key], int) or isinstance(data[key], bool) or data[key] < 0:
            raise ApiError(400, "bad.request", "%s must be a non-negative integer" % key)
    if "latency_ms" in data:
        rc.emu.latency_ms = data["latency_ms"]
    if "rate_limit_per_minute" in data:
        rc.store.rate_limit = data["rate_limit_per_minute"]
    if "token_rate_limit_per_minute" in data:
        rc.store.token_rate_limit = data["token_rate_limit_per_minute"]
    return await c_config(rc)


@ROUTES("POST", "/_emulator/orgs")
async def c_orgs_add(rc):
    data = rc.control_json([])
    if isinstance(data, dict):
        data = data.get("orgs", [])
    if not isinstance(data, list):
        raise ApiError(400, "bad.request", "post a list of orgs (the seed's orgs shape)")
    try:
        added = rc.store.add_orgs(data)
    except (SeedError, ValueError, TypeError, AttributeError) as err:
        raise ApiError(400, "bad.request", str(err)) from None
    return json_response({"added": added})


def _apply_client_changes(client, changes):
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


@ROUTES("PATCH", "/_emulator/orgs/{name}/clients/{client_id}")
async def c_client_patch(rc, name, client_id):
    org = rc.store.orgs.get(name)
    if org is None or client_id not in org["clients"]:
        raise ApiError(404, "not.found", "no client %s in org %s" % (client_id, name))
    changes = rc.control_json({})
    if not isinstance(changes, dict):
        raise ApiError(400, "bad.request", "post a JSON object of changes")
    client = org["clients"][client_id]
    _apply_client_changes(client, changes)
    rc.store.save()
    return json_response(_public_client(client))


@ROUTES("POST", "/_emulator/orgs/{name}/clients")
async def c_client_add(rc, name):
    store = rc.store
    org = store.orgs.get(name)
    if org is None:
        raise ApiError(404, "not.found", "no org %s" % name)
    raw = rc.control_json({})
    try:
        client = _client_from_seed(org["id"], raw)
    except (SeedError, ValueError, TypeError, AttributeError) as err:
        raise ApiError(400, "bad.request", str(err)) from None
    if client["id"] in store.client_index:
        raise ApiError(409, "request.conflict", "client id %s already exists" % client["id"])
    org["clients"][client["id"]] = client
    store.client_index[client["id"]] = org["name"]
    store.save()
    return json_response(_public_client(client))


@ROUTES("POST", "/_emulator/tokens/expire")
async def c_tokens_expire(rc):
    data = rc.control_json({}) or {}
    org = data.get("org") if isinstance(data, dict) else None
    if org is not None and org not in rc.store.orgs:
        raise ApiError(404, "not.found", "no org %s" % org)
    return json_response({"expired": rc.store.expire_tokens(org)})
