from typing import Literal

DocumentsSettingsDocumentNamespace = Literal["documents"]

DOCUMENTS_SETTINGS_DOCUMENT_NAMESPACE_VALUES: set[
    DocumentsSettingsDocumentNamespace
] = {
    "documents",
}


def check_documents_settings_document_namespace(
    value: str,
) -> DocumentsSettingsDocumentNamespace:
    if value in DOCUMENTS_SETTINGS_DOCUMENT_NAMESPACE_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {DOCUMENTS_SETTINGS_DOCUMENT_NAMESPACE_VALUES!r}"
    )
