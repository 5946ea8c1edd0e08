from enum import StrEnum


class AccountStatus(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"
    DISABLED = "disabled"
    LOCKED = "locked"

    def __str__(self) -> str:
        return str(self.value)
