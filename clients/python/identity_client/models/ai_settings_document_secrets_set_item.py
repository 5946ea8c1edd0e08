from typing import Literal

AiSettingsDocumentSecretsSetItem = Literal["api_key"]

AI_SETTINGS_DOCUMENT_SECRETS_SET_ITEM_VALUES: set[AiSettingsDocumentSecretsSetItem] = {
    "api_key",
}


def check_ai_settings_document_secrets_set_item(
    value: str,
) -> AiSettingsDocumentSecretsSetItem:
    if value in AI_SETTINGS_DOCUMENT_SECRETS_SET_ITEM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {AI_SETTINGS_DOCUMENT_SECRETS_SET_ITEM_VALUES!r}"
    )
