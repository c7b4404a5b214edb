"""work orders, crew positions, client actions and the sync change log

Revision ID: 0005_work_orders
Revises: 0004_routing_addresses
Create Date: 2026-11-23

Spatial index of open work orders: on SQLite an R*Tree kept by triggers; on PostgreSQL a
partial GiST index on the built-in point(lon, lat) (no extension needed). Both answer "which
rows lie in this box"; the exact distances are computed afterwards (backend.geo.spatial_key).
"""
from alembic import op
import sqlalchemy as sa
import backend.models.types


revision = '0005_work_orders'
down_revision = '0004_routing_addresses'
branch_labels = None
depends_on = None

OPEN_WORK_SQL = "status IN ('unassigned', 'assigned', 'accepted', 'in_progress')"
OPEN_ROW = "new.lon IS NOT NULL AND new.lat IS NOT NULL AND new." + OPEN_WORK_SQL

SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE work_order_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat)",
    f"""CREATE TRIGGER work_order_rtree_insert AFTER INSERT ON work_order WHEN {OPEN_ROW}
        BEGIN
          INSERT INTO work_order_rtree VALUES (new.id, new.lon, new.lon, new.lat, new.lat);
        END""",
    f"""CREATE TRIGGER work_order_rtree_update AFTER UPDATE OF status, lon, lat ON work_order
        BEGIN
          DELETE FROM work_order_rtree WHERE id = old.id;
          INSERT INTO work_order_rtree SELECT new.id, new.lon, new.lon, new.lat, new.lat
           WHERE {OPEN_ROW};
        END""",
    """CREATE TRIGGER work_order_rtree_delete AFTER DELETE ON work_order
        BEGIN
          DELETE FROM work_order_rtree WHERE id = old.id;
        END""",
]
POSTGRES_INDEX = [
    "CREATE INDEX ix_work_order_open_point ON work_order USING gist (point(lon, lat)) "
    f"WHERE {OPEN_WORK_SQL}",
]


def upgrade() -> None:
    op.create_table('work_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('status', sa.Enum('unassigned', 'assigned', 'accepted', 'in_progress', 'completed', 'could_not_complete', 'cancelled', name='workstatus', native_enum=False, length=24), nullable=False),
    sa.Column('priority', sa.Enum('low', 'normal', 'high', 'urgent', name='priority', native_enum=False, length=24), nullable=False),
    sa.Column('crew_id', sa.Integer(), nullable=True),
    sa.Column('worker_id', sa.Integer(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('due_at', backend.models.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', backend.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', backend.models.types.UTCDateTime(), nullable=False),
    sa.Column('closed_at', backend.models.types.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['crew_id'], ['crew.id'], name=op.f('fk_work_order_crew_id_crew')),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name=op.f('fk_work_order_request_id_service_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_work_order_service_id_service')),
    sa.ForeignKeyConstraint(['worker_id'], ['user_account.id'], name=op.f('fk_work_order_worker_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order'))
    )
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.create_index('ix_work_order_crew_id_status', ['crew_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_status'), ['status'], unique=False)

    op.create_table('crew_position',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('crew_id', sa.Integer(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('recorded_at', backend.models.types.UTCDateTime(), nullable=False),
    sa.Column('received_at', backend.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['crew_id'], ['crew.id'], name=op.f('fk_crew_position_crew_id_crew')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_crew_position_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_crew_position'))
    )
    with op.batch_alter_table('crew_position', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crew_position_crew_id'), ['crew_id'], unique=False)

    op.create_table('client_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.String(length=80), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('result_version', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', backend.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_client_action_user_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], name=op.f('fk_client_action_work_order_id_work_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_action')),
    sa.UniqueConstraint('user_id', 'action_id', name=op.f('uq_client_action_user_id_action_id'))
    )
    with op.batch_alter_table('client_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_action_work_order_id'), ['work_order_id'], unique=False)

    op.create_table('sync_counter',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sync_counter'))
    )
    op.execute("INSERT INTO sync_counter (name, value) VALUES ('work_order', 0)")

    op.create_table('work_change',
    sa.Column('crew_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['crew_id'], ['crew.id'], name=op.f('fk_work_change_crew_id_crew'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], name=op.f('fk_work_change_work_order_id_work_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('crew_id', 'seq', name=op.f('pk_work_change'))
    )

    # Plain ADD COLUMNs: neither table is rebuilt (other revisions hang triggers on them).
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its foreign key in place; Alembic would rebuild the table.
        op.execute("ALTER TABLE event ADD COLUMN work_order_id INTEGER "
                   "CONSTRAINT fk_event_work_order_id_work_order "
                   "REFERENCES work_order (id) ON DELETE SET NULL")
    else:
        with op.batch_alter_table('event', schema=None) as batch_op:
            batch_op.add_column(sa.Column('work_order_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f('fk_event_work_order_id_work_order'), 'work_order', ['work_order_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('event', schema=None, recreate='never') as batch_op:
        batch_op.create_index(batch_op.f('ix_event_work_order_id'), ['work_order_id'], unique=False)
    with op.batch_alter_table('service', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('crews_self_assign', sa.Boolean(), nullable=False, server_default=sa.false()))

    for statement in SQLITE_INDEX if op.get_bind().dialect.name == 'sqlite' else POSTGRES_INDEX:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('work_order_rtree_insert', 'work_order_rtree_update', 'work_order_rtree_delete'):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS work_order_rtree")
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_column('crews_self_assign')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_work_order_id'))
        batch_op.drop_column('work_order_id')
    op.drop_table('work_change')
    op.drop_table('sync_counter')
    op.drop_table('client_action')
    op.drop_table('crew_position')
    op.drop_table('work_order')
