"""the account's life: the person's language, known-browser epoch, address of a mail link

Revision ID: 0007_account_life
Revises: 0006_strong_signin
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007_account_life"
down_revision = "0006_strong_signin"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("known_browsers_epoch", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("email_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))


def downgrade():
    with op.batch_alter_table("email_tokens", schema=None) as batch_op:
        batch_op.drop_column("email")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("known_browsers_epoch")
        batch_op.drop_column("locale")
