from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.documents_settings_document_namespace import (
    DocumentsSettingsDocumentNamespace,
    check_documents_settings_document_namespace,
)

if TYPE_CHECKING:
    from ..models.documents_settings import DocumentsSettings


T = TypeVar("T", bound="DocumentsSettingsDocument")


@_attrs_define
class DocumentsSettingsDocument:
    """The `documents` namespace's settings.

    Attributes:
        namespace (DocumentsSettingsDocumentNamespace):
        secrets_set (list[str]): The secret fields that hold a value.
        updated_at (datetime.datetime | None):
        updated_by (None | UUID):
        values (DocumentsSettings): The `documents` namespace's values as read: every field, defaults filled in (`null`:
            unset); secrets only as hints.
    """

    namespace: DocumentsSettingsDocumentNamespace
    secrets_set: list[str]
    updated_at: datetime.datetime | None
    updated_by: None | UUID
    values: DocumentsSettings

    def to_dict(self) -> dict[str, Any]:
        namespace: str = self.namespace

        secrets_set = self.secrets_set

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
        from ..models.documents_settings import DocumentsSettings

        d = dict(src_dict)
        namespace = check_documents_settings_document_namespace(d.pop("namespace"))

        secrets_set = cast(list[str], d.pop("secrets_set"))

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

        values = DocumentsSettings.from_dict(d.pop("values"))

        documents_settings_document = cls(
            namespace=namespace,
            secrets_set=secrets_set,
            updated_at=updated_at,
            updated_by=updated_by,
            values=values,
        )

        return documents_settings_document
