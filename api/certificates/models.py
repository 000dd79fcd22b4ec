"""Tables of the passport domain: foreign signers an admin trusts, and revoked passports."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.db import Base, UTCDateTime, uuid_pk


class TrustedSigner(Base):
    """A foreign document signer certificate (DSC) imported by a national admin.

    Our own DSCs are not rows: they live with their keys in the key store (instance/keys/dsc/).
    """

    __tablename__ = "trusted_signer"
    id: so.Mapped[str] = uuid_pk()
    country: so.Mapped[str] = so.mapped_column(sa.String(2), index=True)  # ISO 3166-1 alpha-2
    # EU DCC Vol. 1 §3.3.1: first 8 bytes of SHA-256 over the DER certificate, base64 (12 chars)
    kid: so.Mapped[str] = so.mapped_column(sa.String(12), index=True)
    certificate: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)  # DER
    # One row per certificate: importing the same one twice is a conflict, not a copy
    certificate_sha256: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    not_before: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    not_after: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    added_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    added_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class RevokedCertificate(Base):
    """A revoked passport, keyed by the SHA-256 of its UVCI (what the revocation list carries).

    Append-only: a revocation is never lifted (a mistaken one is fixed by issuing a new passport).
    """

    __tablename__ = "revoked_certificate"
    id: so.Mapped[str] = uuid_pk()
    uvci_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)  # hex SHA-256 (UCI)
    uvci: so.Mapped[str] = so.mapped_column(sa.String(80))  # DCC schema: ci maxLength 80
    reason: so.Mapped[str] = so.mapped_column(sa.String(200))
    revoked_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    revoked_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
