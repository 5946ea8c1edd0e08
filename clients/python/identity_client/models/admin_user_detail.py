from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.user_view_roles_item import UserViewRolesItem, check_user_view_roles_item
from ..models.user_view_status import UserViewStatus, check_user_view_status
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.presence_summary import PresenceSummary
    from ..models.profile_view import ProfileView


T = TypeVar("T", bound="AdminUserDetail")


@_attrs_define
class AdminUserDetail:
    """One user as an admin sees it: the account, and whether the user is online.

    Attributes:
        created_at (datetime.datetime):
        email (str):  Example: ada@example.com.
        email_verified (bool):
        id (UUID):
        profile (ProfileView): Personal data; every field but the ids is changeable with `PATCH /v1/users/me`.
        roles (list[UserViewRolesItem]):
        status (UserViewStatus):
        updated_at (datetime.datetime):
        presence (PresenceSummary): A user's presence at a glance (the admin user view).
        last_login_at (datetime.datetime | None | Unset):
        username (None | str | Unset):  Example: ada.
    """

    created_at: datetime.datetime
    email: str
    email_verified: bool
    id: UUID
    profile: ProfileView
    roles: list[UserViewRolesItem]
    status: UserViewStatus
    updated_at: datetime.datetime
    presence: PresenceSummary
    last_login_at: datetime.datetime | None | Unset = UNSET
    username: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        email = self.email

        email_verified = self.email_verified

        id = str(self.id)

        profile = self.profile.to_dict()

        roles = []
        for roles_item_data in self.roles:
            roles_item: str = roles_item_data
            roles.append(roles_item)

        status: str = self.status

        updated_at = self.updated_at.isoformat()

        presence = self.presence.to_dict()

        last_login_at: None | str | Unset
        if isinstance(self.last_login_at, Unset):
            last_login_at = UNSET
        elif isinstance(self.last_login_at, datetime.datetime):
            last_login_at = self.last_login_at.isoformat()
        else:
            last_login_at = self.last_login_at

        username: None | str | Unset
        if isinstance(self.username, Unset):
            username = UNSET
        else:
            username = self.username

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "email": email,
                "email_verified": email_verified,
                "id": id,
                "profile": profile,
                "roles": roles,
                "status": status,
                "updated_at": updated_at,
                "presence": presence,
            }
        )
        if last_login_at is not UNSET:
            field_dict["last_login_at"] = last_login_at
        if username is not UNSET:
            field_dict["username"] = username

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.presence_summary import PresenceSummary
        from ..models.profile_view import ProfileView

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        email = d.pop("email")

        email_verified = d.pop("email_verified")

        id = UUID(d.pop("id"))

        profile = ProfileView.from_dict(d.pop("profile"))

        roles = []
        _roles = d.pop("roles")
        for roles_item_data in _roles:
            roles_item = check_user_view_roles_item(roles_item_data)

            roles.append(roles_item)

        status = check_user_view_status(d.pop("status"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        presence = PresenceSummary.from_dict(d.pop("presence"))

        def _parse_last_login_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_login_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_login_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_login_at = _parse_last_login_at(d.pop("last_login_at", UNSET))

        def _parse_username(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        username = _parse_username(d.pop("username", UNSET))

        admin_user_detail = cls(
            created_at=created_at,
            email=email,
            email_verified=email_verified,
            id=id,
            profile=profile,
            roles=roles,
            status=status,
            updated_at=updated_at,
            presence=presence,
            last_login_at=last_login_at,
            username=username,
        )

        admin_user_detail.additional_properties = d
        return admin_user_detail

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
