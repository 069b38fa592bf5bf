"""A tiny SAML 2.0 test identity provider: RSA key, self-signed certificate, metadata, signed responses.

    idp = TestIdP(entity_id="https://idp.example/entity", sso_url="https://idp.example/sso")
    idp.certificate_b64            # bare base64 DER, what the Genesys API stores
    idp.metadata_xml()             # SAML 2.0 IdP metadata document
    idp.signed_response(email, org_name, audience, acs_url)   # base64 SAMLResponse for POST /saml
    idp.signed_assertion(email, org_name, audience)           # base64 assertion for the SAML2-bearer grant

CLI (demo): ``python -m genesys_emulator.saml_idp sign-in --url URL --ca CA --org ORG --email E
--cert-out FILE ...`` (see ``--help``).
"""

import argparse
import base64
import datetime
import json
import os
import sys
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
UNSPECIFIED_ATTR = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"


def _ts(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class TestIdP:
    __test__ = False  # not a pytest test class

    def __init__(self, entity_id="https://idp.test.example/entity", sso_url="https://idp.test.example/sso",
                 slo_url=None, key_size=2048, valid_days=365, not_before=None, key=None, common_name=None):
        self.entity_id = entity_id
        self.sso_url = sso_url
        self.slo_url = slo_url
        self.key = key or rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        now = datetime.datetime.now(datetime.timezone.utc)
        start = not_before or (now - datetime.timedelta(hours=1))
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name or "Test IdP signing")])
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=valid_days))
            .sign(self.key, hashes.SHA256())
        )

    # ---- certificate forms -----------------------------------------------------------------------
    @property
    def certificate_pem(self):
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def certificate_b64(self):
        return base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode("ascii")

    @property
    def key_pem(self):
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode("ascii")

    @property
    def fingerprint_sha256(self):
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    # ---- metadata --------------------------------------------------------------------------------
    def metadata_xml(self):
        root = etree.Element("{%s}EntityDescriptor" % MD, nsmap={"md": MD, "ds": DS}, entityID=self.entity_id)
        idp = etree.SubElement(root, "{%s}IDPSSODescriptor" % MD, protocolSupportEnumeration=SAMLP,
                               WantAuthnRequestsSigned="false")
        kd = etree.SubElement(idp, "{%s}KeyDescriptor" % MD, use="signing")
        ki = etree.SubElement(kd, "{%s}KeyInfo" % DS)
        xd = etree.SubElement(ki, "{%s}X509Data" % DS)
        etree.SubElement(xd, "{%s}X509Certificate" % DS).text = self.certificate_b64
        if self.slo_url:
            etree.SubElement(idp, "{%s}SingleLogoutService" % MD,
                             Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", Location=self.slo_url)
        etree.SubElement(idp, "{%s}NameIDFormat" % MD).text = EMAIL_FORMAT
        for binding in ("HTTP-Redirect", "HTTP-POST"):
            etree.SubElement(idp, "{%s}SingleSignOnService" % MD,
                             Binding="urn:oasis:names:tc:SAML:2.0:bindings:" + binding, Location=self.sso_url)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode("utf-8")

    # ---- assertions ------------------------------------------------------------------------------
    def _assertion(self, email, org_name, audience, acs_url, service_name, valid_seconds, not_before_offset,
                   issuer, extra_attributes):
        now = datetime.datetime.now(datetime.timezone.utc)
        start = now + datetime.timedelta(seconds=not_before_offset)
        end = start + datetime.timedelta(seconds=valid_seconds)
        aid = "_" + uuid.uuid4().hex
        assertion = etree.Element("{%s}Assertion" % SAML, nsmap={"saml": SAML, "xs": XS, "xsi": XSI},
                                  ID=aid, Version="2.0", IssueInstant=_ts(now))
        etree.SubElement(assertion, "{%s}Issuer" % SAML).text = issuer or self.entity_id
        etree.SubElement(assertion, "{%s}Signature" % DS, Id="placeholder", nsmap={"ds": DS})
        subject = etree.SubElement(assertion, "{%s}Subject" % SAML)
        etree.SubElement(subject, "{%s}NameID" % SAML, Format=EMAIL_FORMAT).text = email
        sc = etree.SubElement(subject, "{%s}SubjectConfirmation" % SAML,
                              Method="urn:oasis:names:tc:SAML:2.0:cm:bearer")
        scd = etree.SubElement(sc, "{%s}SubjectConfirmationData" % SAML, NotOnOrAfter=_ts(end))
        if acs_url:
            scd.set("Recipient", acs_url)
        cond = etree.SubElement(assertion, "{%s}Conditions" % SAML, NotBefore=_ts(start), NotOnOrAfter=_ts(end))
        if audience:
            ar = etree.SubElement(cond, "{%s}AudienceRestriction" % SAML)
            etree.SubElement(ar, "{%s}Audience" % SAML).text = audience
        authn = etree.SubElement(assertion, "{%s}AuthnStatement" % SAML, AuthnInstant=_ts(now),
                                 SessionIndex=aid)
        ctx = etree.SubElement(authn, "{%s}AuthnContext" % SAML)
        etree.SubElement(ctx, "{%s}AuthnContextClassRef" % SAML).text = \
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        attrs = {"email": email}
        if org_name is not None:
            attrs["OrganizationName"] = org_name
        if service_name:
            attrs["ServiceName"] = service_name
        attrs.update(extra_attributes or {})
        stmt = etree.SubElement(assertion, "{%s}AttributeStatement" % SAML)
        for name, value in attrs.items():
            attr = etree.SubElement(stmt, "{%s}Attribute" % SAML, Name=name, NameFormat=UNSPECIFIED_ATTR)
            val = etree.SubElement(attr, "{%s}AttributeValue" % SAML)
            val.set("{%s}type" % XSI, "xs:string")
            val.text = value
        return assertion, aid

    def _sign(self, element, ref_id, key=None, cert=None):
        signer = XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
        return signer.sign(element, key=key or self.key_pem, cert=cert or self.certificate_pem,
                           reference_uri="#" + ref_id)

    def assertion_element(self, email, org_name, audience=None, acs_url=None, service_name=None, valid_seconds=300,
                          not_before_offset=-5, issuer=None, extra_attributes=None, sign=True, signer=None):
        assertion, aid = self._assertion(email, org_name, audience, acs_url, service_name, valid_seconds,
                                         not_before_offset, issuer, extra_attributes)
        if not sign:
            assertion.remove(assertion.find("{%s}Signature" % DS))
            return assertion
        idp = signer or self
        return idp._sign(assertion, aid)  # pylint: disable=protected-access

    def signed_assertion(self, email, org_name, audience=None, acs_url=None, **kwargs):
        """Base64 of a signed <saml:Assertion> (the SAML2-bearer grant's ``assertion``)."""
        element = self.assertion_element(email, org_name, audience, acs_url, **kwargs)
        return base64.b64encode(etree.tostring(element)).decode("ascii")

    def signed_response(self, email, org_name, audience=None, acs_url=None, service_name=None, **kwargs):
        """Base64 ``SAMLResponse``: a <samlp:Response> holding a signed assertion (POST to the ACS)."""
        element = self.assertion_element(email, org_name, audience, acs_url, service_name=service_name, **kwargs)
        now = datetime.datetime.now(datetime.timezone.utc)
        resp = etree.Element("{%s}Response" % SAMLP, nsmap={"samlp": SAMLP, "saml": SAML},
                             ID="_" + uuid.uuid4().hex, Version="2.0", IssueInstant=_ts(now))
        if acs_url:
            resp.set("Destination", acs_url)
        etree.SubElement(resp, "{%s}Issuer" % SAML).text = kwargs.get("issuer") or self.entity_id
        status = etree.SubElement(resp, "{%s}Status" % SAMLP)
        etree.SubElement(status, "{%s}StatusCode" % SAMLP, Value="urn:oasis:names:tc:SAML:2.0:status:Success")
        resp.append(element)
        return base64.b64encode(etree.tostring(resp, xml_declaration=True, encoding="UTF-8")).decode("ascii")

    # ---- persistence for the CLI -----------------------------------------------------------------
    def save(self, directory):
        os.makedirs(directory, exist_ok=True)
        key_path = os.path.join(directory, "idp-key.pem")
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self.key_pem)
        with open(os.path.join(directory, "idp-cert.pem"), "w", encoding="ascii") as handle:
            handle.write(self.certificate_pem)
        with open(os.path.join(directory, "idp-metadata.xml"), "w", encoding="utf-8") as handle:
            handle.write(self.metadata_xml())
        with open(os.path.join(directory, "idp.json"), "w", encoding="utf-8") as handle:
            json.dump({"entity_id": self.entity_id, "sso_url": self.sso_url, "slo_url": self.slo_url}, handle)

    @classmethod
    def load(cls, directory):
        with open(os.path.join(directory, "idp.json"), encoding="utf-8") as handle:
            meta = json.load(handle)
        with open(os.path.join(directory, "idp-key.pem"), "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
        with open(os.path.join(directory, "idp-cert.pem"), "rb") as handle:
            cert = x509.load_pem_x509_certificate(handle.read())
        idp = cls.__new__(cls)
        idp.entity_id, idp.sso_url, idp.slo_url = meta["entity_id"], meta["sso_url"], meta.get("slo_url")
        idp.key, idp.certificate = key, cert
        return idp


def _cli(argv=None):
    parser = argparse.ArgumentParser(prog="python -m genesys_emulator.saml_idp",
                                     description="Test SAML IdP for the Genesys Cloud emulator demo.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    init = sub.add_parser("init", help="create a test IdP (key, certificate, metadata) in a directory")
    init.add_argument("--dir", required=True)
    init.add_argument("--entity-id", default="https://idp.test.example/entity")
    init.add_argument("--sso-url", default="https://idp.test.example/sso")
    init.add_argument("--slo-url")
    sign = sub.add_parser("sign-in", help="post a signed SAMLResponse to the emulator ACS (POST /saml)")
    sign.add_argument("--url", required=True, help="emulator URL (endpoint.json url)")
    sign.add_argument("--ca", required=True, help="emulator CA (endpoint.json ca_path)")
    sign.add_argument("--dir", required=True, help="directory written by 'init'")
    sign.add_argument("--org", required=True, help="org short name (OrganizationName attribute)")
    sign.add_argument("--email", required=True)
    sign.add_argument("--audience", help="Audience (the provider's relyingPartyIdentifier)")
    sign.add_argument("--service-name")
    args = parser.parse_args(argv)
    if args.cmd == "init":
        idp = TestIdP(entity_id=args.entity_id, sso_url=args.sso_url, slo_url=args.slo_url)
        idp.save(args.dir)
        print(json.dumps({"dir": os.path.abspath(args.dir), "entity_id": idp.entity_id, "sso_url": idp.sso_url,
                          "certificate": os.path.join(os.path.abspath(args.dir), "idp-cert.pem"),
                          "metadata": os.path.join(os.path.abspath(args.dir), "idp-metadata.xml"),
                          "fingerprint_sha256": idp.fingerprint_sha256}))
        return 0
    import requests  # only the CLI needs it
    idp = TestIdP.load(args.dir)
    acs = args.url.rstrip("/") + "/saml"
    response = idp.signed_response(args.email, args.org, audience=args.audience, acs_url=acs,
                                   service_name=args.service_name)
    resp = requests.post(acs, data={"SAMLResponse": response}, verify=args.ca, timeout=30)
    print(json.dumps({"status": resp.status_code, "body": resp.json() if resp.content else None}))
    return 0 if resp.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit(_cli())
