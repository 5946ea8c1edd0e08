from typing import Literal

AiSettingsDocumentNamespace = Literal["ai"]

AI_SETTINGS_DOCUMENT_NAMESPACE_VALUES: set[AiSettingsDocumentNamespace] = {
    "ai",
}


def check_ai_settings_document_namespace(value: str) -> AiSettingsDocumentNamespace:
    if value in AI_SETTINGS_DOCUMENT_NAMESPACE_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {AI_SETTINGS_DOCUMENT_NAMESPACE_VALUES!r}"
    )
