"""photo uploads: idempotency and direct-upload keys, unredacted variants for staff

Revision ID: 0009_photo_uploads
Revises: 0008_notifications
Create Date: 2026-11-23

Adds columns to the media table made by 0001 (batch mode adds them without rebuilding the
table on SQLite; the unique constraints need the rebuild there, which batch mode does).
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_photo_uploads'
down_revision = '0008_notifications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unredacted_variants', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('upload_key', sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_media_idempotency_key'),
                                          ['idempotency_key'])
        batch_op.create_unique_constraint(batch_op.f('uq_media_upload_key'), ['upload_key'])


def downgrade() -> None:
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_media_upload_key'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_media_idempotency_key'), type_='unique')
        batch_op.drop_column('upload_key')
        batch_op.drop_column('idempotency_key')
        batch_op.drop_column('unredacted_variants')
