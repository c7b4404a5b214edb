"""service levels: working calendars, per-service targets, escalations, metric indexes

Revision ID: 0007_service_levels
Revises: 0006_open311
Create Date: 2026-11-23

The indexes on service_request are made with plain CREATE INDEX (never batch mode: on
SQLite a batch would rebuild the table and drop the spatial triggers other revisions add).
"""
from alembic import op
import sqlalchemy as sa
import backend.models.types


revision = '0007_service_levels'
down_revision = '0006_open311'
branch_labels = None
depends_on = None

REOPENED = sa.text("new_status = 'reopened'")


def upgrade() -> None:
    op.create_table('work_calendar',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('hours', sa.JSON(), nullable=False),
    sa.Column('holidays', sa.JSON(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_calendar')),
    sa.UniqueConstraint('code', name=op.f('uq_work_calendar_code'))
    )
    op.create_table('service_level',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('target_value', sa.Integer(), nullable=False),
    sa.Column('target_unit', sa.String(length=16), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=True),
    sa.Column('priority_overrides', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['work_calendar.id'], name=op.f('fk_service_level_calendar_id_work_calendar'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_level_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', name=op.f('pk_service_level'))
    )
    op.create_table('sla_escalation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('expected_at', backend.models.types.UTCDateTime(), nullable=False),
    sa.Column('escalated_at', backend.models.types.UTCDateTime(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_sla_escalation_department_id_department')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_sla_escalation_event_id_event'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name=op.f('fk_sla_escalation_request_id_service_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_escalation')),
    sa.UniqueConstraint('request_id', 'expected_at', name=op.f('uq_sla_escalation_request_id_expected_at'))
    )
    op.create_index(op.f('ix_sla_escalation_request_id'), 'sla_escalation', ['request_id'], unique=False)
    op.create_index('ix_service_request_service_created', 'service_request', ['service_id', 'created_at'])
    op.create_index('ix_service_request_created_at', 'service_request', ['created_at'],
                    postgresql_include=['service_id', 'channel', 'status', 'closed_at', 'expected_at'])
    op.create_index('ix_service_request_closed_at', 'service_request', ['closed_at'])
    op.create_index('ix_event_reopened', 'event', ['request_id'], sqlite_where=REOPENED,
                    postgresql_where=REOPENED)


def downgrade() -> None:
    op.drop_index('ix_event_reopened', table_name='event')
    op.drop_index('ix_service_request_closed_at', table_name='service_request')
    op.drop_index('ix_service_request_created_at', table_name='service_request')
    op.drop_index('ix_service_request_service_created', table_name='service_request')
    op.drop_index(op.f('ix_sla_escalation_request_id'), table_name='sla_escalation')
    op.drop_table('sla_escalation')
    op.drop_table('service_level')
    op.drop_table('work_calendar')
