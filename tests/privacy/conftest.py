"""The privacy tests use the notification tests' fake FCM and devices (the full scenario greps every push)."""

from tests.notifications.conftest import _fcm_server, eager_celery, fcm, phone_of  # noqa: F401
