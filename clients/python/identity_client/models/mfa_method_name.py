from typing import Literal

MfaMethodName = Literal["recovery_code", "totp", "webauthn"]

MFA_METHOD_NAME_VALUES: set[MfaMethodName] = {
    "recovery_code",
    "totp",
    "webauthn",
}


def check_mfa_method_name(value: str) -> MfaMethodName:
    if value in MFA_METHOD_NAME_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {MFA_METHOD_NAME_VALUES!r}"
    )
