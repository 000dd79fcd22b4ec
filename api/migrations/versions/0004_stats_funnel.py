"""statistics: the registration funnel's aggregates, doses per site and lot, the indexes the refresh reads by

Revision ID: 0004_stats_funnel
Revises: 0003
Create Date: 2026-11-23 18:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401  (autogenerate writes Text() bare)
from sqlalchemy.dialects import postgresql  # noqa: F401

import api.db  # noqa: F401
import notifications.models  # noqa: F401

revision = '0004_stats_funnel'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stat_funnel_daily',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=36), nullable=False),
    sa.Column('registered', sa.Integer(), nullable=False),
    sa.Column('approved', sa.Integer(), nullable=False),
    sa.Column('allocated', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.Column('vaccinated', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'province_code', 'unit_id', name=op.f('pk_stat_funnel_daily'))
    )
    with op.batch_alter_table('stat_funnel_daily', schema=None) as batch_op:
        batch_op.create_index('ix_stat_funnel_daily_province_day', ['province_code', 'day'], unique=False)
        batch_op.create_index('ix_stat_funnel_daily_unit_day', ['unit_id', 'day'], unique=False)

    op.create_table('stat_registration',
    sa.Column('registration_id', sa.String(length=36), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=36), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('allocated', sa.Boolean(), nullable=False),
    sa.Column('booked', sa.Boolean(), nullable=False),
    sa.Column('vaccinated', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('registration_id', name=op.f('pk_stat_registration'))
    )
    op.create_table('stat_lot_daily',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.String(length=36), nullable=False),
    sa.Column('lot_id', sa.String(length=36), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'unit_id', 'lot_id', name=op.f('pk_stat_lot_daily'))
    )
    with op.batch_alter_table('stat_lot_daily', schema=None) as batch_op:
        batch_op.create_index('ix_stat_lot_daily_unit_day', ['unit_id', 'day'], unique=False)
    # Existing rows get lot_id NULL: the next refresh sees every dose with a lot as changed and
    # counts it into stat_lot_daily once (its other cells move by -1 +1: unchanged).
    with op.batch_alter_table('stat_dose_seen', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lot_id', sa.String(length=36), nullable=True))
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index('ix_registration_updated_at', ['updated_at'], unique=False)
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index('ix_person_updated_at', ['updated_at'], unique=False)
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index('ix_booking_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_booking_session_status', ['session_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_session_status')
        batch_op.drop_index('ix_booking_created_at')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_updated_at')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_updated_at')
    with op.batch_alter_table('stat_dose_seen', schema=None) as batch_op:
        batch_op.drop_column('lot_id')
    with op.batch_alter_table('stat_lot_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_lot_daily_unit_day')
    op.drop_table('stat_lot_daily')
    op.drop_table('stat_registration')
    with op.batch_alter_table('stat_funnel_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_funnel_daily_unit_day')
        batch_op.drop_index('ix_stat_funnel_daily_province_day')
    op.drop_table('stat_funnel_daily')
