from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.ai_provider import AiProvider, check_ai_provider

T = TypeVar("T", bound="AiSettings")


@_attrs_define
class AiSettings:
    """The `ai` namespace's values as read: every field, defaults filled in (`null`: unset); secrets only as hints.

    Attributes:
        api_key (None | str): API key (secret)
        base_url (None | str): API base URL; unset uses the provider's public endpoint
        model (str): Model name Default: 'gpt-4o-mini'.
        provider (AiProvider): Which API the base URL speaks
    """

    api_key: None | str
    base_url: None | str
    provider: AiProvider
    model: str = "gpt-4o-mini"

    def to_dict(self) -> dict[str, Any]:
        api_key: None | str
        api_key = self.api_key

        base_url: None | str
        base_url = self.base_url

        model = self.model

        provider: str = self.provider

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "api_key": api_key,
                "base_url": base_url,
                "model": model,
                "provider": provider,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_api_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        api_key = _parse_api_key(d.pop("api_key"))

        def _parse_base_url(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        base_url = _parse_base_url(d.pop("base_url"))

        model = d.pop("model")

        provider = check_ai_provider(d.pop("provider"))

        ai_settings = cls(
            api_key=api_key,
            base_url=base_url,
            model=model,
            provider=provider,
        )

        return ai_settings
