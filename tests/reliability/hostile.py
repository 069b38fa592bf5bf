"""Hypothesis strategies of hostile option values: each value drawn here is invalid for its kind of option."""

import base64
import textwrap

from hypothesis import strategies as st

from genesys_devkit.certs import make_certificate  # conftest puts devkit/ on sys.path

_CERT = make_certificate("hostile.example")
_CERT_PEM, _KEY_PEM, _CERT_B64 = _CERT.pem, _CERT.key_pem, _CERT.b64

UNICODE_JUNK = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)

HUGE = st.sampled_from([n * "A" for n in (70000, 600000)])


def _csr_pem():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "csr.example")])).sign(key, hashes.SHA256()))
    pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return csr.public_bytes(serialization.Encoding.PEM).decode(), pub.decode()


_CSR_PEM, _PUB_PEM = _csr_pem()


# -- URLs that must be refused (the API requires https; metadata must come over verified https) -----------------
def bad_urls(allow_empty=True):
    """Values an https URL option must refuse; ``allow_empty=False`` for options where "" means "not set"."""
    fixed = st.sampled_from(([""] if allow_empty else []) + [
        "http://idp.example.com/sso", "HTTP://idp.example.com/sso", "ftp://idp.example.com/sso",
        "file:///etc/passwd", "javascript:alert(1)", "https://", "https:///no-host", "//idp.example.com/sso",
        "idp.example.com/sso", "https://idp.exa mple.com/sso", "https://idp.example.com/\r\nX-Injected: 1",
        "ldap://idp.example.com", "data:text/html,<b>x</b>", "gopher://127.0.0.1:25/",
    ])
    scheme = st.sampled_from(["http", "ftp", "ws", "file", "gopher", "httpx", "s3"])
    host = st.from_regex(r"[a-z]{1,12}\.[a-z]{2,5}", fullmatch=True)
    built = st.builds(lambda s, h: "%s://%s/sso" % (s, h), scheme, host)
    return st.one_of(fixed, built, UNICODE_JUNK.filter(lambda t: "https://" not in t.lower()),
                     HUGE.map(lambda a: "http://" + a))


# -- URLs that are not even well-formed (issue 13, D13): urlparse raises, or a space/NUL/line break is inside ------
MALFORMED_URLS = [
    "https://[::1/metadata.xml", "https://[zz]/metadata.xml", "https://idp.example.com:99999/metadata.xml",
    "https://idp.example.com:ab/metadata.xml", "https://idp.exa mple.com/metadata.xml",
    "https://idp.example.com/meta\x00data.xml", "https://idp.example.com/\r\nX-Injected: 1",
    "https://user:hunter2-metadata-pw@[::1/metadata.xml", "javascript:alert(1)", "data:text/xml,<x/>",
]


def malformed_urls():
    """Well-formedness problems an https URL option must refuse cleanly (never an unhandled exception)."""
    return st.sampled_from(MALFORMED_URLS)


# -- strings with a control character somewhere (NUL, line breaks, ESC, DEL, C1, U+2028) (issue 13, D13) -----------
CONTROL_CHARS = ["\x00", "\n", "\r", "\r\n", "\t", "\x1b", "\x07", "\x7f", "\x85", "\u2028"]


def control_strings():
    """A plausible value (a name, an entity id) with one control character inserted at a random place."""
    plain = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABC0123456789:/.-", min_size=1, max_size=30)
    return st.builds(lambda text, pos, ch: text[:pos % (len(text) + 1)] + ch + text[pos % (len(text) + 1):],
                     plain, st.integers(min_value=0, max_value=40), st.sampled_from(CONTROL_CHARS))


# -- provider ids that would change the request path (issue 13, B4) -------------------------------------------------
HOSTILE_IDS = ["../tokens/me", "../organizations/me", "../oauth/clients/rel-aux-bot1", "..", "%2e%2e%2ftokens%2fme",
               "okta/../../tokens/me", "a?b=1", "a#b", "a b", "id\x00", "\u043ekta", "x" * 65, "a\\b", "a.b"]


def hostile_ids():
    """Provider ids outside the platform's alphabet (letters, digits, '-'; at most 64 characters)."""
    built = st.builds(lambda a, sep, b: a + sep + b, st.from_regex(r"[a-z0-9-]{0,8}", fullmatch=True),
                      st.sampled_from(["/", "..", "/../", "%2F", "?", "#", " ", "\x00", "\n", "\\", ";", "@"]),
                      st.from_regex(r"[a-z0-9/-]{0,8}", fullmatch=True))
    return st.one_of(st.sampled_from(HOSTILE_IDS), built)


# -- certificates that are truncated, of the wrong kind, or not certificates at all --------------------------------
def bad_certificates():
    def truncate(frac):
        body = _CERT_B64
        cut = max(8, int(len(body) * frac))
        return "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % "\n".join(textwrap.wrap(body[:cut], 64))

    def corrupt(pos):
        body = list(_CERT_B64)
        i = 20 + pos % (len(body) - 40)
        body[i] = "A" if body[i] != "A" else "B"
        body[i + 1] = "!"
        return "".join(body)

    fixed = st.sampled_from([
        "", " ", "not a certificate", _KEY_PEM, _CSR_PEM, _PUB_PEM,
        _CERT_PEM.replace("BEGIN CERTIFICATE", "BEGIN X509 CRL").replace("END CERTIFICATE", "END X509 CRL"),
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        base64.b64encode(b"\x30\x82\x01\x00" + b"\x00" * 40).decode(),
        "-----BEGIN PKCS7-----\nMIIBBgYJKoZIhvcNAQcCoIH4MIH1AgEBMQA=\n-----END PKCS7-----\n",
        "<?xml version='1.0'?><x/>",
    ])
    return st.one_of(
        fixed,
        st.floats(min_value=0.05, max_value=0.9).map(truncate),
        st.integers(min_value=0, max_value=10000).map(corrupt),
        st.binary(min_size=4, max_size=200).map(lambda b: base64.b64encode(b).decode()),
        UNICODE_JUNK,
        HUGE,
    )


# -- IdP metadata that must be refused (XML bombs, external entities, not metadata) --------------------------------
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol9;">
 <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/>
 </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


def _metadata(entity_id='https://idp.example.com/entity', doctype="", cert=_CERT_B64):
    return """<?xml version="1.0"?>%s
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    entityID="%s">
 <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate>
  </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
  <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/>
 </md:IDPSSODescriptor>
</md:EntityDescriptor>
""" % (doctype, entity_id, cert)


VALID_METADATA = _metadata()

XXE_FILE = _metadata("&xxe;", '\n<!DOCTYPE md [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
XXE_NET = _metadata("&xxe;", '\n<!DOCTYPE md [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/evil">]>')
XXE_PARAM = _metadata("x", '\n<!DOCTYPE md [<!ENTITY % p SYSTEM "file:///etc/hostname"> %p;]>')
EXTERNAL_DTD = _metadata("x", '\n<!DOCTYPE md SYSTEM "http://127.0.0.1:9/evil.dtd">')
QUADRATIC = _metadata("&a;" * 2000, '\n<!DOCTYPE md [<!ENTITY a "%s">]>' % ("B" * 5000))
INTERNAL_ENTITY = _metadata("&e;", '\n<!DOCTYPE md [<!ENTITY e "https://idp.example.com/entity">]>')


def bad_metadata():
    fixed = st.sampled_from([
        BILLION_LAUGHS, XXE_FILE, XXE_NET, XXE_PARAM, EXTERNAL_DTD, QUADRATIC, INTERNAL_ENTITY,
        "", " ", "not xml at all", "<xml", "<?xml version='1.0'?><root/>",
        _metadata(cert="!!!not-base64!!!"),
        VALID_METADATA.replace("IDPSSODescriptor", "SPSSODescriptor"),
        VALID_METADATA.replace("https://idp.example.com/sso", "http://idp.example.com/sso"),
    ])
    truncated = st.integers(min_value=10, max_value=len(VALID_METADATA) - 30).map(lambda n: VALID_METADATA[:n])
    return st.one_of(fixed, truncated, UNICODE_JUNK.filter(lambda t: "<" not in t))


# -- type names ------------------------------------------------------------------------------------------------
KNOWN_TYPES = {"adfs", "cic", "generic", "gsuite", "identitynow", "okta", "onelogin", "ping", "purecloud",
               "pureengage", "salesforce", "custom"}


def bad_type_names():
    fixed = st.sampled_from(["", " ", "okta/../oauth/clients", "../okta", "okta;rm -rf", "\u043ekta",  # Cyrillic o
                             "saml", "azure", "entra", "okta\x00", "%2e%2e/okta", "providers", "None"])
    return st.one_of(fixed, st.text(min_size=1, max_size=30).filter(lambda t: t.strip().lower() not in KNOWN_TYPES),
                     HUGE)


# -- wrong types by option type -----------------------------------------------------------------------------------
def wrong_type_for(opt_type):
    """Values ArgumentSpecValidator cannot coerce into ``opt_type`` (it coerces a lot: see ansible docs)."""
    if opt_type == "bool":
        return st.sampled_from(["maybe", "2", [True], {"a": 1}, "yes please", 3.5, "", "\u00e9"])
    if opt_type == "int":
        return st.one_of(st.sampled_from(["abc", "", [1], {"a": 1}, "1.5e", "0x1G", 1.5]),
                         st.from_regex(r"[a-z]{1,8}", fullmatch=True))
    if opt_type == "float":
        return st.sampled_from(["abc", "", [1.0], {"a": 1}, "1,5", "ten"])
    if opt_type == "list":
        return st.sampled_from([{"a": 1}, {"k": [1, 2]}])
    if opt_type == "dict":
        return st.sampled_from(["not a dict", [1, 2], 5, "a", "{broken"])
    return None
