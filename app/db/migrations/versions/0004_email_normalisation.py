"""email normalisation: stored addresses in the one form app.accounts.emails gives

Revision ID: 0004_email_normalisation
Revises: 0003_mail_outbox

Addresses were stored lower-cased in Unicode NFC; they are now NFKC, with the domain in its
IDNA ASCII form, so ``a@bücher.de``, ``a@xn--bcher-kva.de`` and a full-width spelling are
one account. Every address whose new form belongs to no other row is rewritten. Rows that
collide under the new form (one mailbox, several accounts) are left exactly as they are and
reported, one log line per mailbox naming the user ids, for an operator to merge or remove;
so are addresses the new rules refuse. No schema change, so the downgrade does nothing.
"""

import logging
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from app.accounts.emails import normalize_email

# revision identifiers, used by Alembic.
revision = "0004_email_normalisation"
down_revision = "0003_mail_outbox"
branch_labels = None
depends_on = None

log = logging.getLogger("gatehouse.migrations")

users = sa.table("users", sa.column("id", sa.Integer), sa.column("email", sa.String))


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.email)).all()
    by_address = defaultdict(list)
    for user_id, email in rows:
        address = normalize_email(email)
        if address is None:
            log.warning(
                "email_normalisation unusable address user=%s: left as it is", user_id
            )
            continue
        by_address[address].append((user_id, email))
    for address, owners in sorted(by_address.items()):
        if len(owners) > 1:
            log.warning(
                "email_normalisation duplicate mailbox=%s users=%s: left as they are; "
                "merge or remove all but one account",
                address,
                ",".join(str(user_id) for user_id, _ in sorted(owners)),
            )
            continue
        ((user_id, email),) = owners
        if email != address:
            connection.execute(users.update().where(users.c.id == user_id).values(email=address))


def downgrade():
    pass  # the old form cannot be recovered, and the new one is valid under the old rules
