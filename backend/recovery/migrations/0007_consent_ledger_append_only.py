"""The consent ledger is append-only in the database itself, as the access log is: a consent event is never
changed or deleted (a withdrawal is a new event). An UPDATE or DELETE of a row raises. (TRUNCATE, used by test
teardown, is not row-level.)"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION recovery_consent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'recovery_consent is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER recovery_consent_append_only
    BEFORE UPDATE OR DELETE ON recovery_consent
    FOR EACH ROW EXECUTE FUNCTION recovery_consent_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS recovery_consent_append_only ON recovery_consent;
DROP FUNCTION IF EXISTS recovery_consent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("recovery", "0006_status_change_client_at_index")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
