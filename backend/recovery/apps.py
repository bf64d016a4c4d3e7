from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "backend.recovery"
    label = "recovery"
    verbose_name = "Pemulihan"
