"""notifications: outbox leases, provider ids, staff-edited message templates

Revision ID: 0008_notifications
Revises: 0007_service_levels
Create Date: 2026-11-23

Alters the outbox table made by 0002, hence depends_on. Columns are added with plain
ALTER TABLE ADD COLUMN (batch mode adds without rebuilding the table on SQLite).
"""
from alembic import op
import sqlalchemy as sa
import backend.models.types


revision = '0008_notifications'
down_revision = '0007_service_levels'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('lease_until', backend.models.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('provider_id', sa.String(length=300), server_default='', nullable=False))
    op.create_index('ix_notification_due', 'notification', ['status', 'next_attempt_at'], unique=False)
    op.create_table('message_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', backend.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_message_template_service_id_service'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_message_template_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_template'))
    )
    op.create_index(op.f('ix_message_template_service_id'), 'message_template', ['service_id'], unique=False)
    op.create_index('uq_message_template_scope', 'message_template',
                    [sa.text('coalesce(service_id, 0)'), 'language', 'kind'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_message_template_scope', table_name='message_template')
    op.drop_index(op.f('ix_message_template_service_id'), table_name='message_template')
    op.drop_table('message_template')
    op.drop_index('ix_notification_due', table_name='notification')
    with op.batch_alter_table('notification', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('provider_id')
        batch_op.drop_column('lease_until')
