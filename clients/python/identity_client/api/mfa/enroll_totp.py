from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.enroll_totp_request import EnrollTotpRequest
from ...models.problem import Problem
from ...models.totp_enrollment import TotpEnrollment
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: EnrollTotpRequest | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/mfa/totp/enroll",
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | TotpEnrollment | None:
    if response.status_code == 200:
        response_200 = TotpEnrollment.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | TotpEnrollment]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: EnrollTotpRequest | Unset = UNSET,
) -> Response[Problem | TotpEnrollment]:
    """Begins enrolling an authenticator app (TOTP): a new secret, shown this once, as base32, an
    `otpauth://` URI and its QR code. It becomes a factor once confirmed with a first code
    (`POST /v1/mfa/totp/confirm`, within 10 minutes); an unconfirmed enrolment is replaced by
    the next one. One authenticator app per account. Needs a recent authentication.

    Args:
        body (EnrollTotpRequest | Unset): Optional: a name for the authenticator app.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TotpEnrollment]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: EnrollTotpRequest | Unset = UNSET,
) -> Problem | TotpEnrollment | None:
    """Begins enrolling an authenticator app (TOTP): a new secret, shown this once, as base32, an
    `otpauth://` URI and its QR code. It becomes a factor once confirmed with a first code
    (`POST /v1/mfa/totp/confirm`, within 10 minutes); an unconfirmed enrolment is replaced by
    the next one. One authenticator app per account. Needs a recent authentication.

    Args:
        body (EnrollTotpRequest | Unset): Optional: a name for the authenticator app.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TotpEnrollment
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: EnrollTotpRequest | Unset = UNSET,
) -> Response[Problem | TotpEnrollment]:
    """Begins enrolling an authenticator app (TOTP): a new secret, shown this once, as base32, an
    `otpauth://` URI and its QR code. It becomes a factor once confirmed with a first code
    (`POST /v1/mfa/totp/confirm`, within 10 minutes); an unconfirmed enrolment is replaced by
    the next one. One authenticator app per account. Needs a recent authentication.

    Args:
        body (EnrollTotpRequest | Unset): Optional: a name for the authenticator app.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TotpEnrollment]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: EnrollTotpRequest | Unset = UNSET,
) -> Problem | TotpEnrollment | None:
    """Begins enrolling an authenticator app (TOTP): a new secret, shown this once, as base32, an
    `otpauth://` URI and its QR code. It becomes a factor once confirmed with a first code
    (`POST /v1/mfa/totp/confirm`, within 10 minutes); an unconfirmed enrolment is replaced by
    the next one. One authenticator app per account. Needs a recent authentication.

    Args:
        body (EnrollTotpRequest | Unset): Optional: a name for the authenticator app.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TotpEnrollment
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
