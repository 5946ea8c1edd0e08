from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.device_request import DeviceRequest


T = TypeVar("T", bound="LoginRequest")


@_attrs_define
class LoginRequest:
    """Password login with an email address or a username.

    Attributes:
        password (str):  Example: correct horse battery staple.
        device (DeviceRequest | None | Unset):
        email (None | str | Unset): The account's email address (or give `username`). Example: ada@example.com.
        username (None | str | Unset): The account's username (instead of `email`).
    """

    password: str
    device: DeviceRequest | None | Unset = UNSET
    email: None | str | Unset = UNSET
    username: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.device_request import DeviceRequest

        password = self.password

        device: dict[str, Any] | None | Unset
        if isinstance(self.device, Unset):
            device = UNSET
        elif isinstance(self.device, DeviceRequest):
            device = self.device.to_dict()
        else:
            device = self.device

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        username: None | str | Unset
        if isinstance(self.username, Unset):
            username = UNSET
        else:
            username = self.username

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "password": password,
            }
        )
        if device is not UNSET:
            field_dict["device"] = device
        if email is not UNSET:
            field_dict["email"] = email
        if username is not UNSET:
            field_dict["username"] = username

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.device_request import DeviceRequest

        d = dict(src_dict)
        password = d.pop("password")

        def _parse_device(data: object) -> DeviceRequest | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                device_type_0 = DeviceRequest.from_dict(data)

                return device_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DeviceRequest | None | Unset, data)

        device = _parse_device(d.pop("device", UNSET))

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_username(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        username = _parse_username(d.pop("username", UNSET))

        login_request = cls(
            password=password,
            device=device,
            email=email,
            username=username,
        )

        return login_request
