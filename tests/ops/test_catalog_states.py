"""The state enums spell exactly what existing catalogs hold: a renamed value would strand
every row written before the upgrade."""

from __future__ import annotations

import re

import pytest

from core.catalog import INTEGRITY_ERRORS, Dialect, dialect_of
from core.catalog.states import AccountState, FairUseState, JobState

pytestmark = pytest.mark.both_engines


def allowed_by_schema(catalog, table: str, column: str) -> set[str]:
    """The values the column's CHECK constraint in the migrated schema admits."""
    if dialect_of(catalog) is Dialect.POSTGRESQL:
        [spelled] = [
            row[0]
            for row in catalog.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = CAST(? AS regclass) AND contype = 'c'",
                [table],
            )
            if f"({column} = ANY" in row[0]
        ]
        return set(re.findall(r"'([^']*)'::text", spelled))
    [sql] = [
        row[0] for row in catalog.execute("SELECT sql FROM sqlite_master WHERE name = ?", [table])
    ]
    [spelled] = re.findall(rf"CHECK \({column} IN \(([^)]*)\)\)", sql)
    return {value.strip().strip("'") for value in spelled.split(",")}


@pytest.mark.parametrize(
    ("enum", "table", "column"),
    [(FairUseState, "cameras", "fairuse_state"), (AccountState, "users", "state")],
)
def test_state_enum_matches_the_schemas_check_constraint(catalog, enum, table, column):
    assert {state.value for state in enum} == allowed_by_schema(catalog, table, column)


def test_a_stored_state_reads_back_as_its_enum_member(catalog, make_user):
    user = make_user()
    catalog.execute("UPDATE users SET state = ? WHERE id = ?", [AccountState.PAUSED, user["id"]])
    [stored] = catalog.execute("SELECT state FROM users WHERE id = ?", [user["id"]]).fetchone()
    assert stored == "paused" and AccountState(stored) is AccountState.PAUSED


def test_job_states_keep_the_spellings_existing_catalogs_hold():
    # jobs.state has no CHECK constraint, so the spellings are pinned here.
    assert [state.value for state in JobState] == [
        "received",
        "validated",
        "indexed",
        "rejected",
        "quarantined",
        "delayed",
        "failed",
        "analysing",
        "analysed",
    ]


def test_the_schema_refuses_a_state_outside_the_enum(catalog, make_user):
    user = make_user()
    with pytest.raises(INTEGRITY_ERRORS):
        catalog.execute("UPDATE users SET state = 'frozen' WHERE id = ?", [user["id"]])
