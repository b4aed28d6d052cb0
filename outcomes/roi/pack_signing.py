"""Signed audit packs: the installation's Ed25519 key signs a closed period's manifest.

The manifest lists the SHA-256 of every other file, so a signature over ``manifest.json``
covers the whole pack. Without one, anyone could edit a figure, recompute the hashes and the
manifest and hand over a pack that checks out ("a consistent forgery"); with one, they would
need the installation's private key.

- The private key is created on the first period close (:func:`ensure_key`), beside the state
  store (``<state store folder>/pack_signing_key.pem``, file mode 0600), and never leaves it.
- ``outcomes roi public-key`` prints the public key (PEM) for finance, who keep it and pass it
  to ``outcomes roi verify --public-key FILE``.
- ``signature.json`` in the pack holds the algorithm, the public key's SHA-256 fingerprint,
  the public key and the signature (base64) of the exact ``manifest.json`` bytes.

>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> key = Ed25519PrivateKey.generate()
>>> signed = sign_manifest(key, b"{}")
>>> check_signature(signed, b"{}", key.public_key()) == key.public_key()
True
>>> try:
...     check_signature(signed, b"{ }", key.public_key())
... except SignatureProblem as exc:
...     print(exc)
the signature does not match manifest.json: the manifest was changed after signing, or signed with another key
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from outcomes.config import Settings
from outcomes.errors import OutcomesError

ALGORITHM = "Ed25519"
SIGNATURE_FILE = "signature.json"
KEY_FILE = "pack_signing_key.pem"


class SigningError(OutcomesError):
    """No signing key yet, or a key file that cannot be read."""


class SignatureProblem(OutcomesError):
    """A pack's signature is missing, malformed, or does not verify."""


def key_path(settings: Settings) -> Path:
    """Where the installation keeps its private signing key: beside the state store."""
    return Path(settings.state_path).with_name(KEY_FILE)


def ensure_key(settings: Settings) -> Ed25519PrivateKey:
    """The installation's private key, created (mode 0600) when there is none yet."""
    path = key_path(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:  # O_EXCL: two closes at once keep the first key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
    key = private_key(settings)
    assert key is not None
    return key


def private_key(settings: Settings) -> Ed25519PrivateKey | None:
    """The installation's private key, or None before the first close."""
    path = key_path(settings)
    if not path.exists():
        return None
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise SigningError(f"the signing key {path} cannot be read: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"the signing key {path} is not an Ed25519 key")
    return key


def public_key_pem(settings: Settings) -> str:
    """The installation's public key as PEM text, for finance to keep."""
    key = private_key(settings)
    if key is None:
        raise SigningError(
            f"no signing key yet ({key_path(settings)}): it is created when the first period "
            "is closed (`outcomes roi close PERIOD`)"
        )
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM bytes (what ``outcomes roi public-key`` printed)."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError("the public key is not an Ed25519 key")
    return key


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex: how people compare keys."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign_manifest(key: Ed25519PrivateKey, manifest: bytes) -> bytes:
    """The ``signature.json`` bytes of ``manifest`` signed with ``key``."""
    public = key.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    body = {
        "algorithm": ALGORITHM,
        "signed_file": "manifest.json",
        "public_key": base64.b64encode(raw).decode(),
        "public_key_sha256": fingerprint(public),
        "signature": base64.b64encode(key.sign(manifest)).decode(),
    }
    return (json.dumps(body, sort_keys=True, indent=2) + "\n").encode()


def check_signature(
    signature: bytes, manifest: bytes, trusted: Ed25519PublicKey | None
) -> Ed25519PublicKey:
    """The key that signed ``manifest`` (``trusted`` when given, else the pack's own, which
    proves integrity but not origin); :class:`SignatureProblem` when it does not verify."""
    try:
        body: Any = json.loads(signature)
        if not isinstance(body, dict) or body.get("algorithm") != ALGORITHM:
            raise ValueError(f"not an {ALGORITHM} signature")
        sig = base64.b64decode(str(body["signature"]), validate=True)
        embedded = Ed25519PublicKey.from_public_bytes(
            base64.b64decode(str(body["public_key"]), validate=True)
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise SignatureProblem(f"{SIGNATURE_FILE} is malformed: {exc}") from None
    key = trusted or embedded
    try:
        key.verify(sig, manifest)
    except InvalidSignature:
        raise SignatureProblem(
            "the signature does not match manifest.json: the manifest was changed after "
            "signing, or signed with another key"
        ) from None
    return key
