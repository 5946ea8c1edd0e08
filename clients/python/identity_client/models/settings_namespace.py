from enum import StrEnum


class SettingsNamespace(StrEnum):
    AI = "ai"
    DOCUMENTS = "documents"

    def __str__(self) -> str:
        return str(self.value)
