from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SessionView")


@_attrs_define
class SessionView:
    """A signed-in session.

    Attributes:
        aal (int): The assurance level `amr` reaches: 1 (one factor) or 2 (a second factor). Example: 2.
        amr (list[str]): How the user proved who they are (RFC 8176: `pwd`, `otp`, `recovery`, `webauthn`), at
            sign-in or at the latest re-authentication. Example: ['pwd', 'otp'].
        auth_time (datetime.datetime): When the user last proved who they are (sign-in or re-authentication); sensitive
            changes need this within `REAUTH_MAX_AGE_SECONDS`.
        created_at (datetime.datetime):
        expires_at (datetime.datetime):
        id (UUID):
        last_seen_at (datetime.datetime):
        device_id (None | Unset | UUID): The device the session belongs to; send it back as `device.id` at the next
            login from
            the same browser or app.
        ip (None | str | Unset):  Example: 203.0.113.7.
        user_agent (None | str | Unset):
    """

    aal: int
    amr: list[str]
    auth_time: datetime.datetime
    created_at: datetime.datetime
    expires_at: datetime.datetime
    id: UUID
    last_seen_at: datetime.datetime
    device_id: None | Unset | UUID = UNSET
    ip: None | str | Unset = UNSET
    user_agent: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        aal = self.aal

        amr = self.amr

        auth_time = self.auth_time.isoformat()

        created_at = self.created_at.isoformat()

        expires_at = self.expires_at.isoformat()

        id = str(self.id)

        last_seen_at = self.last_seen_at.isoformat()

        device_id: None | str | Unset
        if isinstance(self.device_id, Unset):
            device_id = UNSET
        elif isinstance(self.device_id, UUID):
            device_id = str(self.device_id)
        else:
            device_id = self.device_id

        ip: None | str | Unset
        if isinstance(self.ip, Unset):
            ip = UNSET
        else:
            ip = self.ip

        user_agent: None | str | Unset
        if isinstance(self.user_agent, Unset):
            user_agent = UNSET
        else:
            user_agent = self.user_agent

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "aal": aal,
                "amr": amr,
                "auth_time": auth_time,
                "created_at": created_at,
                "expires_at": expires_at,
                "id": id,
                "last_seen_at": last_seen_at,
            }
        )
        if device_id is not UNSET:
            field_dict["device_id"] = device_id
        if ip is not UNSET:
            field_dict["ip"] = ip
        if user_agent is not UNSET:
            field_dict["user_agent"] = user_agent

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        aal = d.pop("aal")

        amr = cast(list[str], d.pop("amr"))

        auth_time = datetime.datetime.fromisoformat(d.pop("auth_time"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        id = UUID(d.pop("id"))

        last_seen_at = datetime.datetime.fromisoformat(d.pop("last_seen_at"))

        def _parse_device_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                device_id_type_0 = UUID(data)

                return device_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        device_id = _parse_device_id(d.pop("device_id", UNSET))

        def _parse_ip(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ip = _parse_ip(d.pop("ip", UNSET))

        def _parse_user_agent(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_agent = _parse_user_agent(d.pop("user_agent", UNSET))

        session_view = cls(
            aal=aal,
            amr=amr,
            auth_time=auth_time,
            created_at=created_at,
            expires_at=expires_at,
            id=id,
            last_seen_at=last_seen_at,
            device_id=device_id,
            ip=ip,
            user_agent=user_agent,
        )

        session_view.additional_properties = d
        return session_view

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
