"""Stock ledger, visits, screenings, dose records and their history, corrections, imports.

Invariants the database keeps, whatever the code does:
- `stock_balance.balance >= 0` (CHECK) and it only moves by conditional UPDATEs in the same
  transaction as the `stock_movement` row that explains it; the ledger is append-only (triggers
  refuse UPDATE and DELETE on both engines).
- one dose record per Idempotency-Key (UNIQUE), and one counted dose per person, disease and
  dose number (partial UNIQUE over status valid|corrected).
- one open visit per person, site and day (partial UNIQUE).
- a second person: an adjustment, a backfill, an import and a correction cannot be decided by
  the account that asked for it (CHECKs).
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.booking import models as _booking_models  # noqa: F401  (booking.id, vaccination_session.id)
from api.db import Base, UTCDateTime, uuid_pk

# Dose record statuses: the first two count (certificates, reminders, statistics, the engine).
COUNTED = ("valid", "corrected")
DOSE_STATUSES = ("valid", "corrected", "voided", "pending_approval")
DOSE_SOURCES = ("site", "backfill", "import")
OPEN_VISIT = ("checked_in", "screened", "observing")
MOVEMENT_KINDS = ("receive", "transfer_out", "transfer_in", "administer", "waste", "expire", "adjust")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# ---------------------------------------------------------------- stock

class Lot(Base):
    """A manufacturer's lot of one product; received (possibly in several shipments) at province stores."""

    __tablename__ = "lot"
    __table_args__ = (sa.UniqueConstraint("product_code", "lot_number"),
                      sa.CheckConstraint("received_doses >= 0", name="received"))
    id: so.Mapped[str] = uuid_pk()
    product_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("vaccine_product.code"))
    lot_number: so.Mapped[str] = so.mapped_column(sa.String(40))
    expires_on: so.Mapped[date] = so.mapped_column(sa.Date)  # usable through this local date
    manufacturer: so.Mapped[str] = so.mapped_column(sa.String(120))
    received_doses: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    # A quarantined lot cannot be administered anywhere (set by safety signals or by hand).
    quarantined_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    quarantine_reason: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    quarantined_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    created_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class StockBalance(Base):
    """Doses of one lot on hand at one unit. Moves only with a ledger row, in the same transaction."""

    __tablename__ = "stock_balance"
    __table_args__ = (sa.CheckConstraint("balance >= 0", name="not_negative"),)
    unit_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("org_unit.id"), primary_key=True)
    lot_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("lot.id"), primary_key=True, index=True)
    balance: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class StockTransfer(Base):
    """A shipment of one lot between units: in transit until the receiver counts it."""

    __tablename__ = "stock_transfer"
    __table_args__ = (
        sa.CheckConstraint("quantity_sent > 0", name="sent"),
        sa.CheckConstraint("quantity_received IS NULL OR (quantity_received >= 0 AND "
                           "quantity_received <= quantity_sent)", name="received"),
        sa.CheckConstraint(_in("status", ("in_transit", "received")), name="status"),
    )
    id: so.Mapped[str] = uuid_pk()
    lot_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("lot.id"), index=True)
    from_unit_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    to_unit_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    quantity_sent: so.Mapped[int] = so.mapped_column(sa.Integer)
    quantity_received: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    status: so.Mapped[str] = so.mapped_column(sa.String(12))
    note: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    discrepancy_note: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    shipped_by: so.Mapped[str] = so.mapped_column(sa.String(36))
    shipped_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    received_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    received_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class StockAdjustment(Base):
    """A correction of a count (a stock-take found more or fewer doses): applied only when a
    second person approves."""

    __tablename__ = "stock_adjustment"
    __table_args__ = (
        sa.CheckConstraint("delta <> 0", name="delta"),
        sa.CheckConstraint(_in("status", ("pending", "approved", "rejected")), name="status"),
        sa.CheckConstraint("decided_by IS NULL OR decided_by <> requested_by", name="second_person"),
    )
    id: so.Mapped[str] = uuid_pk()
    unit_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    lot_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("lot.id"))
    delta: so.Mapped[int] = so.mapped_column(sa.Integer)
    reason: so.Mapped[str] = so.mapped_column(sa.String(300))
    status: so.Mapped[str] = so.mapped_column(sa.String(10))
    requested_by: so.Mapped[str] = so.mapped_column(sa.String(36))
    requested_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    decided_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    decided_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    decision_note: so.Mapped[str] = so.mapped_column(sa.String(300), default="")


class StockMovement(Base):
    """The append-only ledger: per (unit, lot) the quantities add up to the balance."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        sa.CheckConstraint("quantity <> 0", name="quantity"),
        sa.CheckConstraint(_in("kind", MOVEMENT_KINDS), name="kind"),
        sa.Index("ix_stock_movement_unit_at", "unit_id", "at"),
    )
    id: so.Mapped[str] = uuid_pk()
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    unit_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("org_unit.id"))
    lot_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("lot.id"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    quantity: so.Mapped[int] = so.mapped_column(sa.Integer)  # signed: + in, - out
    reason: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    transfer_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("stock_transfer.id"))
    adjustment_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("stock_adjustment.id"))
    dose_record_id: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    actor_account_id: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    approved_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))


# The ledger is append-only: the database refuses to rewrite it (create_all and the migration).
_APPEND_ONLY = {
    "postgresql": [
        "CREATE OR REPLACE FUNCTION ssk_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '%% is append-only', TG_TABLE_NAME; END $$",
        "CREATE TRIGGER stock_movement_append_only BEFORE UPDATE OR DELETE ON stock_movement "
        "FOR EACH ROW EXECUTE FUNCTION ssk_append_only()",
    ],
    "sqlite": [
        "CREATE TRIGGER stock_movement_no_update BEFORE UPDATE ON stock_movement "
        "BEGIN SELECT RAISE(ABORT, 'stock_movement is append-only'); END",
        "CREATE TRIGGER stock_movement_no_delete BEFORE DELETE ON stock_movement "
        "BEGIN SELECT RAISE(ABORT, 'stock_movement is append-only'); END",
    ],
}
for _dialect, _statements in _APPEND_ONLY.items():
    for _sql in _statements:
        sa.event.listen(StockMovement.__table__, "after_create", sa.DDL(_sql).execute_if(dialect=_dialect))


# ---------------------------------------------------------------- the visit

class Visit(Base):
    """One person's visit to a site on one day: check-in → screening → dose → observation."""

    __tablename__ = "visit"
    __table_args__ = (
        sa.CheckConstraint(_in("status", ("checked_in", "screened", "observing", "done", "cancelled")),
                           name="status"),
        sa.Index("ix_visit_site_day", "site_id", "day"),
    )
    id: so.Mapped[str] = uuid_pk()
    person_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    site_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("org_unit.id"))
    province_code: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    day: so.Mapped[date] = so.mapped_column(sa.Date)  # local date (Asia/Ho_Chi_Minh)
    booking_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("booking.id"))
    session_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("vaccination_session.id"))
    walk_in: so.Mapped[bool] = so.mapped_column(default=False)
    check_in_method: so.Mapped[str] = so.mapped_column(sa.String(12))  # qr | cccd_qr | national_id | phone
    status: so.Mapped[str] = so.mapped_column(sa.String(12))
    checked_in_by: so.Mapped[str] = so.mapped_column(sa.String(36))
    checked_in_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    # The latest screening's outcome, kept here so the dose path reads one row.
    screening_outcome: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    screened_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    postpone_until: so.Mapped[date | None] = so.mapped_column(sa.Date)
    dose_record_id: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    administered_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    observe_until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    observation_outcome: so.Mapped[str | None] = so.mapped_column(sa.String(24))
    observation_note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    observation_ended_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    observation_ended_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    reactions: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    close_reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


sa.Index("uq_visit_open", Visit.person_id, Visit.site_id, Visit.day, unique=True,
         postgresql_where=Visit.status.in_(OPEN_VISIT), sqlite_where=Visit.status.in_(OPEN_VISIT))
# The observation watch list of a site.
sa.Index("ix_visit_observing", Visit.site_id, Visit.observe_until,
         postgresql_where=Visit.status == "observing", sqlite_where=Visit.status == "observing")


class Screening(Base):
    """One pre-vaccination screening (the Ministry's checklist) with its outcome."""

    __tablename__ = "screening"
    __table_args__ = (sa.CheckConstraint(_in("outcome", ("vaccinate_now", "postpone", "refer_to_hospital")),
                                         name="outcome"),)
    id: so.Mapped[str] = uuid_pk()
    visit_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    person_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    checklist_version: so.Mapped[str] = so.mapped_column(sa.String(40))
    answers: so.Mapped[dict] = so.mapped_column(sa.JSON)  # item code → true/false (+ details)
    vitals: so.Mapped[dict] = so.mapped_column(sa.JSON)
    computed_outcome: so.Mapped[str] = so.mapped_column(sa.String(20))  # what the checklist requires at least
    outcome: so.Mapped[str] = so.mapped_column(sa.String(20))  # what the screening doctor decided
    postpone_until: so.Mapped[date | None] = so.mapped_column(sa.Date)
    reasons: so.Mapped[list] = so.mapped_column(sa.JSON)  # item codes that set the outcome
    cautions: so.Mapped[list] = so.mapped_column(sa.JSON)  # item codes of the "caution" group
    note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    screened_by: so.Mapped[str] = so.mapped_column(sa.String(36))
    screened_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


# ---------------------------------------------------------------- dose records

class DoseImport(Base):
    """A CSV file of historical dose records: all rows or none; counts after a second approver."""

    __tablename__ = "dose_import"
    __table_args__ = (
        sa.CheckConstraint(_in("status", ("pending_approval", "approved", "rejected")), name="status"),
        sa.CheckConstraint("decided_by IS NULL OR decided_by <> uploaded_by", name="second_person"),
    )
    id: so.Mapped[str] = uuid_pk()
    file_sha256: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    file_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    row_count: so.Mapped[int] = so.mapped_column(sa.Integer)
    unit_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("org_unit.id"))
    status: so.Mapped[str] = so.mapped_column(sa.String(16))
    uploaded_by: so.Mapped[str] = so.mapped_column(sa.String(36))
    uploaded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    decided_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    decided_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    decision_note: so.Mapped[str] = so.mapped_column(sa.String(300), default="")


class DoseRecord(Base):
    """One dose given to one person: what certificates, reminders and statistics are made from.

    Readers take `status IN COUNTED` ('valid', 'corrected'); 'pending_approval' (a backfill or an
    import waiting for its second approver) and 'voided' do not count. Times are UTC;
    `administered_on` is the local (Asia/Ho_Chi_Minh) date, the day statistics group by.
    """

    __tablename__ = "dose_record"
    __table_args__ = (
        sa.CheckConstraint(_in("status", DOSE_STATUSES), name="status"),
        sa.CheckConstraint(_in("source", DOSE_SOURCES), name="source"),
        sa.CheckConstraint(_in("series", ("primary", "booster")), name="series"),
        sa.CheckConstraint("dose_number >= 1", name="dose_number"),
        sa.CheckConstraint("approved_by IS NULL OR approved_by <> recorded_by", name="second_person"),
        sa.Index("ix_dose_record_person", "person_id", "administered_at"),
        sa.Index("ix_dose_record_site_day", "unit_id", "administered_on"),
        sa.Index("ix_dose_record_province_day", "province_code", "administered_on"),
    )
    id: so.Mapped[str] = uuid_pk()
    person_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    visit_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("visit.id"))
    booking_id: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    disease: so.Mapped[str] = so.mapped_column(sa.String(20))  # SNOMED CT (840539006 = COVID-19)
    product_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("vaccine_product.code"))
    lot_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("lot.id"), index=True)  # None: a paper-card lot
    lot_number: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    dose_number: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    series: so.Mapped[str] = so.mapped_column(sa.String(8))  # primary | booster
    rule_id: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    administered_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    administered_on: so.Mapped[date] = so.mapped_column(sa.Date)
    unit_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("org_unit.id"))  # the site
    site_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    province_code: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    vaccinator_account_id: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    recorded_by: so.Mapped[str] = so.mapped_column(sa.String(36))
    status: so.Mapped[str] = so.mapped_column(sa.String(16))
    source: so.Mapped[str] = so.mapped_column(sa.String(8))
    import_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("dose_import.id"), index=True)
    approved_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    approved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    void_reason: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    note: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    # The tablet's Idempotency-Key: a resend finds the first record (device-made UUIDs, so unique
    # across accounts: a queue synced later under another staff member's session still matches).
    idempotency_key: so.Mapped[str | None] = so.mapped_column(sa.String(80), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    version: so.Mapped[int] = so.mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}


# One counted dose per person, disease and place in the course.
sa.Index("uq_dose_record_counted", DoseRecord.person_id, DoseRecord.disease, DoseRecord.dose_number,
         unique=True, postgresql_where=DoseRecord.status.in_(COUNTED),
         sqlite_where=DoseRecord.status.in_(COUNTED))
sa.Index("ix_dose_record_pending", DoseRecord.province_code,
         postgresql_where=DoseRecord.status == "pending_approval",
         sqlite_where=DoseRecord.status == "pending_approval")


class DoseRecordHistory(Base):
    """Every change of a dose record after it was written, with the values before and after."""

    __tablename__ = "dose_record_history"
    id: so.Mapped[str] = uuid_pk()
    dose_record_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("dose_record.id", ondelete="CASCADE"),
                                                      index=True)
    version: so.Mapped[int] = so.mapped_column(sa.Integer)  # the record's version after the change
    change: so.Mapped[str] = so.mapped_column(sa.String(16))  # corrected|voided|approved|rejected|renumbered
    before: so.Mapped[dict] = so.mapped_column(sa.JSON)
    after: so.Mapped[dict] = so.mapped_column(sa.JSON)
    reason: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    correction_id: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    changed_by: so.Mapped[str] = so.mapped_column(sa.String(36))
    changed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class CorrectionRequest(Base):
    """A citizen's (or guardian's) request to correct a dose record or personal data, with evidence."""

    __tablename__ = "correction_request"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", ("dose", "person")), name="kind"),
        sa.CheckConstraint(_in("status", ("pending", "approved", "rejected", "withdrawn")), name="status"),
        sa.CheckConstraint("decided_by IS NULL OR decided_by <> requested_by", name="second_person"),
    )
    id: so.Mapped[str] = uuid_pk()
    person_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(8))
    dose_record_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("dose_record.id"))
    changes: so.Mapped[dict] = so.mapped_column(sa.JSON)  # field → the value asked for
    before: so.Mapped[dict] = so.mapped_column(sa.JSON)  # those fields when asked
    applied: so.Mapped[dict | None] = so.mapped_column(sa.JSON)  # {"before": …, "after": …} when approved
    reason: so.Mapped[str] = so.mapped_column(sa.String(500))
    evidence: so.Mapped[list] = so.mapped_column(sa.JSON)  # [{sha256, content_type, size}]
    status: so.Mapped[str] = so.mapped_column(sa.String(10))
    # Who may decide: staff whose units reach this site, or this province.
    unit_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("org_unit.id"))
    province_code: so.Mapped[int | None] = so.mapped_column(sa.Integer, index=True)
    requested_by: so.Mapped[str] = so.mapped_column(sa.String(36))
    requested_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    decided_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    decided_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    decision_note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
