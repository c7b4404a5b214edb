"""open311: api keys and Open311 submissions

Revision ID: 0006_open311
Revises: 0005_work_orders
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa
import backend.models.types


revision = '0006_open311'
down_revision = '0005_work_orders'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('key_prefix', sa.String(length=12), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('rate_limit', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', backend.models.types.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', backend.models.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_api_key_name'))
    )
    op.create_table('open311_submission',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('api_key_id', sa.Integer(), nullable=True),
    sa.Column('token', sa.String(length=40), nullable=True),
    sa.Column('media_url', sa.String(length=500), nullable=False),
    sa.Column('address_id', sa.String(length=80), nullable=False),
    sa.Column('device_id', sa.String(length=120), nullable=False),
    sa.Column('account_id', sa.String(length=120), nullable=False),
    sa.Column('created_at', backend.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_key.id'], name=op.f('fk_open311_submission_api_key_id_api_key'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name=op.f('fk_open311_submission_request_id_service_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_open311_submission')),
    sa.UniqueConstraint('token', name=op.f('uq_open311_submission_token'))
    )
    with op.batch_alter_table('open311_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open311_submission_api_key_id'), ['api_key_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('open311_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open311_submission_api_key_id'))

    op.drop_table('open311_submission')
    op.drop_table('api_key')
