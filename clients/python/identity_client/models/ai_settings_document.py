from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.ai_settings_document_namespace import (
    AiSettingsDocumentNamespace,
    check_ai_settings_document_namespace,
)
from ..models.ai_settings_document_secrets_set_item import (
    AiSettingsDocumentSecretsSetItem,
    check_ai_settings_document_secrets_set_item,
)

if TYPE_CHECKING:
    from ..models.ai_settings import AiSettings


T = TypeVar("T", bound="AiSettingsDocument")


@_attrs_define
class AiSettingsDocument:
    """The `ai` namespace's settings.

    Attributes:
        namespace (AiSettingsDocumentNamespace):
        secrets_set (list[AiSettingsDocumentSecretsSetItem]): The secret fields that hold a value.
        updated_at (datetime.datetime | None):
        updated_by (None | UUID):
        values (AiSettings): The `ai` namespace's values as read: every field, defaults filled in (`null`: unset);
            secrets only as hints.
    """

    namespace: AiSettingsDocumentNamespace
    secrets_set: list[AiSettingsDocumentSecretsSetItem]
    updated_at: datetime.datetime | None
    updated_by: None | UUID
    values: AiSettings

    def to_dict(self) -> dict[str, Any]:
        namespace: str = self.namespace

        secrets_set = []
        for secrets_set_item_data in self.secrets_set:
            secrets_set_item: str = secrets_set_item_data
            secrets_set.append(secrets_set_item)

        updated_at: None | str
        if isinstance(self.updated_at, datetime.datetime):
            updated_at = self.updated_at.isoformat()
        else:
            updated_at = self.updated_at

        updated_by: None | str
        if isinstance(self.updated_by, UUID):
            updated_by = str(self.updated_by)
        else:
            updated_by = self.updated_by

        values = self.values.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "namespace": namespace,
                "secrets_set": secrets_set,
                "updated_at": updated_at,
                "updated_by": updated_by,
                "values": values,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.ai_settings import AiSettings

        d = dict(src_dict)
        namespace = check_ai_settings_document_namespace(d.pop("namespace"))

        secrets_set = []
        _secrets_set = d.pop("secrets_set")
        for secrets_set_item_data in _secrets_set:
            secrets_set_item = check_ai_settings_document_secrets_set_item(
                secrets_set_item_data
            )

            secrets_set.append(secrets_set_item)

        def _parse_updated_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                updated_at_type_0 = datetime.datetime.fromisoformat(data)

                return updated_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        updated_at = _parse_updated_at(d.pop("updated_at"))

        def _parse_updated_by(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                updated_by_type_0 = UUID(data)

                return updated_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        updated_by = _parse_updated_by(d.pop("updated_by"))

        values = AiSettings.from_dict(d.pop("values"))

        ai_settings_document = cls(
            namespace=namespace,
            secrets_set=secrets_set,
            updated_at=updated_at,
            updated_by=updated_by,
            values=values,
        )

        return ai_settings_document
