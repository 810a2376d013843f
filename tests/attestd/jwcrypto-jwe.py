#!/usr/bin/python3
# Independent JWE implementation for tests/attestd/test-interop.c
# (Debian python3-jwcrypto).
#   jwcrypto-jwe.py check             exit 0 if jwcrypto imports
#   jwcrypto-jwe.py encrypt PUB.jwk   stdin: plaintext; stdout: flattened JWE
#                                     (ECDH-ES+A256KW for EC, RSA-OAEP-256 for RSA; A256GCM)
#   jwcrypto-jwe.py decrypt PRIV.jwk  stdin: JWE; stdout: plaintext as hex
import sys

from jwcrypto import jwe, jwk
from jwcrypto.common import json_encode


def main():
    if sys.argv[1] == "check":
        return 0
    with open(sys.argv[2]) as f:
        key = jwk.JWK.from_json(f.read())
    data = sys.stdin.buffer.read()
    if sys.argv[1] == "encrypt":
        alg = "ECDH-ES+A256KW" if key.get("kty") == "EC" else "RSA-OAEP-256"
        tok = jwe.JWE(data, json_encode({"alg": alg, "enc": "A256GCM"}))
        tok.add_recipient(key)
        sys.stdout.write(tok.serialize(compact=False))
    elif sys.argv[1] == "decrypt":
        tok = jwe.JWE()
        tok.deserialize(data.decode(), key=key)
        hdr = tok.jose_header
        if hdr.get("enc") != "A256GCM" or hdr.get("alg") not in ("ECDH-ES+A256KW", "RSA-OAEP-256"):
            print("unexpected algorithms: %r" % hdr, file=sys.stderr)
            return 1
        sys.stdout.write(tok.payload.hex())
    else:
        return 2
    return 0


sys.exit(main())
