"""signatures: a MinHash per publication text, for near-duplicate detection; job_state: resumable jobs

Revision ID: 0004
Revises: 0002

Signatures of documents stored before this migration do not exist: parsing the captures again
(`govreports reparse --all`) writes them, and `govreports dedup` then re-checks the collection.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.Column('report_year', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('publication_id', 'content_sha256', name='uq_signatures_publication_content')
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signatures_content_sha256'), ['content_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_signatures_publication_id'), ['publication_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signatures_report_id'), ['report_id'], unique=False)

    op.create_table('job_state',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('job_state')
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signatures_report_id'))
        batch_op.drop_index(batch_op.f('ix_signatures_publication_id'))
        batch_op.drop_index(batch_op.f('ix_signatures_content_sha256'))
    op.drop_table('signatures')
