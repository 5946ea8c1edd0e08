from typing import Literal

AdminUserPatchRolesType0Item = Literal["admin", "user"]

ADMIN_USER_PATCH_ROLES_TYPE_0_ITEM_VALUES: set[AdminUserPatchRolesType0Item] = {
    "admin",
    "user",
}


def check_admin_user_patch_roles_type_0_item(
    value: str,
) -> AdminUserPatchRolesType0Item:
    if value in ADMIN_USER_PATCH_ROLES_TYPE_0_ITEM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {ADMIN_USER_PATCH_ROLES_TYPE_0_ITEM_VALUES!r}"
    )
