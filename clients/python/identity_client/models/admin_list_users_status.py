from typing import Literal

AdminListUsersStatus = Literal["active", "deleted", "disabled", "locked"]

ADMIN_LIST_USERS_STATUS_VALUES: set[AdminListUsersStatus] = {
    "active",
    "deleted",
    "disabled",
    "locked",
}


def check_admin_list_users_status(value: str) -> AdminListUsersStatus:
    if value in ADMIN_LIST_USERS_STATUS_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {ADMIN_LIST_USERS_STATUS_VALUES!r}"
    )
