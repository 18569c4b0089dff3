"""Endpoints for remission with or without count recovery and grade 3+ adverse events.

Leukaemia trials report "CR or CRi" (complete remission with or without blood count
recovery), which is neither ORR nor CRR; pivotal trials and labels report the share of
patients with any (or any treatment-related) adverse event of grade 3 or higher.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from db.migrations.run_sql import run_sql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UPGRADE = r"""
INSERT INTO endpoints (code, name, kind, description) VALUES
    ('CR_CRI', 'Complete remission with or without count recovery', 'rate',
     'Share of patients in complete remission, with or without full recovery of blood counts (CR or CRi), as leukaemia trials report it.'),
    ('AE_G3', 'Adverse events, grade 3 or higher', 'safety_rate',
     'Share of treated patients with at least one adverse event of grade 3 or higher, of any cause.'),
    ('TRAE_G3', 'Treatment-related adverse events, grade 3 or higher', 'safety_rate',
     'Share of treated patients with at least one adverse event of grade 3 or higher that the investigators attributed to treatment.');
"""

DOWNGRADE = r"""
DELETE FROM endpoints WHERE code IN ('CR_CRI', 'AE_G3', 'TRAE_G3');
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
