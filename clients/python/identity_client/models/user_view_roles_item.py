from typing import Literal

UserViewRolesItem = Literal["admin", "user"]

USER_VIEW_ROLES_ITEM_VALUES: set[UserViewRolesItem] = {
    "admin",
    "user",
}


def check_user_view_roles_item(value: str) -> UserViewRolesItem:
    if value in USER_VIEW_ROLES_ITEM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {USER_VIEW_ROLES_ITEM_VALUES!r}"
    )
