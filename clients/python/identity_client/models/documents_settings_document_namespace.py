from enum import StrEnum


class DocumentsSettingsDocumentNamespace(StrEnum):
    DOCUMENTS = "documents"

    def __str__(self) -> str:
        return str(self.value)
