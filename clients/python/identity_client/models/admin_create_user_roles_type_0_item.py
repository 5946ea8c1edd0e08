from enum import StrEnum


class AdminCreateUserRolesType0Item(StrEnum):
    ADMIN = "admin"
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)
