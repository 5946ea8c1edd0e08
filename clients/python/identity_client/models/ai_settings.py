from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.ai_provider import AiProvider

T = TypeVar("T", bound="AiSettings")


@_attrs_define
class AiSettings:
    """The `ai` namespace's values as read: every field, defaults filled in (`null`: unset).

    Attributes:
        api_key (None | str): Never in clear: a hint (`sk-…abcd`), or `null` when unset. Example: sk-…abcd.
        base_url (None | str): `null`: the provider's public endpoint. Example: https://api.openai.com/v1.
        model (None | str):  Example: gpt-4o-mini.
        provider (AiProvider | None):
    """

    api_key: None | str
    base_url: None | str
    model: None | str
    provider: AiProvider | None

    def to_dict(self) -> dict[str, Any]:
        api_key: None | str
        api_key = self.api_key

        base_url: None | str
        base_url = self.base_url

        model: None | str
        model = self.model

        provider: None | str
        if isinstance(self.provider, AiProvider):
            provider = self.provider.value
        else:
            provider = self.provider

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

        def _parse_model(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        model = _parse_model(d.pop("model"))

        def _parse_provider(data: object) -> AiProvider | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                provider_type_0 = AiProvider(data)

                return provider_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AiProvider | None, data)

        provider = _parse_provider(d.pop("provider"))

        ai_settings = cls(
            api_key=api_key,
            base_url=base_url,
            model=model,
            provider=provider,
        )

        return ai_settings
