"""An SSF receiver's checks, done with PyJWT (not our JOSE library): fetch the JWKS over HTTP,
pick the key by kid, verify RS256 and typ, iss, aud, and the SET shape SSF 1.0 asks for.
Usage: python3 ssf-verify.py <jwks_url> <issuer> <audience> < set.jwt ; prints the claims as JSON."""
import json
import sys

import jwt

jwks_url, issuer, audience = sys.argv[1:4]
token = sys.stdin.read().strip()
header = jwt.get_unverified_header(token)
if header.get("typ") != "secevent+jwt":
    sys.exit(f"typ is {header.get('typ')!r}, not secevent+jwt")
if header.get("alg") != "RS256" or "kid" not in header:
    sys.exit(f"alg/kid wrong: {header!r}")
key = jwt.PyJWKClient(jwks_url).get_signing_key(header["kid"])
claims = jwt.decode(
    token,
    key.key,
    algorithms=["RS256"],
    issuer=issuer,
    audience=audience,
    options={"require": ["iss", "iat", "jti", "aud"], "verify_exp": False},
)
if "sub" in claims or "exp" in claims:
    sys.exit("a SET must carry neither sub nor exp")
events = claims.get("events")
if not isinstance(events, dict) or len(events) != 1:
    sys.exit(f"events must hold exactly one event: {events!r}")
subject = claims.get("sub_id")
if not isinstance(subject, dict) or subject.get("format") not in ("opaque", "iss_sub", "complex"):
    sys.exit(f"sub_id is not an RFC 9493 subject: {subject!r}")
print(json.dumps({"header": header, "claims": claims}))
