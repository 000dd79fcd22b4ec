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


CERTIFICATE_FORMATS = ("hc1", "shc", "domestic")


class IssuedCertificate(Base):
    """One signed QR payload we issued to a person: an EU DCC (hc1), a SMART Health Card (shc)
    or the domestic status token (domestic). The three of one issuance share a UVCI.

    Current = ``superseded_at IS NULL``: at most one per person and format (partial UNIQUE), so
    two concurrent first reads cannot both issue. A superseded row is kept (what was issued when);
    ``revoked`` says its UVCI went on the revocation list (a correction), as opposed to a renewal
    before expiry (the old one stays valid until it lapses).
    """

    __tablename__ = "issued_certificate"
    __table_args__ = (sa.CheckConstraint("format IN ('hc1', 'shc', 'domestic')", name="format"),)
    id: so.Mapped[str] = uuid_pk()
    person_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"),
                                                 index=True)
    format: so.Mapped[str] = so.mapped_column(sa.String(8))
    uvci: so.Mapped[str] = so.mapped_column(sa.String(80), index=True)
    payload: so.Mapped[str] = so.mapped_column(sa.Text)  # the QR text (HC1:…, shc:/…, SSK1:…)
    kid: so.Mapped[str] = so.mapped_column(sa.String(12))  # base64 of the DSC kid
    status: so.Mapped[str] = so.mapped_column(sa.String(8))  # domestic status: green|yellow|none
    # SHA-256 of what was signed (name, dob, counted doses): a change means a re-issue
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(64))
    issued_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    superseded_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    revoked: so.Mapped[bool] = so.mapped_column(default=False)


sa.Index("uq_issued_certificate_current", IssuedCertificate.person_id, IssuedCertificate.format,
         unique=True, postgresql_where=IssuedCertificate.superseded_at.is_(None),
         sqlite_where=IssuedCertificate.superseded_at.is_(None))
