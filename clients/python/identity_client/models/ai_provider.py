from typing import Literal

AiProvider = Literal[
    "anthropic", "azure_openai", "ollama", "openai", "openai_compatible"
]

AI_PROVIDER_VALUES: set[AiProvider] = {
    "anthropic",
    "azure_openai",
    "ollama",
    "openai",
    "openai_compatible",
}


def check_ai_provider(value: str) -> AiProvider:
    if value in AI_PROVIDER_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {AI_PROVIDER_VALUES!r}"
    )
