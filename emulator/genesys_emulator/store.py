"""In-memory state: orgs, OAuth clients, users, providers, tokens, rate-limit windows; seed and state file.

Provider reads and writes go through ``Store.providers`` (providers.ProviderRepository), never the org dicts.
"""

import copy
import json
import os
import secrets
import time
import uuid

import yaml

ID_NAMESPACE = uuid.UUID("0b8d6c3e-6a52-4d1e-9a55-2f1c5e6e0a11")

REGION_DOMAINS = {
    "us-east-1": "mypurecloud.com", "us-east-2": "use2.us-gov-pure.cloud", "us-west-2": "usw2.pure.cloud",
    "ca-central-1": "cac1.pure.cloud", "sa-east-1": "sae1.pure.cloud", "eu-west-1": "mypurecloud.ie",
    "eu-west-2": "euw2.pure.cloud", "eu-central-1": "mypurecloud.de", "eu-central-2": "euc2.pure.cloud",
    "me-central-1": "mec1.pure.cloud", "ap-south-1": "aps1.pure.cloud", "ap-northeast-1": "mypurecloud.jp",
    "ap-northeast-2": "apne2.pure.cloud", "ap-northeast-3": "apne3.pure.cloud",
    "ap-southeast-2": "mypurecloud.com.au", "ap-southeast-1": "apse1.pure.cloud",
    "mx-central-1": "mxc1.pure.cloud", "eusc-de-east-1": "edee1.eusc-pure.cloud",
}

GRANT_TYPES = ("CLIENT-CREDENTIALS", "PASSWORD", "SAML2-BEARER", "CODE", "TOKEN")
CLIENT_STATES = ("active", "disabled", "inactive")
SEED_EPOCH = "2024-01-01T00:00:00.000Z"


class SeedError(ValueError):
    pass


_ISO_CACHE = [None, ""]


def now_iso():
    """UTC time as ``2026-01-02T03:04:05.678Z`` (the seconds part formatted once per second)."""
    now = time.time()
    sec = int(now)
    if _ISO_CACHE[0] != sec:
        _ISO_CACHE[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
        _ISO_CACHE[0] = sec
    return "%s.%03dZ" % (_ISO_CACHE[1], int((now - sec) * 1000))


def stable_id(*parts):
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(parts)))


def load_seed_file(path):
    with open(path, "r", encoding="utf-8") as handle:
        text = handle.read()
    if path.endswith(".json"):
        return json.loads(text)
    return yaml.safe_load(text) or {}


def _client_from_seed(org_id, raw):
    if not isinstance(raw, dict) or not raw.get("id"):
        raise SeedError("every client needs an id")
    grant = str(raw.get("grant_type", raw.get("authorizedGrantType", "CLIENT-CREDENTIALS"))).upper()
    if grant not in GRANT_TYPES:
        raise SeedError("client %s: grant_type must be one of %s" % (raw["id"], ", ".join(GRANT_TYPES)))
    state = raw.get("state", "active")
    if state not in CLIENT_STATES:
        raise SeedError("client %s: state must be one of %s" % (raw["id"], ", ".join(CLIENT_STATES)))
    roles = []
    for role in raw.get("roles") or []:
        roles.append({
            "id": str(role.get("id") or stable_id(org_id, "role", str(role.get("name")))),
            "name": role.get("name"),
            "division_id": str(role.get("division_id", role.get("divisionId", "*"))),
        })
    return {
        "id": str(raw["id"]),
        "secret": str(raw.get("secret", "")),
        "name": raw.get("name") or str(raw["id"]),
        "description": raw.get("description"),
        "grant_type": grant,
        "state": state,
        "permissions": list(raw.get("permissions") or []),
        "roles": roles,
        "scope": list(raw.get("scope") or []),
        "access_token_validity_seconds": int(raw.get("access_token_validity_seconds",
                                                     raw.get("accessTokenValiditySeconds", 86400))),
        "date_created": raw.get("date_created") or SEED_EPOCH,
        "date_modified": raw.get("date_modified") or SEED_EPOCH,
    }


def _provider_record(org_id, key, data, pid=None):
    data = dict(data or {})
    data.pop("selfUri", None)
    pid = pid or data.pop("id", None) or stable_id(org_id, "provider", key)
    data.pop("id", None)
    return {"id": str(pid), "data": data, "written_at": 0.0}


def org_from_seed(raw):
    if not isinstance(raw, dict) or not raw.get("name"):
        raise SeedError("every org needs a name")
    name = str(raw["name"])
    org_id = str(raw.get("id") or stable_id("org", name))
    org = {
        "name": name,
        "id": org_id,
        "display_name": raw.get("display_name") or name,
        "region": raw.get("region") or "us-east-1",
        "clients": {},
        "users": {},
        "providers": {},   # type -> record
        "custom": {},      # id -> record (ordered by creation)
        "last_write": 0.0,
    }
    for client in raw.get("clients") or []:
        rec = _client_from_seed(org_id, client)
        org["clients"][rec["id"]] = rec
    for user in raw.get("users") or []:
        if not user.get("email"):
            raise SeedError("org %s: every user needs an email" % name)
        org["users"][str(user["email"]).lower()] = {"email": str(user["email"]), "password": str(user.get("password", ""))}
    providers = raw.get("providers") or {}
    from .models import PROVIDER_TYPES  # local import keeps store importable alone
    for ptype, pdata in providers.items():
        if ptype == "custom":
            for idx, item in enumerate(pdata or []):
                rec = _provider_record(org_id, "custom-%d" % idx, item)
                org["custom"][rec["id"]] = rec
        elif ptype in PROVIDER_TYPES:
            allowed = PROVIDER_TYPES[ptype].model_fields
            rec = _provider_record(org_id, ptype, {k: v for k, v in (pdata or {}).items() if k in allowed})
            org["providers"][ptype] = rec
        else:
            raise SeedError("org %s: unknown provider type %r" % (name, ptype))
    return org


def orgs_from_seed(seed):
    if not isinstance(seed, dict):
        raise SeedError("the seed must be a mapping with an 'orgs' list")
    orgs = {}
    for raw in seed.get("orgs") or []:
        org = org_from_seed(raw)
        if org["name"] in orgs:
            raise SeedError("duplicate org name %s" % org["name"])
        orgs[org["name"]] = org
    gen = seed.get("generate")
    if gen:
        count = int(gen.get("count", 0))
        prefix = gen.get("prefix", "org")
        perms = gen.get("permissions", ["*"])
        width = max(4, len(str(count)))
        for i in range(1, count + 1):
            name = "%s-%0*d" % (prefix, width, i)
            if name in orgs:
                continue
            orgs[name] = org_from_seed({
                "name": name,
                "clients": [{"id": name + "-admin", "secret": name + "-secret", "name": "SSO automation",
                             "permissions": perms}],
            })
    return orgs


class Store:
    """All mutable emulator state. Only touched from the event loop thread, so no locking is needed."""

    def __init__(self, seed=None, state_file=None, rate_limit=300, token_rate_limit=300):
        self.seed = seed or {}
        self.state_file = state_file
        self.rate_limit = rate_limit
        self.token_rate_limit = token_rate_limit
        self.initial_orgs = orgs_from_seed(self.seed)
        self.orgs = None
        self.client_index = {}
        self.tokens = {}
        self.windows = {}
        from .providers import ProviderRepository  # local import: providers.py reads REGION_DOMAINS from here
        self.providers = ProviderRepository(self)   # every provider read/write (and its bookkeeping) goes here
        self.reset(load_state_file=True)

    # ---- lifecycle -------------------------------------------------------------------------------
    def reset(self, load_state_file=False):
        orgs = None
        if load_state_file and self.state_file and os.path.exists(self.state_file):
            with open(self.state_file, "r", encoding="utf-8") as handle:
                orgs = json.load(handle)["orgs"]
        self.orgs = orgs if orgs is not None else copy.deepcopy(self.initial_orgs)
        self.tokens = {}
        self.windows = {}
        self.providers.clear_lags()
        self._reindex()
        if not load_state_file:
            self.save()

    def _reindex(self):
        self.client_index = {}
        for org in self.orgs.values():
            for cid in org["clients"]:
                self.client_index[cid] = org["name"]

    def save(self):
        if not self.state_file:
            return
        tmp = self.state_file + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"orgs": self.orgs}, handle)
        os.replace(tmp, self.state_file)

    def add_orgs(self, raw_orgs):
        added = []
        for raw in raw_orgs:
            org = org_from_seed(raw)
            if org["name"] in self.orgs:
                raise SeedError("org %s already exists" % org["name"])
            for cid in org["clients"]:
                if cid in self.client_index:
                    raise SeedError("client id %s already exists" % cid)
            self.orgs[org["name"]] = org
            added.append(org["name"])
        self._reindex()
        self.save()
        return added

    # ---- lookups ---------------------------------------------------------------------------------
    def client(self, client_id):
        org_name = self.client_index.get(client_id)
        if org_name is None:
            return None, None
        org = self.orgs[org_name]
        return org, org["clients"][client_id]

    # ---- tokens ----------------------------------------------------------------------------------
    def issue_token(self, org, client, user=None):
        token = secrets.token_urlsafe(32)
        ttl = client["access_token_validity_seconds"]
        self.tokens[token] = {"org": org["name"], "client": client["id"], "user": user,
                              "expires": time.time() + ttl, "issued": time.time()}
        if len(self.tokens) > 200000:  # bounded: drop the oldest expired ones
            now = time.time()
            for key in [k for k, v in self.tokens.items() if v["expires"] < now][:100000]:
                del self.tokens[key]
        return token, ttl

    def token_info(self, token):
        """(org, client, record) for a live token, else None."""
        rec = self.tokens.get(token)
        if rec is None or rec["expires"] <= time.time():
            return None
        org = self.orgs.get(rec["org"])
        if org is None:
            return None
        client = org["clients"].get(rec["client"])
        if client is None or client["state"] != "active":
            return None
        return org, client, rec

    def revoke(self, token):
        self.tokens.pop(token, None)

    def expire_tokens(self, org_name=None):
        count = 0
        now = time.time()
        for rec in self.tokens.values():
            if org_name is None or rec["org"] == org_name:
                if rec["expires"] > now:
                    count += 1
                rec["expires"] = now - 1
        return count

    # ---- rate limiting (fixed 60 s windows) ------------------------------------------------------
    def hit(self, key, limit):
        """Count one request for ``key``. Returns (allowed, count, reset_seconds, limit)."""
        now = time.time()
        win = self.windows.get(key)
        if win is None or now >= win[0] + 60:
            win = [now, 0]
            self.windows[key] = win
            if len(self.windows) > 100000:
                for k in [k for k, v in self.windows.items() if now >= v[0] + 60]:
                    del self.windows[k]
                self.windows[key] = win
        win[1] += 1
        reset = max(1, int(round(win[0] + 60 - now)))
        return win[1] <= limit, win[1], reset, limit

    # ---- state dump ------------------------------------------------------------------------------
    def dump(self):
        out = []
        now = time.time()
        live = {}
        for rec in self.tokens.values():
            if rec["expires"] > now:
                live[rec["org"]] = live.get(rec["org"], 0) + 1
        for org in self.orgs.values():
            clients = []
            for c in org["clients"].values():
                item = {k: v for k, v in c.items() if k != "secret"}
                item["secret"] = "***"
                clients.append(item)
            out.append({
                "name": org["name"], "id": org["id"], "display_name": org["display_name"], "region": org["region"],
                "clients": clients,
                "users": [{"email": u["email"], "password": "***"} for u in org["users"].values()],
                "providers": {t: dict(r["data"], id=r["id"]) for t, r in org["providers"].items()},
                "custom": [dict(r["data"], id=r["id"]) for r in org["custom"].values()],
                "live_tokens": live.get(org["name"], 0),
            })
        return {"orgs": out}
