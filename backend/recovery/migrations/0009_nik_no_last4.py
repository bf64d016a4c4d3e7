"""No part of a NIK is kept: `nik_last4` (the serial, which with the village, birth date and sex rebuilt the whole
NIK) is blanked, then its column dropped. PostgreSQL's DROP COLUMN only hides the column, so the values are
blanked first (an UPDATE writes new row versions without them); the old row versions go with the next VACUUM
(autovacuum), and `VACUUM FULL recovery_client` after deploying rewrites the table at once. The reverse adds the
column back empty: the digits cannot come back."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("recovery", "0008_contact_attempts"),
    ]

    operations = [
        migrations.RunSQL(
            "UPDATE recovery_client SET nik_last4 = '' WHERE nik_last4 <> ''",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RemoveField(
            model_name="client",
            name="nik_last4",
        ),
    ]
