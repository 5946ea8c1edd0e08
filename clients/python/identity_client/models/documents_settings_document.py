from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.documents_settings_document_namespace import (
    DocumentsSettingsDocumentNamespace,
)
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.documents_settings import DocumentsSettings


T = TypeVar("T", bound="DocumentsSettingsDocument")


@_attrs_define
class DocumentsSettingsDocument:
    """A namespace's settings (what `SettingsDocument` holds for `documents`).

    Attributes:
        namespace (DocumentsSettingsDocumentNamespace):
        secrets_set (list[str]): Always empty: the namespace has no secrets.
        values (DocumentsSettings): The `documents` namespace's values as read: every field, defaults filled in.
        updated_at (datetime.datetime | None | Unset):
        updated_by (None | Unset | UUID):
    """

    namespace: DocumentsSettingsDocumentNamespace
    secrets_set: list[str]
    values: DocumentsSettings
    updated_at: datetime.datetime | None | Unset = UNSET
    updated_by: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        namespace = self.namespace.value

        secrets_set = self.secrets_set

        values = self.values.to_dict()

        updated_at: None | str | Unset
        if isinstance(self.updated_at, Unset):
            updated_at = UNSET
        elif isinstance(self.updated_at, datetime.datetime):
            updated_at = self.updated_at.isoformat()
        else:
            updated_at = self.updated_at

        updated_by: None | str | Unset
        if isinstance(self.updated_by, Unset):
            updated_by = UNSET
        elif isinstance(self.updated_by, UUID):
            updated_by = str(self.updated_by)
        else:
            updated_by = self.updated_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "namespace": namespace,
                "secrets_set": secrets_set,
                "values": values,
            }
        )
        if updated_at is not UNSET:
            field_dict["updated_at"] = updated_at
        if updated_by is not UNSET:
            field_dict["updated_by"] = updated_by

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.documents_settings import DocumentsSettings

        d = dict(src_dict)
        namespace = DocumentsSettingsDocumentNamespace(d.pop("namespace"))

        secrets_set = cast(list[str], d.pop("secrets_set"))

        values = DocumentsSettings.from_dict(d.pop("values"))

        def _parse_updated_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                updated_at_type_0 = datetime.datetime.fromisoformat(data)

                return updated_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        updated_at = _parse_updated_at(d.pop("updated_at", UNSET))

        def _parse_updated_by(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                updated_by_type_0 = UUID(data)

                return updated_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        updated_by = _parse_updated_by(d.pop("updated_by", UNSET))

        documents_settings_document = cls(
            namespace=namespace,
            secrets_set=secrets_set,
            values=values,
            updated_at=updated_at,
            updated_by=updated_by,
        )

        documents_settings_document.additional_properties = d
        return documents_settings_document

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
