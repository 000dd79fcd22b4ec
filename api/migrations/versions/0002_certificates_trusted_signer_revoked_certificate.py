"""certificates: trusted (foreign) signers and revoked passports

Revision ID: 0002_certificates
Revises: 0001
Create Date: 2026-11-23 16:30:00
"""
from alembic import op
import sqlalchemy as sa

import api.db  # noqa: F401

revision = '0002_certificates'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('revoked_certificate',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('uvci_hash', sa.String(length=64), nullable=False),
    sa.Column('uvci', sa.String(length=80), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('revoked_by', sa.String(length=36), nullable=True),
    sa.Column('revoked_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revoked_certificate')),
    sa.UniqueConstraint('uvci_hash', name=op.f('uq_revoked_certificate_uvci_hash'))
    )
    with op.batch_alter_table('revoked_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revoked_certificate_revoked_at'), ['revoked_at'], unique=False)

    op.create_table('trusted_signer',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('kid', sa.String(length=12), nullable=False),
    sa.Column('certificate', sa.LargeBinary(), nullable=False),
    sa.Column('certificate_sha256', sa.String(length=64), nullable=False),
    sa.Column('not_before', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('not_after', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('added_by', sa.String(length=36), nullable=True),
    sa.Column('added_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trusted_signer')),
    sa.UniqueConstraint('certificate_sha256', name=op.f('uq_trusted_signer_certificate_sha256'))
    )
    with op.batch_alter_table('trusted_signer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trusted_signer_country'), ['country'], unique=False)
        batch_op.create_index(batch_op.f('ix_trusted_signer_kid'), ['kid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('trusted_signer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trusted_signer_kid'))
        batch_op.drop_index(batch_op.f('ix_trusted_signer_country'))

    op.drop_table('trusted_signer')
    with op.batch_alter_table('revoked_certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_certificate_revoked_at'))

    op.drop_table('revoked_certificate')
