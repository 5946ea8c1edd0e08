from enum import StrEnum


class PreferencesNotificationsDigest(StrEnum):
    DAILY = "daily"
    NEVER = "never"
    WEEKLY = "weekly"

    def __str__(self) -> str:
        return str(self.value)
