from enum import StrEnum


class NotificationsPreferencesPatchDigestType0(StrEnum):
    DAILY = "daily"
    NEVER = "never"
    WEEKLY = "weekly"

    def __str__(self) -> str:
        return str(self.value)
