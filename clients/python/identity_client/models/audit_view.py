from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.audit_view_metadata import AuditViewMetadata


T = TypeVar("T", bound="AuditView")


@_attrs_define
class AuditView:
    """One security event.

    Attributes:
        action (str): `user.registered`, `user.verified`, `login.succeeded`, `login.failed`, `account.locked`,
            `session.revoked`, `session.refresh_reused`, `device.removed`, `password.changed`,
            `password.reset`, `password.reset_requested`, `email.change_requested`, `email.changed`. Example: login.failed.
        created_at (datetime.datetime):
        id (int):
        metadata (AuditViewMetadata): Details of the event, by action (e.g. `{"reason": "wrong_password"}` for
            `login.failed`, `{"namespace": "ai", "ok": true, "status": 200}` for a settings test): an object of JSON values,
            never a secret; `{}` when there is nothing to add.
        actor_id (None | Unset | UUID): Who did it (`null`: not signed in, or the system).
        ip (None | str | Unset):
        subject_id (None | Unset | UUID): Whose account it concerns.
        user_agent (None | str | Unset):
    """

    action: str
    created_at: datetime.datetime
    id: int
    metadata: AuditViewMetadata
    actor_id: None | Unset | UUID = UNSET
    ip: None | str | Unset = UNSET
    subject_id: None | Unset | UUID = UNSET
    user_agent: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        action = self.action

        created_at = self.created_at.isoformat()

        id = self.id

        metadata = self.metadata.to_dict()

        actor_id: None | str | Unset
        if isinstance(self.actor_id, Unset):
            actor_id = UNSET
        elif isinstance(self.actor_id, UUID):
            actor_id = str(self.actor_id)
        else:
            actor_id = self.actor_id

        ip: None | str | Unset
        if isinstance(self.ip, Unset):
            ip = UNSET
        else:
            ip = self.ip

        subject_id: None | str | Unset
        if isinstance(self.subject_id, Unset):
            subject_id = UNSET
        elif isinstance(self.subject_id, UUID):
            subject_id = str(self.subject_id)
        else:
            subject_id = self.subject_id

        user_agent: None | str | Unset
        if isinstance(self.user_agent, Unset):
            user_agent = UNSET
        else:
            user_agent = self.user_agent

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "created_at": created_at,
                "id": id,
                "metadata": metadata,
            }
        )
        if actor_id is not UNSET:
            field_dict["actor_id"] = actor_id
        if ip is not UNSET:
            field_dict["ip"] = ip
        if subject_id is not UNSET:
            field_dict["subject_id"] = subject_id
        if user_agent is not UNSET:
            field_dict["user_agent"] = user_agent

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.audit_view_metadata import AuditViewMetadata

        d = dict(src_dict)
        action = d.pop("action")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = d.pop("id")

        metadata = AuditViewMetadata.from_dict(d.pop("metadata"))

        def _parse_actor_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                actor_id_type_0 = UUID(data)

                return actor_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        actor_id = _parse_actor_id(d.pop("actor_id", UNSET))

        def _parse_ip(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ip = _parse_ip(d.pop("ip", UNSET))

        def _parse_subject_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                subject_id_type_0 = UUID(data)

                return subject_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        subject_id = _parse_subject_id(d.pop("subject_id", UNSET))

        def _parse_user_agent(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_agent = _parse_user_agent(d.pop("user_agent", UNSET))

        audit_view = cls(
            action=action,
            created_at=created_at,
            id=id,
            metadata=metadata,
            actor_id=actor_id,
            ip=ip,
            subject_id=subject_id,
            user_agent=user_agent,
        )

        audit_view.additional_properties = d
        return audit_view

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
