from enum import StrEnum


class AdminListUsersStatus(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"
    DISABLED = "disabled"
    LOCKED = "locked"

    def __str__(self) -> str:
        return str(self.value)
