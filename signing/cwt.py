"""CWT claims (RFC 8392 §3.1) as the EU DCC uses them (EU DCC Vol. 1 §3.3.1 / HCERT spec §2.6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2

__all__ = ["CLAIM_EXP", "CLAIM_HCERT", "CLAIM_IAT", "CLAIM_ISS", "Claims", "CwtError",
           "decode_claims", "encode_claims"]

CLAIM_ISS = 1  # RFC 8392 §3.1.1 issuer: ISO 3166-1 alpha-2 of the issuing country
CLAIM_EXP = 4  # RFC 8392 §3.1.4 expiration time (seconds since the epoch)
CLAIM_IAT = 6  # RFC 8392 §3.1.6 issued at
CLAIM_HCERT = -260  # HCERT spec §2.6.4: the health certificate claim
HCERT_EU_DCC_V1 = 1  # HCERT spec §2.6.4: key 1 inside -260 holds the EU DCC v1 payload


class CwtError(ValueError):
    """The COSE payload is not a CWT with an EU DCC inside."""


@dataclass(frozen=True)
class Claims:
    issuer: str | None
    issued_at: int
    expires_at: int
    dcc: dict[str, Any]


def encode_claims(*, issuer: str, issued_at: int, expires_at: int, dcc: dict[str, Any]) -> bytes:
    """CBOR map {1: iss, 4: exp, 6: iat, -260: {1: dcc}}."""
    return cbor2.dumps({CLAIM_ISS: issuer, CLAIM_EXP: expires_at, CLAIM_IAT: issued_at,
                        CLAIM_HCERT: {HCERT_EU_DCC_V1: dcc}})


def decode_claims(data: bytes) -> Claims:
    """Parse CWT claims; exp and iat are required (HCERT spec §2.6.2-2.6.3).

    :raises CwtError: not a CBOR map, or a required claim missing or of the wrong type.
    """
    try:
        claims = cbor2.loads(data)
    except Exception:
        raise CwtError("CWT payload is not CBOR") from None
    if not isinstance(claims, Mapping):
        raise CwtError("CWT payload is not a map")
    iss, exp, iat = claims.get(CLAIM_ISS), claims.get(CLAIM_EXP), claims.get(CLAIM_IAT)
    hcert = claims.get(CLAIM_HCERT)
    if not all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in (exp, iat)):
        raise CwtError("CWT exp/iat missing or not numeric")
    if not isinstance(hcert, Mapping) or not isinstance(hcert.get(HCERT_EU_DCC_V1), Mapping):
        raise CwtError("CWT has no -260/1 health certificate")
    return Claims(iss if isinstance(iss, str) else None, int(iat), int(exp),
                  _thaw(hcert[HCERT_EU_DCC_V1]))


def _thaw(obj: Any) -> Any:
    """cbor2 6 decodes maps to frozendict and arrays to tuples; callers get plain JSON shapes."""
    if isinstance(obj, Mapping):
        return {k: _thaw(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_thaw(v) for v in obj]
    return obj
