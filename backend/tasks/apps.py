from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "backend.tasks"
    label = "tasks"
    verbose_name = "Tugas lapangan"

    def ready(self) -> None:
        from backend.tasks import handlers  # noqa: F401  (registers the reactions to recovery's events)
