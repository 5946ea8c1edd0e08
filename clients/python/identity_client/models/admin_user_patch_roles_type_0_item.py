from enum import StrEnum


class AdminUserPatchRolesType0Item(StrEnum):
    ADMIN = "admin"
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)
