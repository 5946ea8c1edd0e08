from typing import Literal

AdminCreateUserRolesType0Item = Literal["admin", "user"]

ADMIN_CREATE_USER_ROLES_TYPE_0_ITEM_VALUES: set[AdminCreateUserRolesType0Item] = {
    "admin",
    "user",
}


def check_admin_create_user_roles_type_0_item(
    value: str,
) -> AdminCreateUserRolesType0Item:
    if value in ADMIN_CREATE_USER_ROLES_TYPE_0_ITEM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {ADMIN_CREATE_USER_ROLES_TYPE_0_ITEM_VALUES!r}"
    )
