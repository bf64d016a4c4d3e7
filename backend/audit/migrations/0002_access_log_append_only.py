"""The access log is append-only in the database itself, not only through the API and the admin: an UPDATE or a
DELETE of a row raises. (TRUNCATE, used by test teardown and a deliberate purge, is not row-level.)"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_accesslog is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_accesslog_append_only
    BEFORE UPDATE OR DELETE ON audit_accesslog
    FOR EACH ROW EXECUTE FUNCTION audit_accesslog_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_accesslog_append_only ON audit_accesslog;
DROP FUNCTION IF EXISTS audit_accesslog_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
