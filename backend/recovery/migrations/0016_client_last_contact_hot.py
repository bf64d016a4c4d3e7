"""Make the UPDATE of a client's last contact (recovery.models.clients_seen, run by every upload of visits) a HOT
update: the index on `last_contact_at` goes (nothing searched or ordered clients by it), and the table keeps 20%
of each page free (fillfactor 80), where PostgreSQL puts the row's new version without touching any of its
indexes (about 17 entries per client per upload otherwise).

The fillfactor applies to pages written from now on; the pages of a table already filled gain room as their rows
are updated and pruned, or at once by a rewrite (VACUUM FULL recovery_client, or pg_repack without the lock), then a
plain VACUUM: a rewrite leaves the visibility map empty, and the coordinators' index-only scans of clients (the
area index) fetch every row from the heap until it is set (a province's GET /clients 100 -> 500 ms, measured)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recovery", "0015_client_village_prefix_covers_created_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="client",
            name="last_contact_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="kontak terakhir"),
        ),
        migrations.RunSQL(
            "ALTER TABLE recovery_client SET (fillfactor = 80)",
            reverse_sql="ALTER TABLE recovery_client RESET (fillfactor)",
        ),
    ]
