"""sign-ins: the address and browser each staff sign-in came from

Revision ID: 0012_sign_ins
Revises: 0011_request_metric
Create Date: 2026-11-23

``auth_token`` rows are the record of staff sign-ins (GET /api/v1/auth/sign-ins); they now
say where each came from. Existing rows get empty values.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_sign_ins'
down_revision = '0011_request_metric'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('auth_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ip', sa.String(length=45), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('user_agent', sa.String(length=300), server_default='',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('auth_token', schema=None) as batch_op:
        batch_op.drop_column('user_agent')
        batch_op.drop_column('ip')
