"""routing rules, address points, and where each request was routed

Revision ID: 0004_routing_addresses
Revises: 0003_spatial
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa
import backend.models.types


revision = '0004_routing_addresses'
down_revision = '0003_spatial'
branch_labels = None
depends_on = None

# Requests no rule and no service default can place land here, for a person to route.
TRIAGE = {"code": "triage", "name": "Triage"}


def upgrade() -> None:
    op.create_table('routing_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('crew_id', sa.Integer(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', backend.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', backend.models.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('department_id IS NOT NULL OR crew_id IS NOT NULL', name=op.f('ck_routing_rule_has_target')),
    sa.CheckConstraint('service_id IS NOT NULL OR zone_id IS NOT NULL', name=op.f('ck_routing_rule_has_condition')),
    sa.ForeignKeyConstraint(['crew_id'], ['crew.id'], name=op.f('fk_routing_rule_crew_id_crew'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_routing_rule_department_id_department'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_routing_rule_service_id_service'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zone.id'], name=op.f('fk_routing_rule_zone_id_zone'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rule'))
    )
    with op.batch_alter_table('routing_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_rule_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_routing_rule_zone_id'), ['zone_id'], unique=False)

    op.create_table('address_street',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address_street')),
    sa.UniqueConstraint('name', name=op.f('uq_address_street_name'))
    )
    op.create_table('address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('normalized', sa.String(length=300), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('locality', sa.String(length=100), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('zone_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['street_id'], ['address_street.id'], name=op.f('fk_address_street_id_address_street'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address')),
    sa.UniqueConstraint('normalized', name=op.f('uq_address_normalized'))
    )
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.create_index('ix_address_street_id_number', ['street_id', 'number'], unique=False)
        batch_op.create_index('ix_address_lat_lon', ['lat', 'lon'], unique=False)
        batch_op.create_index(batch_op.f('ix_address_number'), ['number'], unique=False)

    _add_request_columns()
    op.create_index(op.f('ix_service_request_department_id'), 'service_request', ['department_id'], unique=False)
    op.create_index(op.f('ix_service_request_crew_id'), 'service_request', ['crew_id'], unique=False)
    op.create_index(op.f('ix_service_request_duplicate_of_id'), 'service_request', ['duplicate_of_id'], unique=False)

    department = sa.table('department', sa.column('code', sa.String), sa.column('name', sa.String))
    exists = op.get_bind().execute(
        sa.select(sa.func.count()).select_from(department).where(department.c.code == TRIAGE["code"])
    ).scalar()
    if not exists:
        op.bulk_insert(department, [TRIAGE])


def _add_request_columns() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Plain ALTER TABLE, not a batch copy: a rebuilt table would lose whatever else is
        # attached to service_request (e.g. the triggers that keep a spatial index current).
        op.execute("ALTER TABLE service_request ADD COLUMN department_id INTEGER "
                   "REFERENCES department (id)")
        op.execute("ALTER TABLE service_request ADD COLUMN crew_id INTEGER REFERENCES crew (id)")
    else:
        op.add_column('service_request', sa.Column('department_id', sa.Integer(), nullable=True))
        op.add_column('service_request', sa.Column('crew_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_service_request_department_id_department'), 'service_request', 'department', ['department_id'], ['id'])
        op.create_foreign_key(op.f('fk_service_request_crew_id_crew'), 'service_request', 'crew', ['crew_id'], ['id'])
    op.add_column('service_request', sa.Column('supporters', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    op.drop_index(op.f('ix_service_request_duplicate_of_id'), table_name='service_request')
    op.drop_index(op.f('ix_service_request_crew_id'), table_name='service_request')
    op.drop_index(op.f('ix_service_request_department_id'), table_name='service_request')
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f('fk_service_request_crew_id_crew'), 'service_request', type_='foreignkey')
        op.drop_constraint(op.f('fk_service_request_department_id_department'), 'service_request', type_='foreignkey')
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_column('supporters')
        batch_op.drop_column('crew_id')
        batch_op.drop_column('department_id')
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_address_number'))
        batch_op.drop_index('ix_address_lat_lon')
        batch_op.drop_index('ix_address_street_id_number')
    op.drop_table('address')
    op.drop_table('address_street')
    with op.batch_alter_table('routing_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_rule_zone_id'))
        batch_op.drop_index(batch_op.f('ix_routing_rule_service_id'))
    op.drop_table('routing_rule')
