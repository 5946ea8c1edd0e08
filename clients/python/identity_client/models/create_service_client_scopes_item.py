from typing import Literal

CreateServiceClientScopesItem = Literal[
    "settings:read:ai", "settings:read:documents", "tokens:introspect", "users:read"
]

CREATE_SERVICE_CLIENT_SCOPES_ITEM_VALUES: set[CreateServiceClientScopesItem] = {
    "settings:read:ai",
    "settings:read:documents",
    "tokens:introspect",
    "users:read",
}


def check_create_service_client_scopes_item(
    value: str,
) -> CreateServiceClientScopesItem:
    if value in CREATE_SERVICE_CLIENT_SCOPES_ITEM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {CREATE_SERVICE_CLIENT_SCOPES_ITEM_VALUES!r}"
    )
