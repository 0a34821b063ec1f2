"""session generations: the refresh chain moves into the session row

Each login session keeps its current and previous refresh-token hash and a generation counter,
so a session occupies one row however often it refreshes; ``refresh_tokens`` goes away. Every
open session is carried over: its current token's hash becomes the session's current hash at
generation 0 (tokens issued before this revision carry no ``gen`` claim and are read as 0), so
nobody is signed out by the upgrade.

Revision ID: 0005_session_generations
Revises: 0004_email_normalisation
"""
from alembic import op
import sqlalchemy as sa


revision = "0005_session_generations"
down_revision = "0004_email_normalisation"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gen", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("current_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("previous_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("floor_gen", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("refreshed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("refresh_expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("access_expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("auth_time", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("amr", sa.String(length=64), nullable=False, server_default="pwd")
        )

    # Carry the chains over: the current token (never replaced) and the one it replaced.
    op.execute(
        """
        UPDATE login_sessions SET
            current_hash = (SELECT t.token_hash FROM refresh_tokens t
                            WHERE t.session_id = login_sessions.id AND t.replaced_at IS NULL
                            ORDER BY t.issued_at DESC LIMIT 1),
            refresh_expires_at = (SELECT t.expires_at FROM refresh_tokens t
                                  WHERE t.session_id = login_sessions.id
                                    AND t.replaced_at IS NULL
                                  ORDER BY t.issued_at DESC LIMIT 1),
            refreshed_at = (SELECT MAX(t.issued_at) FROM refresh_tokens t
                            WHERE t.session_id = login_sessions.id),
            previous_hash = (SELECT p.token_hash FROM refresh_tokens p
                             JOIN refresh_tokens c ON c.id = p.replaced_by
                             WHERE p.session_id = login_sessions.id
                               AND c.replaced_at IS NULL
                             ORDER BY p.replaced_at DESC LIMIT 1)
        """
    )
    # Without a record of the access tokens issued, the session's absolute end bounds them all.
    op.execute(
        """
        UPDATE login_sessions SET
            refreshed_at = COALESCE(refreshed_at, created_at),
            refresh_expires_at = COALESCE(refresh_expires_at, created_at),
            access_expires_at = expires_at,
            last_seen_at = COALESCE(refreshed_at, created_at),
            auth_time = created_at
        """
    )

    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        for name in (
            "refreshed_at",
            "refresh_expires_at",
            "access_expires_at",
            "last_seen_at",
            "auth_time",
        ):
            batch_op.alter_column(name, existing_type=sa.DateTime(), nullable=False)

    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_refresh_tokens_session_id")
    op.drop_table("refresh_tokens")


def downgrade():
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(), nullable=True),
        sa.Column("replaced_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["login_sessions.id"],
            name=op.f("fk_refresh_tokens_session_id_login_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_refresh_tokens_session_id", ["session_id"], unique=False)
    # The current token of each open session comes back as its one live row.
    op.execute(
        """
        INSERT INTO refresh_tokens (id, token_hash, session_id, user_id, issued_at, expires_at)
        SELECT current_hash, current_hash, id, user_id, refreshed_at, refresh_expires_at
        FROM login_sessions WHERE current_hash IS NOT NULL
        """
    )
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        for name in (
            "amr",
            "auth_time",
            "last_seen_at",
            "access_expires_at",
            "refresh_expires_at",
            "refreshed_at",
            "floor_gen",
            "previous_hash",
            "current_hash",
            "gen",
        ):
            batch_op.drop_column(name)
