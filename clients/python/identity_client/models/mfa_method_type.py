from typing import Literal

MfaMethodType = Literal["totp", "webauthn"]

MFA_METHOD_TYPE_VALUES: set[MfaMethodType] = {
    "totp",
    "webauthn",
}


def check_mfa_method_type(value: str) -> MfaMethodType:
    if value in MFA_METHOD_TYPE_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {MFA_METHOD_TYPE_VALUES!r}"
    )
