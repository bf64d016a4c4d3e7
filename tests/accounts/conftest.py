from tests.accounts.login_helpers import fast_password_hasher, fresh_login_counters  # noqa: F401
