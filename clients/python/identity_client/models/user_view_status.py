from typing import Literal

UserViewStatus = Literal["active", "deleted", "disabled", "locked"]

USER_VIEW_STATUS_VALUES: set[UserViewStatus] = {
    "active",
    "deleted",
    "disabled",
    "locked",
}


def check_user_view_status(value: str) -> UserViewStatus:
    if value in USER_VIEW_STATUS_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {USER_VIEW_STATUS_VALUES!r}"
    )
