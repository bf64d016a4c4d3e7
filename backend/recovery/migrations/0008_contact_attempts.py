# Contact attempts, and the client's last contact (backfilled from the visits already stored: a visit is a
# contact, so the follow-up sweep does not take every existing client for one never seen).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('recovery', '0007_consent_ledger_append_only'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='client',
            name='last_contact_at',
            field=models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='kontak terakhir'),
        ),
        migrations.AddField(
            model_name='client',
            name='phone_flagged',
            field=models.BooleanField(default=False, verbose_name='nomor HP perlu diperbaiki'),
        ),
        migrations.CreateModel(
            name='ContactAttempt',
            fields=[
                ('id', models.UUIDField(editable=False, primary_key=True, serialize=False)),
                ('occurred_at', models.DateTimeField(verbose_name='waktu upaya kontak (perangkat)')),
                ('received_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='diterima server')),
                ('channel', models.CharField(choices=[('phone_call', 'Telepon'), ('home_visit', 'Kunjungan rumah'), ('via_family', 'Melalui keluarga'), ('via_village_official', 'Melalui aparatur desa'), ('message', 'Pesan')], max_length=24, verbose_name='saluran')),
                ('result', models.CharField(choices=[('reached', 'Terhubung'), ('no_answer', 'Tidak ada jawaban'), ('wrong_number', 'Nomor salah'), ('refused', 'Menolak'), ('moved_away', 'Pindah'), ('in_hospital', 'Dirawat di rumah sakit'), ('in_prison', 'Di lembaga pemasyarakatan'), ('deceased', 'Meninggal')], max_length=16, verbose_name='hasil')),
                ('note', models.CharField(blank=True, max_length=280, verbose_name='catatan singkat')),
                ('payload_hash', models.CharField(max_length=64)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='contact_attempts', to='recovery.client')),
                ('logged_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'upaya kontak',
                'verbose_name_plural': 'upaya kontak',
                'indexes': [models.Index(fields=['client', 'occurred_at'], name='contact_client_time_idx')],
            },
        ),
        migrations.RunSQL(
            sql=(
                "UPDATE recovery_client c SET last_contact_at = v.latest "
                "FROM (SELECT client_id, max(occurred_at) AS latest FROM recovery_visit GROUP BY client_id) v "
                "WHERE c.id = v.client_id"
            ),
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
