from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("villages", "0002_drop_duplicate_code_index"),
    ]

    # Village search filters `UPPER(name) LIKE UPPER('%q%')` (Django's icontains): a trigram GIN index on
    # UPPER(name) answers it instead of a scan of ~84,000 villages. pg_trgm is a trusted extension
    # (PostgreSQL 13+): the database owner may create it without superuser rights.
    operations = [
        TrigramExtension(),
        migrations.RunSQL(
            "CREATE INDEX region_name_trgm_idx ON villages_region USING gin (UPPER(name) gin_trgm_ops)",
            reverse_sql="DROP INDEX region_name_trgm_idx",
        ),
    ]
