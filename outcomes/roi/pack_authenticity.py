"""Is this pack what the installation exported? The signature and the closure record.

What ``outcomes roi verify`` proves about where a pack comes from:

- **signed, checked against a trusted key** (``--public-key FILE``, or the installation's own
  key when run inside it): the manifest, hence every file it hashes, is exactly what the
  installation holding the private key exported. A consistent forgery (figures, hashes and
  manifest all recomputed) is refused: it cannot carry a valid signature.
- **signed, no trusted key at hand**: the signature is checked against the public key inside
  the pack, which proves the files were not changed after signing but not who signed; verify
  says so.
- **inside the installation**: the pack's ``closure`` must be the installation's close record
  of that period (close id, who, ledger hash); a pack that hides a close is refused.

It does not prove the figures are right (that is the recomputation), that the private key was
not stolen, or anything about packs of periods that were not closed (they are not signed).
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from outcomes.config import Settings
from outcomes.roi.close import closed_periods
from outcomes.roi.pack_signing import (
    SIGNATURE_FILE,
    SignatureProblem,
    check_signature,
    fingerprint,
    private_key,
)


def authenticity(
    contents: dict[str, bytes],
    manifest: dict[str, Any],
    trusted: Ed25519PublicKey | None = None,
    installation: Settings | None = None,
) -> tuple[str, list[str], list[str]]:
    """``(remark, errors, warnings)`` about the pack's signature and closure record.

    ``trusted``: finance's copy of the public key; ``installation``: the settings of the
    installation verify runs in (its key is then trusted and its close records compared).
    """
    errors: list[str] = []
    warnings: list[str] = []
    given = trusted is not None
    record = None
    if installation is not None:
        own = private_key(installation)
        trusted = trusted or (own.public_key() if own is not None else None)
        label = (manifest.get("period") or {}).get("label")
        record = next((c for c in closed_periods(installation) if c.period == label), None)
    closure = manifest.get("closure")
    signature = contents.get(SIGNATURE_FILE)
    if signature is None:
        remark = "not signed"
        if closure:
            errors.append(
                f"the pack says its period was closed but has no {SIGNATURE_FILE}: a closed "
                "period's pack is always signed; this one was changed or forged"
            )
        elif record is not None:
            errors.append(
                f"the period is closed in this installation (close #{record.id}); this "
                "unsigned pack is not the closed record (exported before the close, or "
                "changed): export it again"
            )
        elif given:
            errors.append(
                "not signed: a pack without a signature cannot be checked against --public-key"
            )
        else:
            remark = "not signed (the period was not closed when it was exported)"
    else:
        try:
            key = check_signature(signature, contents.get("manifest.json", b""), trusted)
        except SignatureProblem as exc:
            errors.append(f"signature: {exc}")
            remark = "signature INVALID"
        else:
            if trusted is not None:
                remark = f"signed by the trusted key {fingerprint(key)[:16]}"
            else:
                remark = f"signed with the key inside the pack {fingerprint(key)[:16]}"
                warnings.append(
                    "the signature was checked against the public key inside the pack, which "
                    "proves the files were not changed after signing but not who signed: pass "
                    "--public-key FILE (finance's copy of `outcomes roi public-key`)"
                )
    if record is not None and closure:
        same = (
            closure.get("close_id") == record.id
            and closure.get("closed_by") == record.closed_by
            and closure.get("ledger_sha256") == record.ledger_sha256
        )
        if not same:
            errors.append(
                f"the pack's closure is not this installation's close #{record.id} of the period "
                f"(by {record.closed_by}, ledger sha256 {record.ledger_sha256})"
            )
    elif record is not None and signature is not None:
        errors.append(
            f"the pack says its period is not closed; this installation closed it (close "
            f"#{record.id} by {record.closed_by})"
        )
    return remark, errors, warnings
