from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "backend.escalations"
    label = "escalations"
    verbose_name = "Eskalasi"
