from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "backend.followup"
    label = "followup"
    verbose_name = "Tindak lanjut kontak"

    def ready(self) -> None:
        from backend.followup import handlers  # noqa: F401  (registers the reactions to recovery's events)
