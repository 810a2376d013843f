#!/usr/bin/python3
# Independent JWT verifier for tests/attestd/test-interop.c (Debian python3-jwcrypto).
#   jwcrypto-ear.py JWKS.json   stdin: EAR token; checks ES384 with the key named by
#                               kid and exp/iat at the current time; stdout: the claims
import json
import sys

from jwcrypto import jwk, jwt


def main():
    with open(sys.argv[1]) as f:
        keys = jwk.JWKSet.from_json(f.read())
    token = sys.stdin.read().strip()
    t = jwt.JWT(jwt=token, key=keys, algs=["ES384"], check_claims={"exp": None})
    hdr = json.loads(t.header)
    if hdr.get("alg") != "ES384" or "kid" not in hdr:
        print("unexpected header: %r" % hdr, file=sys.stderr)
        return 1
    sys.stdout.write(t.claims)
    return 0


sys.exit(main())
