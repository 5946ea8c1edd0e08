from enum import StrEnum


class AiSettingsDocumentNamespace(StrEnum):
    AI = "ai"

    def __str__(self) -> str:
        return str(self.value)
