from typing import Literal

UpdateServiceClientScopesType0Item = Literal[
    "settings:read:ai", "settings:read:documents", "tokens:introspect", "users:read"
]

UPDATE_SERVICE_CLIENT_SCOPES_TYPE_0_ITEM_VALUES: set[
    UpdateServiceClientScopesType0Item
] = {
    "settings:read:ai",
    "settings:read:documents",
    "tokens:introspect",
    "users:read",
}


def check_update_service_client_scopes_type_0_item(
    value: str,
) -> UpdateServiceClientScopesType0Item:
    if value in UPDATE_SERVICE_CLIENT_SCOPES_TYPE_0_ITEM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {UPDATE_SERVICE_CLIENT_SCOPES_TYPE_0_ITEM_VALUES!r}"
    )
