"""Platform variants: the behaviours of the real Genesys Cloud that no public source settles, one key each.

Defaults are the emulator's historical behaviour (every existing test relies on them). The format of a
variant file (``--variant-file``) and of ``POST /_emulator/variants`` is the flat mapping ``{key: value}`` of
the keys below and nothing else, so a platform probe report can be fed back as it is. See emulator/README.md
("Platform variants") for the evidence behind each key.
"""

import copy
import json

import yaml

from .models import SAMLProvider

DEFAULTS = {
    "read_lag_s": 0.0,
    "listing_lag_s": 0.0,
    "listing_ids": "uuid",
    "listing_self_uri": "type",
    "page_size": 0,
    "certificate_echo": "verbatim",
    "fill_relying_party": False,
    "dropped_fields": [],
    "strict_fields": False,
    "refuse_last_provider_delete": False,
    # RSA-SHA1 / SHA-1 digests in SAML responses (saml.sha1_policy): null = GENESYS_EMULATOR_SAML_SHA1 or accept
    "saml_sha1": None,
}

PESSIMISTIC_DROPPED = ["ssoBinding", "providerName", "displayOnLogin", "metadataURL", "forceAuthn",
                       "logoImageData", "nameIdentifierFormat"]

PROFILES = {
    "default": {},
    "pessimistic": {
        "read_lag_s": 120.0,
        "listing_lag_s": 60.0,
        "listing_ids": "uuid",
        "listing_self_uri": "id",
        "page_size": 25,
        "certificate_echo": "bare_base64",
        "fill_relying_party": True,
        "dropped_fields": PESSIMISTIC_DROPPED,
        "strict_fields": True,
        "refuse_last_provider_delete": True,
    },
}

MAX_LAG_S = 3600.0
MAX_PAGE_SIZE = 500
CHOICES = {
    "listing_ids": ("uuid", "type"),
    "listing_self_uri": ("type", "id"),
    "certificate_echo": ("verbatim", "bare_base64"),
}
# fields a platform could plausibly drop (never the read-only id/selfUri)
DROPPABLE = tuple(f for f in SAMLProvider.model_fields if f not in ("id", "selfUri"))


class VariantError(ValueError):
    pass


def _bool(key, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0"):
        return False
    raise VariantError("variant %s must be true or false, got %r" % (key, value))


def _lag(key, value):
    if isinstance(value, bool):
        raise VariantError("variant %s must be a number of seconds (0..%d), got %r" % (key, MAX_LAG_S, value))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise VariantError("variant %s must be a number of seconds (0..%d), got %r"
                           % (key, MAX_LAG_S, value)) from None
    if not 0 <= number <= MAX_LAG_S:
        raise VariantError("variant %s must be within 0..%d seconds, got %r" % (key, MAX_LAG_S, value))
    return number


def _page_size(value):
    if value is None:
        return 0
    if isinstance(value, bool):
        raise VariantError("variant page_size must be an integer (0 = unpaged, or 1..%d), got %r"
                           % (MAX_PAGE_SIZE, value))
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 0 <= value <= MAX_PAGE_SIZE:
        raise VariantError("variant page_size must be an integer (0 = unpaged, or 1..%d), got %r"
                           % (MAX_PAGE_SIZE, value))
    return value


def _fields(value):
    if value is None:
        return []
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise VariantError("variant dropped_fields must be a list of API field names, got %r" % (value,))
    unknown = [v for v in value if v not in DROPPABLE]
    if unknown:
        raise VariantError("variant dropped_fields: unknown API field(s) %s; use any of %s"
                           % (", ".join(unknown), ", ".join(DROPPABLE)))
    out = []
    for name in value:
        if name not in out:
            out.append(name)
    return out


def normalize(key, value):
    """The validated value of one key. Raises VariantError naming the key, the cause and the fix."""
    if key not in DEFAULTS:
        raise VariantError("unknown variant %r; known variants: %s" % (key, ", ".join(DEFAULTS)))
    if key in ("read_lag_s", "listing_lag_s"):
        return _lag(key, value)
    if key in CHOICES:
        if value not in CHOICES[key]:
            raise VariantError("variant %s must be one of %s, got %r" % (key, " | ".join(CHOICES[key]), value))
        return value
    if key == "page_size":
        return _page_size(value)
    if key == "dropped_fields":
        return _fields(value)
    if key == "saml_sha1":
        if value in (None, ""):
            return None
        if str(value).strip().lower() not in ("accept", "refuse"):
            raise VariantError("variant saml_sha1 must be accept | refuse (or null for the default), got %r" % (value,))
        return str(value).strip().lower()
    return _bool(key, value)


def merge(base, changes):
    """``base`` (an effective mapping) updated with ``changes`` (a partial mapping), validated."""
    if not isinstance(changes, dict):
        raise VariantError("variants must be a mapping {key: value} of %s" % ", ".join(DEFAULTS))
    out = copy.deepcopy(base)
    for key, value in changes.items():
        out[key] = normalize(str(key), value)
    return out


def profile(name):
    if name not in PROFILES:
        raise VariantError("unknown variant profile %r; known profiles: %s" % (name, ", ".join(PROFILES)))
    return merge(DEFAULTS, PROFILES[name])


def parse_assignment(text):
    """``KEY=VALUE`` from the command line; VALUE is read as YAML (numbers, booleans, ``[a, b]``)."""
    if "=" not in text:
        raise VariantError("--variant takes KEY=VALUE (e.g. read_lag_s=2), got %r" % text)
    key, raw = text.split("=", 1)
    key = key.strip()
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if key == "dropped_fields" and value == "":
        value = []
    return key, value


def load_file(path):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            text = handle.read()
    except OSError as err:
        raise VariantError("--variant-file %s cannot be read: %s" % (path, err)) from None
    try:
        data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as err:
        raise VariantError("--variant-file %s is not valid %s: %s"
                           % (path, "JSON" if path.endswith(".json") else "YAML", err)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise VariantError("--variant-file %s must hold a flat mapping {key: value} of %s"
                           % (path, ", ".join(DEFAULTS)))
    if isinstance(data.get("variants"), dict) and not any(k in DEFAULTS for k in data):
        # a probe-report.json of playbooks/probe_platform.yml: its "variants" mapping is this file's format
        return data["variants"]
    return data


def from_options(profile_name=None, files=(), assignments=()):
    """The effective mapping: the profile, then each file, then each KEY=VALUE (later wins)."""
    effective = profile(profile_name or "default")
    for path in files or ():
        try:
            effective = merge(effective, load_file(path))
        except VariantError as err:
            raise VariantError("--variant-file %s: %s" % (path, err) if not str(err).startswith("--variant-file")
                               else str(err)) from None
    for text in assignments or ():
        key, value = parse_assignment(text)
        effective = merge(effective, {key: value})
    return effective
