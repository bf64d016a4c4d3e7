"""Statement-level triggers that mark roll-up rows stale when a write touches a closed month
(backend/reports/rollup_triggers.py says which writes and why)."""

from django.db import migrations

from backend.reports.rollup_triggers import create_sql, drop_sql


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_rollup"),
        ("recovery", "0014_client_village_prefix_covers_id"),
        ("escalations", "0006_routing_tiers_and_needs"),
        ("tasks", "0003_priority_cap_quota"),
        ("villages", "0004_facility_ipwl_designation_working_area"),
    ]

    operations = [migrations.RunSQL(create_sql(), reverse_sql=drop_sql())]
