"""The ledger is append-only: the database itself rejects UPDATE and DELETE on it."""

from django.db import migrations

SQLITE_UP = [
    """CREATE TRIGGER cases_ledgerentry_no_update BEFORE UPDATE ON cases_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'the case ledger is append-only'); END""",
    """CREATE TRIGGER cases_ledgerentry_no_delete BEFORE DELETE ON cases_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'the case ledger is append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS cases_ledgerentry_no_update",
    "DROP TRIGGER IF EXISTS cases_ledgerentry_no_delete",
]
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION cases_ledgerentry_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'the case ledger is append-only'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER cases_ledgerentry_no_change BEFORE UPDATE OR DELETE ON cases_ledgerentry
       FOR EACH ROW EXECUTE FUNCTION cases_ledgerentry_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS cases_ledgerentry_no_change ON cases_ledgerentry",
    "DROP FUNCTION IF EXISTS cases_ledgerentry_append_only()",
]


def up(apps, schema_editor):
    statements = POSTGRES_UP if schema_editor.connection.vendor == "postgresql" else SQLITE_UP
    for sql in statements:
        schema_editor.execute(sql)


def down(apps, schema_editor):
    statements = POSTGRES_DOWN if schema_editor.connection.vendor == "postgresql" else SQLITE_DOWN
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
