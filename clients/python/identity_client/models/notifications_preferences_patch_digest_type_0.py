from typing import Literal

NotificationsPreferencesPatchDigestType0 = Literal["daily", "never", "weekly"]

NOTIFICATIONS_PREFERENCES_PATCH_DIGEST_TYPE_0_VALUES: set[
    NotificationsPreferencesPatchDigestType0
] = {
    "daily",
    "never",
    "weekly",
}


def check_notifications_preferences_patch_digest_type_0(
    value: str,
) -> NotificationsPreferencesPatchDigestType0:
    if value in NOTIFICATIONS_PREFERENCES_PATCH_DIGEST_TYPE_0_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {NOTIFICATIONS_PREFERENCES_PATCH_DIGEST_TYPE_0_VALUES!r}"
    )
