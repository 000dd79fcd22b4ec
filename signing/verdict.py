"""The one result shape of every passport verifier (HC1 and SHC)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DoseSummary", "STATUSES", "Verdict"]

# "expired" means outside the validity window at ``now``: past exp, before iat/nbf, or a signer
# certificate not valid at ``now``; ``Verdict.reason`` says which.
STATUSES = ("valid", "invalid_signature", "unknown_signer", "expired", "revoked", "not_a_passport")


@dataclass(frozen=True)
class DoseSummary:
    dose_number: int | None
    series_doses: int | None
    date: str | None
    product: str | None


@dataclass(frozen=True)
class Verdict:
    """What a checkpoint shows. Holder data is filled in only once the signature has verified.

    ``reason`` is a short machine code for the check that decided the status (``"ok"`` when
    valid), e.g. ``"prefix" "base45" "zlib" "cose" "cwt" "unknown_kid" "signature" "key_usage"
    "exp" "iat" "nbf" "signer_validity" "revoked" "schema"``; never personal data.
    """

    status: str
    reason: str = "ok"
    name: str | None = None
    dob: str | None = None
    doses: tuple[DoseSummary, ...] = ()

    @property
    def valid(self) -> bool:
        return self.status == "valid"
