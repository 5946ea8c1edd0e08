from typing import Literal

MemberViewStatus = Literal["active", "deleted", "disabled", "locked"]

MEMBER_VIEW_STATUS_VALUES: set[MemberViewStatus] = {
    "active",
    "deleted",
    "disabled",
    "locked",
}


def check_member_view_status(value: str) -> MemberViewStatus:
    if value in MEMBER_VIEW_STATUS_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {MEMBER_VIEW_STATUS_VALUES!r}"
    )
