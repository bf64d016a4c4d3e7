"""The Django admin (Bahasa Indonesia) of the accounts and of the map they are scoped by.

users.py: users, role assignments, certificates, the user import. regions.py: regions and facilities (it lives
here, not in villages, because a coordinator's admin view is scoped by their role assignments, and villages sits
below accounts). Importing both registers them with the admin site.
"""

from backend.accounts.admin import regions, users

__all__ = ["regions", "users"]
