from typing import Literal

PreferencesNotificationsDigest = Literal["daily", "never", "weekly"]

PREFERENCES_NOTIFICATIONS_DIGEST_VALUES: set[PreferencesNotificationsDigest] = {
    "daily",
    "never",
    "weekly",
}


def check_preferences_notifications_digest(
    value: str,
) -> PreferencesNotificationsDigest:
    if value in PREFERENCES_NOTIFICATIONS_DIGEST_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {PREFERENCES_NOTIFICATIONS_DIGEST_VALUES!r}"
    )
