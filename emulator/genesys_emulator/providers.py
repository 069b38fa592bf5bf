"""Identity providers of an org: the provider repository the store owns (``store.providers``).

Every read and write of a provider goes through :class:`ProviderRepository`: ``get``, ``listing``, ``create``,
``put``, ``delete``. The repository owns what the platform variants change about them, in one place each:

- validation (``strict_fields``, the pydantic models, ``validation.validate_provider``) and what the platform
  keeps of a valid body (``dropped_fields``, ``certificate_echo``, ``fill_relying_party``): :meth:`parse`;
- the GET body's id/selfUri (``listing_ids``, ``listing_self_uri``) and the listing shape (``page_size``);
- the write bookkeeping: every write runs through :meth:`_write` (snapshot of what readers saw, the change,
  ``last_write``, ``store.save()``, the ``read_lag_s``/``listing_lag_s`` shadows), exactly once per write;
- the 30-provider limit and ``refuse_last_provider_delete``.

Records: ``org["providers"][type]`` and ``org["custom"][id]`` = ``{"id", "data", "written_at"}`` (see store.py).
Errors are raised as ``errors.ApiError`` (and validation errors as themselves); ``errors.error_parts`` maps them.
"""

import copy
import time
import uuid

from . import models
from . import variants as variants_mod
from .errors import ApiError
from .validation import certificate_bare, validate_provider

MAX_PROVIDERS = 30
BASE_URI = "/api/v2/identityproviders"


def is_type(key):
    """True for a per-type provider key (``okta``, ``purecloud``, ...); anything else is a custom provider id."""
    return key in models.PROVIDER_TYPES


def full_provider(rec, key):
    out = {"id": rec["id"]}
    out.update(rec["data"])
    if "disabled" not in out:
        out["disabled"] = False
    out["selfUri"] = BASE_URI + "/" + key
    return out


def short_provider(rec, key):
    out = {"id": rec["id"]}
    if rec["data"].get("name") is not None:
        out["name"] = rec["data"]["name"]
    out["disabled"] = rec["data"].get("disabled", False)
    out["selfUri"] = BASE_URI + "/" + key
    return out


def listing_entity(full):
    return {k: v for k, v in full.items() if k in models.SAMLProvider.model_fields}


def filled_relying_party(org):
    """fill_relying_party: the value the platform is assumed to put in an empty relyingPartyIdentifier. A guess:
    the org's regional ACS URL, which the Okta help article gives as the Audience URI ("Add Okta as a single
    sign-on provider"); no public source shows the real value."""
    from .store import REGION_DOMAINS
    return "https://login.%s/saml" % REGION_DOMAINS.get(org.get("region"), "mypurecloud.com")


def provider_count(org):
    return sum(1 for t in org["providers"] if t != "purecloud") + len(org["custom"])


def _not_found(key):
    if is_type(key):
        return ApiError(404, "not.found", "The requested %s identity provider was not found." % key)
    return ApiError(404, "not.found", "The requested identity provider was not found.", entityId=key)


def _limit_reached():
    return ApiError(400, "bad.request", "The maximum number of %d single sign-on integrations for this "
                                        "organization has been reached." % MAX_PROVIDERS)


class ProviderRepository:
    """Provider reads and writes of every org of one store, under the current platform variants."""

    def __init__(self, store):
        self.store = store
        self.variants = copy.deepcopy(variants_mod.DEFAULTS)   # set by the Emulator (its ``variants`` setter)
        self.read_shadow = {}   # (org name, provider key) -> (until, GET body or None): read_lag_s
        self.list_shadow = {}   # (org name, provider key) -> (until, listing entity or None, order): listing_lag_s

    def clear_lags(self):
        self.read_shadow = {}
        self.list_shadow = {}

    # ---- what readers see ----------------------------------------------------------------------
    def render(self, ptype, rec, key):
        """The GET body of a provider (``key``: its type, or the custom id) under the id/selfUri variants."""
        out = full_provider(rec, key)
        if ptype == "custom":
            return out
        if self.variants["listing_ids"] == "type":
            out["id"] = ptype
        out["selfUri"] = BASE_URI + "/" + (ptype if self.variants["listing_self_uri"] == "type" else out["id"])
        return out

    @staticmethod
    def record(org, key):
        """(ptype, rec) of the provider ``key`` (a type or a custom id) as stored now, or (ptype, None)."""
        if is_type(key):
            return key, org["providers"].get(key)
        return "custom", org["custom"].get(key)

    @staticmethod
    def _shadow_live(table, org, key):
        entry = table.get((org["name"], key))
        if entry is None:
            return None
        if entry[0] <= time.time():
            del table[(org["name"], key)]
            return None
        return entry

    def visible_body(self, org, key):
        """What a GET of ``key`` answers now: the previous state while read_lag_s runs, else the state."""
        entry = self._shadow_live(self.read_shadow, org, key)
        if entry is not None:
            return entry[1]
        ptype, rec = self.record(org, key)
        return None if rec is None else self.render(ptype, rec, key)

    @staticmethod
    def listing_order(org, key):
        if is_type(key):
            return (0, list(models.PROVIDER_TYPES).index(key))
        keys = list(org["custom"])
        return (1, keys.index(key) if key in keys else len(keys))

    def visible_entity(self, org, key):
        entry = self._shadow_live(self.list_shadow, org, key)
        if entry is not None:
            return entry[1]
        ptype, rec = self.record(org, key)
        return None if rec is None else listing_entity(self.render(ptype, rec, key))

    def resolve_key(self, org, key):
        """A per-type provider's uuid resolves to its type when selfUri points by id (listing_self_uri=id)."""
        if is_type(key) or key in org["custom"] or self.variants["listing_self_uri"] != "id":
            return key
        for ptype, rec in org["providers"].items():
            if rec["id"] == key:
                return ptype
        for (org_name, skey), entry in list(self.read_shadow.items()):
            if org_name == org["name"] and entry[1] is not None and entry[1].get("id") == key:
                return skey
        return key

    # ---- reads ---------------------------------------------------------------------------------
    def get(self, org, key):
        """The GET body of ``key`` (a type, a custom id, or a per-type uuid under listing_self_uri=id); 404."""
        key = self.resolve_key(org, key)
        body = self.visible_body(org, key)
        if body is None:
            raise _not_found(key)
        return body

    def existing(self, org, key):
        """The stored record of ``key``, else 404 (checked before a body is read, like the platform)."""
        _, rec = self.record(org, key)
        if rec is None:
            raise _not_found(key)
        return rec

    def listing(self, org, page_query):
        """The listing envelope of every provider of ``org`` (``page_query()``: the request's paging, read only
        when the ``page_size`` variant pages)."""
        rows = {}
        for ptype in models.PROVIDER_TYPES:
            rec = org["providers"].get(ptype)
            if rec is not None:
                rows[ptype] = (self.listing_order(org, ptype), listing_entity(self.render(ptype, rec, ptype)))
        for rec in org["custom"].values():
            rows[rec["id"]] = (self.listing_order(org, rec["id"]), listing_entity(self.render("custom", rec, rec["id"])))
        if self.list_shadow:
            for (org_name, key), entry in list(self.list_shadow.items()):
                if org_name != org["name"] or self._shadow_live(self.list_shadow, org, key) is None:
                    continue
                if entry[1] is None:
                    rows.pop(key, None)
                else:
                    rows[key] = (rows[key][0] if key in rows else entry[2], entry[1])
        entities = [row[1] for row in sorted(rows.values(), key=lambda row: row[0])]
        page_size = self.variants["page_size"]
        if not page_size:
            return models.listing(entities, BASE_URI)
        query = page_query()
        return models.paged_listing(entities, BASE_URI, min(query.get("pageSize", page_size), page_size),
                                    query.get("pageNumber", 1))

    # ---- what a write keeps --------------------------------------------------------------------
    def parse(self, ptype, data, org=None):
        """The stored form of a request body for ``ptype`` (a type or ``custom``): 400s for an invalid body."""
        model = models.CustomProvider if ptype == "custom" else models.PROVIDER_TYPES[ptype]
        if not isinstance(data, dict):
            raise ApiError(400, "bad.request", "The request body must be a JSON object.")
        if self.variants["strict_fields"]:
            unknown = [k for k in data if k not in model.model_fields]
            if unknown:
                raise ApiError(400, "invalid.property",
                               "Unrecognized field \"%s\": the %s identity provider has no such property."
                               % (str(unknown[0])[:100], ptype),
                               details=[{"errorCode": "invalid.property", "fieldName": str(k)[:100]}
                                        for k in unknown])
        written = model.model_validate(data).dump()   # pydantic errors: 400 invalid.value (errors.error_parts)
        validate_provider(ptype, written)             # validation errors: 400 with their code
        return self.platform_rewrite(ptype, written, org)

    def platform_rewrite(self, ptype, written, org):
        """What the platform keeps of a valid body under the current variants (defaults: all, verbatim)."""
        if ptype == "purecloud":
            return written
        variants = self.variants
        if ptype not in ("generic", "custom"):
            for name in variants["dropped_fields"]:
                written.pop(name, None)
        if variants["certificate_echo"] == "bare_base64":
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

    # ---- writes --------------------------------------------------------------------------------
    def create(self, org, body):
        """POST a custom provider: the full CustomProvider (a new uuid)."""
        data = self.parse("custom", body, org)
        if provider_count(org) >= MAX_PROVIDERS:
            raise _limit_reached()
        rec = {"id": str(uuid.uuid4()), "data": data, "written_at": time.time()}
        self._write(org, rec["id"], lambda: org["custom"].__setitem__(rec["id"], rec))
        return full_provider(rec, rec["id"])

    def put(self, org, key, body):
        """PUT a per-type provider (an upsert: ``{id, name, disabled, selfUri}``, identitynow the full body) or
        replace a custom one (the full CustomProvider; 404 when it does not exist)."""
        if not is_type(key):
            rec = self.existing(org, key)
            data = self.parse("custom", body, org)
            self._write(org, key, lambda: rec.update(data=data, written_at=time.time()))
            return full_provider(rec, key)
        data = self.parse(key, body, org)
        rec = org["providers"].get(key)
        if rec is None:
            if key != "purecloud" and provider_count(org) >= MAX_PROVIDERS:
                raise _limit_reached()
            rec = {"id": str(uuid.uuid4()), "data": data, "written_at": time.time()}
            self._write(org, key, lambda: org["providers"].__setitem__(key, rec))
        else:
            self._write(org, key, lambda: rec.update(data=data, written_at=time.time()))
        full = self.render(key, rec, key)
        if key == "identitynow":
            return full
        short = short_provider(rec, key)
        short["id"], short["selfUri"] = full["id"], full["selfUri"]
        return short

    def delete(self, org, key):
        """DELETE a provider: ``{}`` for a per-type one, None (204, no body) for a custom one; 404."""
        table = org["providers"] if is_type(key) else org["custom"]
        self.existing(org, key)
        self.refuse_last_delete(org, key)
        self._write(org, key, lambda: table.pop(key))
        return {} if is_type(key) else None

    def refuse_last_delete(self, org, key):
        """refuse_last_provider_delete: the help article's rule (see emulator/README.md)."""
        if not self.variants["refuse_last_provider_delete"] or key == "purecloud":
            return
        login = org["providers"].get("purecloud")
        if login is None or not login["data"].get("disabled"):
            return
        _, rec = self.record(org, key)
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

    # ---- the write bookkeeping (the one place) -------------------------------------------------
    def _write(self, org, key, change):
        """Apply ``change()`` to ``key`` of ``org`` with its bookkeeping: what readers saw before (for the lag
        shadows), the org's ``last_write`` (faults after_write / not_found_after_write_ms), the state file."""
        snapshot = self._snapshot(org, key)
        change()
        org["last_write"] = time.time()
        self.store.save()
        self._remember(org, key, snapshot)

    def _snapshot(self, org, key):
        """What readers see of ``key`` before a write (None when no lag variant is on)."""
        if not (self.variants["read_lag_s"] or self.variants["listing_lag_s"]):
            return None
        return self.visible_body(org, key), self.visible_entity(org, key), self.listing_order(org, key)

    def _remember(self, org, key, snapshot):
        if snapshot is None:
            return
        now = time.time()
        if self.variants["read_lag_s"]:
            self.read_shadow[(org["name"], key)] = (now + self.variants["read_lag_s"], snapshot[0])
        if self.variants["listing_lag_s"]:
            self.list_shadow[(org["name"], key)] = (now + self.variants["listing_lag_s"], snapshot[1], snapshot[2])
