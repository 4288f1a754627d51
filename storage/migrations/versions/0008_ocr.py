"""ocr_pages: each page read by OCR, by the bytes it was read from; ocr_documents: each document's
OCR (progress, outcome, the engine and its mean confidence)

Revision ID: 0008
Revises: 0004

A page is keyed by the SHA-256 of the body it was read from (a PDF, or a page picture) and its
number in it, like bodies themselves: the same scan at two URLs, or captured again, is read once,
and an OCR run stopped half-way (a crash, a restart) resumes at the first page not stored.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ocr_pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('engine', sa.String(length=100), nullable=False),
    sa.Column('dpi', sa.Integer(), nullable=False),
    sa.Column('width', sa.Float(), nullable=False),
    sa.Column('height', sa.Float(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source_sha256', 'page', name='uq_ocr_pages_source_page')
    )
    op.create_table('ocr_documents',
    sa.Column('capture_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('pages_total', sa.Integer(), nullable=False),
    sa.Column('pages_done', sa.Integer(), nullable=False),
    sa.Column('pages_failed', sa.Integer(), nullable=False),
    sa.Column('engine', sa.String(length=100), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['capture_id'], ['captures.id'], ),
    sa.PrimaryKeyConstraint('capture_id')
    )
    with op.batch_alter_table('ocr_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ocr_documents_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ocr_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ocr_documents_status'))
    op.drop_table('ocr_documents')
    op.drop_table('ocr_pages')
