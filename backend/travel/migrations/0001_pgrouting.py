"""pgRouting in the database, or a clear error: routing by travel time runs pgr_dijkstra inside PostgreSQL."""

from django.db import migrations


def create_pgrouting(apps, schema_editor):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pgrouting'")
        if cursor.fetchone():
            return
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting'")
        if not cursor.fetchone():
            raise RuntimeError(
                "pgRouting is not installed on this PostgreSQL server: install the package "
                "postgresql-<version>-pgrouting (Debian: apt-get install postgresql-15-pgrouting), "
                "then migrate again. Pulih's travel-time routing needs it (backend/travel)."
            )
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")


class Migration(migrations.Migration):
    dependencies: list = []

    operations = [migrations.RunPython(create_pgrouting, migrations.RunPython.noop)]
