from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ProblemField")


@_attrs_define
class ProblemField:
    """One invalid field.

    Attributes:
        code (str): Stable machine code (`required`, `invalid_email`, `too_short`, `common_password`,
            `invalid_characters` for NUL or a control character the field cannot hold, or an
            invisible or text-direction character in a name, …). A new
            password refused by the policy has one code per reason: `too_short`, `too_long`,
            `common_password`, `contains_email`, `contains_username`, `contains_service_name`,
            `repetitive_password`, `sequential_password` (and, with the strict policy,
            `missing_uppercase`, `missing_special`, `forbidden_word`). Example: invalid_email.
        field (str): The JSON field the problem is about (`email`, `password`, `device.name`, …). Example: email.
        message (str): Human-readable explanation. Example: this is not a valid email address.
    """

    code: str
    field: str
    message: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        field = self.field

        message = self.message

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "field": field,
                "message": message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code = d.pop("code")

        field = d.pop("field")

        message = d.pop("message")

        problem_field = cls(
            code=code,
            field=field,
            message=message,
        )

        problem_field.additional_properties = d
        return problem_field

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
