from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "backend.escalations"
    label = "escalations"
    verbose_name = "Eskalasi"

    def ready(self) -> None:
        from backend.escalations import handlers  # noqa: F401  (registers the reactions to recovery's events)
