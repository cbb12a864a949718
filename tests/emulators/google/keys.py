"""A test service account: an RSA key pair, its key file, and RS256 JWT checks (RFC 7515/7519).

The key file has the fields of a Google Cloud service account key (`type`, `client_email`,
`private_key_id`, `private_key`, `token_uri`, ...), so google-auth reads it as it reads a real
one; the emulator checks the JWT-bearer assertions it signs with the public half.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

PROJECT = "rapport-test"
CLIENT_EMAIL = f"rapport-sync@{PROJECT}.iam.gserviceaccount.com"
CLIENT_ID = "104567890123456789012"


@dataclass(frozen=True)
class ServiceAccountKey:
    """A service account's key pair: the public half for the emulator, the key file for us."""

    key_id: str
    private_pem: str
    public_key: rsa.RSAPublicKey
    client_email: str = CLIENT_EMAIL

    def info(self, token_uri: str) -> dict[str, str]:
        """The key file's JSON object, with `token_uri` pointing where tokens are granted."""
        return {
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": self.key_id,
            "private_key": self.private_pem,
            "client_email": self.client_email,
            "client_id": CLIENT_ID,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
            + self.client_email.replace("@", "%40"),
            "universe_domain": "googleapis.com",
        }


def new_key(client_email: str = CLIENT_EMAIL) -> ServiceAccountKey:
    """A fresh RSA-2048 key pair."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return ServiceAccountKey(secrets.token_hex(20), pem, private.public_key(), client_email)


@lru_cache(maxsize=1)
def session_key() -> ServiceAccountKey:
    """One key per test process (RSA key generation takes tens of milliseconds)."""
    return new_key()


class BadAssertion(ValueError):
    """The assertion is not a well-formed, correctly signed RS256 JWT."""


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_jwt(token: str, keys: dict[str, rsa.RSAPublicKey]) -> dict[str, object]:
    """The claims of an RS256 JWT signed by one of `keys` (by `kid`); BadAssertion otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        raise BadAssertion("not a JWT")
    try:
        header = json.loads(_b64decode(parts[0]))
        claims = json.loads(_b64decode(parts[1]))
        signature = _b64decode(parts[2])
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadAssertion("not a JWT") from exc
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        raise BadAssertion("the JWT is not RS256")
    key = keys.get(str(header.get("kid")))
    if key is None:
        raise BadAssertion("unknown key id")
    try:
        key.verify(
            signature, f"{parts[0]}.{parts[1]}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature as exc:
        raise BadAssertion("bad signature") from exc
    if not isinstance(claims, dict):
        raise BadAssertion("claims are not an object")
    return claims
