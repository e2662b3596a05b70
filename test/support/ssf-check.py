"""A strict SSF receiver's checks of Security Event Tokens, with a JOSE library that is not
Warden's (PyJWT + cryptography): SSF 1.0 Final §4 (SET profile), RFC 8417 (SET), RFC 9493
(subject identifiers), CAEP 1.0 and RISC 1.0 payloads.

  python3 ssf-check.py check <input.json>   input: {jwks_url, issuer, audience, cafile,
                                             sets: [{jwt, expect: {event?, state?, stream_id?}}]}
  python3 ssf-check.py self-test            proves the checks refuse what they must: a SET
                                             signed here passes, and each tampered copy of it fails

Prints a JSON report {checked, passed, failures: [...]}; exits 1 when anything failed."""
import base64
import hashlib
import hmac
import json
import ssl
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

CAEP = "https://schemas.openid.net/secevent/caep/event-type/"
RISC = "https://schemas.openid.net/secevent/risc/event-type/"
SSF = "https://schemas.openid.net/secevent/ssf/event-type/"
ALGORITHMS = ["RS256", "ES256"]
CLOCK_SKEW_S = 60

INITIATING = {"admin", "user", "policy", "system"}
CREDENTIAL_TYPES = {
    "password", "pin", "x509", "fido2-platform", "fido2-roaming", "fido-u2f",
    "verifiable-credential", "phone-voice", "phone-sms", "app",
}
CHANGE_TYPES = {"create", "revoke", "update", "delete"}
RISK_LEVELS = {"LOW", "MEDIUM", "HIGH"}
PRINCIPALS = {"USER", "DEVICE", "SESSION", "TENANT", "ORG_UNIT", "GROUP"}
STATUSES = {"enabled", "paused", "disabled"}


class Refused(Exception):
    pass


def need(condition, why):
    if not condition:
        raise Refused(why)


def text(value):
    return isinstance(value, str) and value != ""


def check_language_map(value, name):
    need(isinstance(value, dict) and value, f"{name} must be an object of language tags")
    for tag, sentence in value.items():
        need(text(tag) and text(sentence), f"{name}.{tag} must be a non-empty string")


SIMPLE_MEMBERS = {
    "opaque": ["id"], "iss_sub": ["iss", "sub"], "email": ["email"],
    "phone_number": ["phone_number"], "account": ["uri"], "uri": ["uri"], "did": ["url"],
}
COMPLEX_MEMBERS = ["user", "device", "session", "application", "tenant", "org_unit", "group"]


def check_subject(subject, nested=False):
    """RFC 9493 §3 and SSF 1.0 §3.2, written apart from Warden's own validator."""
    need(isinstance(subject, dict), "sub_id must be an object")
    fmt = subject.get("format")
    need(text(fmt), "sub_id needs a format")
    if fmt in SIMPLE_MEMBERS:
        for member in SIMPLE_MEMBERS[fmt]:
            need(text(subject.get(member)), f"{fmt} subject needs {member}")
        if fmt == "email":
            need("@" in subject["email"], "email subject without an address")
        if fmt == "account":
            need(subject["uri"].startswith("acct:"), "account uri must be acct:")
        return
    need(not nested, f"{fmt} subject cannot be nested")
    if fmt == "complex":
        present = [m for m in COMPLEX_MEMBERS if m in subject]
        need(present, "complex subject needs a member")
        for member in present:
            check_subject(subject[member], nested=True)
        return
    raise Refused(f"unknown subject format {fmt}")


def check_payload(event_type, payload, expect):
    need(isinstance(payload, dict), "the event payload must be an object")
    if "event_timestamp" in payload:
        need(isinstance(payload["event_timestamp"], int), "event_timestamp must be an integer (seconds)")
    if "initiating_entity" in payload:
        need(payload["initiating_entity"] in INITIATING, "initiating_entity outside CAEP's values")
    for name in ("reason_admin", "reason_user"):
        if name in payload:
            check_language_map(payload[name], name)
    short = event_type.rsplit("/", 1)[-1]
    if event_type == CAEP + "credential-change":
        need(payload.get("credential_type") in CREDENTIAL_TYPES, "credential_type outside CAEP's values")
        need(payload.get("change_type") in CHANGE_TYPES, "change_type outside CAEP's values")
    elif event_type == CAEP + "assurance-level-change":
        need(text(payload.get("namespace")) and text(payload.get("current_level")), "namespace and current_level required")
        need(payload.get("change_direction") in (None, "increase", "decrease"), "change_direction outside CAEP's values")
    elif event_type == CAEP + "risk-level-change":
        need(payload.get("current_level") in RISK_LEVELS, "current_level outside LOW, MEDIUM, HIGH")
        need(payload.get("principal") in PRINCIPALS, "principal outside CAEP's values")
        need(text(payload.get("risk_reason")), "risk_reason required")
        if "previous_level" in payload:
            need(payload["previous_level"] in RISK_LEVELS, "previous_level outside LOW, MEDIUM, HIGH")
    elif event_type == CAEP + "token-claims-change":
        need(isinstance(payload.get("claims"), dict), "claims required")
    elif event_type == RISC + "credential-compromise":
        need(payload.get("credential_type") in CREDENTIAL_TYPES, "credential_type outside RISC's values")
    elif event_type == RISC + "account-disabled":
        need(payload.get("reason") in (None, "hijacking", "bulk-account"), "reason outside RISC's values")
    elif event_type == SSF + "verification":
        if "state" in expect:
            need(payload.get("state") == expect["state"], "state not echoed")
        else:
            need("state" not in payload or text(payload["state"]), "state must be a string")
    elif event_type == SSF + "stream-updated":
        need(payload.get("status") in STATUSES, "status outside enabled, paused, disabled")
        need("reason" not in payload or text(payload["reason"]), "reason must be a string")
    elif event_type in (CAEP + "session-revoked", RISC + "account-enabled"):
        pass
    else:
        raise Refused(f"event type {short} is not one a receiver asked for")


def verify(token, key_for, issuer, audience, expect):
    """Every check of one SET; raises Refused with the first rule it breaks."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise Refused(f"unreadable header: {error}")
    need(header.get("typ") == "secevent+jwt", "typ must be secevent+jwt (SSF 1.0 §4.1.1)")
    need(header.get("alg") in ALGORITHMS, f"alg {header.get('alg')} not allowed")
    need(text(header.get("kid")), "kid required")
    need(not ({"jku", "jwk", "x5u", "x5c"} & header.keys()), "keys named in the header are not trusted")
    key = key_for(header["kid"])
    need(key is not None, f"unknown kid {header['kid']}")
    try:
        claims = jwt.decode(
            token, key, algorithms=[header["alg"]], issuer=issuer, audience=audience,
            options={"require": ["iss", "aud", "iat", "jti"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as error:
        raise Refused(f"{type(error).__name__}: {error}")
    need("sub" not in claims, "a SET carries no sub (SSF 1.0 §4.1.2: sub_id)")
    need("exp" not in claims, "a SET carries no exp (RFC 8417 §2.2)")
    need(isinstance(claims["iat"], int) and claims["iat"] <= time.time() + CLOCK_SKEW_S, "iat in the future or not an integer")
    need(text(claims["jti"]), "jti must be a non-empty string")
    need("toe" not in claims or isinstance(claims["toe"], int), "toe must be an integer")
    need(text(claims.get("txn")), "txn required (SSF 1.0 §4.1.9)")
    events = claims.get("events")
    need(isinstance(events, dict) and len(events) == 1, "exactly one event (SSF 1.0 §4.1.8)")
    [(event_type, payload)] = events.items()
    if "event" in expect:
        need(event_type == expect["event"], f"event {event_type}, expected {expect['event']}")
    check_subject(claims.get("sub_id"))
    if event_type.startswith(SSF) and "stream_id" in expect:
        need(claims["sub_id"] == {"format": "opaque", "id": expect["stream_id"]}, "a stream event's subject is the stream")
    check_payload(event_type, payload, expect)
    return claims


def run(cases):
    report = {"checked": 0, "passed": 0, "failures": []}
    for name, attempt, should_pass in cases:
        report["checked"] += 1
        try:
            attempt()
            ok = should_pass
            why = "accepted although tampered"
        except Refused as error:
            ok = not should_pass
            why = str(error)
        if ok:
            report["passed"] += 1
        else:
            report["failures"].append({"case": name, "why": why})
    return report


def check(path):
    with open(path, encoding="utf-8") as handle:
        given = json.load(handle)
    context = ssl.create_default_context(cafile=given["cafile"])
    need(given["jwks_url"].startswith("https://"), "the JWKS must be fetched over https")
    client = jwt.PyJWKClient(given["jwks_url"], ssl_context=context, cache_keys=True)

    def key_for(kid):
        try:
            return client.get_signing_key(kid).key
        except jwt.PyJWKClientError:
            return None

    seen = set()

    def one(entry):
        claims = verify(entry["jwt"], key_for, given["issuer"], given["audience"], entry.get("expect", {}))
        need(claims["jti"] not in seen, "jti repeated")
        seen.add(claims["jti"])

    return run([(f"set {i}", (lambda e=e: one(e)), True) for i, e in enumerate(given["sets"])])


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def self_test():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key()
    public_pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    issuer, audience = "https://transmitter.example", "https://receiver.example"
    base = {
        "iss": issuer, "aud": audience, "iat": int(time.time()), "jti": "j1", "txn": "t1",
        "sub_id": {"format": "iss_sub", "iss": issuer + "/tenants/acme", "sub": "bot"},
        "events": {CAEP + "risk-level-change": {"principal": "USER", "current_level": "HIGH", "risk_reason": "loop"}},
    }
    header = {"typ": "secevent+jwt", "kid": "k1"}

    def sign(claims=None, **extra_header):
        return jwt.encode(claims or base, private, algorithm="RS256", headers={**header, **extra_header})

    def with_claims(**changes):
        return sign({**base, **changes})

    def key_for(kid):
        return public if kid == "k1" else None

    good = sign()
    head, body, signature = good.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0x01
    hs_head = b64(json.dumps({"alg": "HS256", "typ": "secevent+jwt", "kid": "k1"}).encode())
    hs_mac = hmac.new(public_pem, f"{hs_head}.{body}".encode(), hashlib.sha256).digest()
    none_head = b64(json.dumps({"alg": "none", "typ": "secevent+jwt", "kid": "k1"}).encode())
    two_events = {**base["events"], RISC + "account-disabled": {}}

    def attempt(token, iss=issuer, aud=audience, expect=None):
        return lambda: verify(token, key_for, iss, aud, expect or {})

    cases = [
        ("untampered", attempt(good), True),
        ("flipped signature byte", attempt(f"{head}.{body}.{b64(bytes(raw))}"), False),
        ("unknown kid", attempt(sign(kid="k2")), False),
        ("alg none", attempt(f"{none_head}.{body}."), False),
        ("HS256 keyed with the public key", attempt(f"{hs_head}.{body}.{b64(hs_mac)}"), False),
        ("wrong iss", attempt(good, iss="https://other.example"), False),
        ("wrong aud", attempt(good, aud="https://other.example"), False),
        ("added exp", attempt(with_claims(exp=int(time.time()) + 60)), False),
        ("added sub", attempt(with_claims(sub="bot")), False),
        ("two events", attempt(with_claims(events=two_events)), False),
        ("iat in the future", attempt(with_claims(iat=int(time.time()) + 3600)), False),
        ("no txn", attempt(sign({k: v for k, v in base.items() if k != "txn"})), False),
        ("email subject without email", attempt(with_claims(sub_id={"format": "email"})), False),
        ("typ jwt", attempt(sign(typ="JWT")), False),
        ("risk level outside CAEP", attempt(with_claims(events={CAEP + "risk-level-change": {"principal": "USER", "current_level": "CRITICAL", "risk_reason": "x"}})), False),
        ("state not echoed", attempt(with_claims(events={SSF + "verification": {"state": "b"}}), expect={"state": "a"}), False),
    ]
    return run(cases)


def main():
    if sys.argv[1:2] == ["self-test"]:
        report = self_test()
    elif sys.argv[1:2] == ["check"] and len(sys.argv) == 3:
        report = check(sys.argv[2])
    else:
        sys.exit(__doc__)
    print(json.dumps(report))
    sys.exit(0 if not report["failures"] and report["checked"] > 0 else 1)


if __name__ == "__main__":
    main()
