"""Villages: a district server serves many.

Kiosks, residents, requests, enrolment tokens and sessions belong to a village; what a
database already holds belongs to the demo village (the only one before), which is
added. Queue numbers and letter numbers count per village: tracking codes are unique
within a village, and the counters are renamed so numbering goes on where it was.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from apm_server import demo_data
from apm_server.schema import NAMING_CONVENTION

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES_IN_A_VILLAGE = ("kiosks", "residents", "requests", "enrolments", "sessions")


def upgrade() -> None:
    op.create_table(
        "villages",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("district", sa.Text, nullable=False),
        sa.Column("regency", sa.Text, nullable=False),
        sa.Column("province", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("head_name", sa.Text, nullable=False),
        sa.Column("services", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    village = demo_data.VILLAGE
    columns = ("code", "name", "district", "regency", "province", "address", "head_name")
    op.bulk_insert(
        sa.table(
            "villages", *(sa.column(name, sa.Text) for name in (*columns, "services", "created_at"))
        ),
        [
            {
                **{name: getattr(village, name) for name in columns},
                "services": json.dumps([service.code for service in demo_data.SERVICES]),
                "created_at": datetime.now(UTC).isoformat(),
            }
        ],
    )
    # Every row gets its village before the column may not be empty.
    for name in TABLES_IN_A_VILLAGE:
        op.add_column(name, sa.Column("village_code", sa.Text))
        table = sa.table(name, sa.column("village_code", sa.Text))
        op.execute(table.update().values(village_code=village.code))
    for name in TABLES_IN_A_VILLAGE:
        # SQLite alters a table by copying it; the convention names the first release's
        # unnamed UNIQUE(tracking_code) as revision 0001 named it on a new database.
        with op.batch_alter_table(name, naming_convention=NAMING_CONVENTION) as batch:
            batch.alter_column("village_code", existing_type=sa.Text, nullable=False)
            batch.create_foreign_key(
                f"fk_{name}_village_code_villages", "villages", ["village_code"], ["code"]
            )
            if name == "requests":
                batch.drop_constraint("uq_requests_tracking_code", type_="unique")
                batch.create_unique_constraint(
                    "uq_requests_village_code_tracking_code", ["village_code", "tracking_code"]
                )
    # A district's requests table is large: a citizen's open requests, the signer's queue
    # and the newest first are asked for all the time.
    for column in ("nik", "status", "created_at"):
        op.create_index(f"ix_requests_{column}", "requests", [column])
    _count_per_village(village.code)


def _count_per_village(code: str) -> None:
    """tracking-ddmmyy and letter-yyyy become tracking-{village}-ddmmyy and so on."""
    counters = sa.table("counters", sa.column("name", sa.Text))
    bind = op.get_bind()
    for (name,) in bind.execute(sa.select(counters.c.name)).all():
        old = re.fullmatch(r"(tracking|letter)-(\d+)", name)
        if old:
            renamed = f"{old[1]}-{code}-{old[2]}"
            bind.execute(counters.update().where(counters.c.name == name).values(name=renamed))


def downgrade() -> None:
    raise NotImplementedError("villages cannot be merged back: restore the backup made before")
