from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.login_response import LoginResponse
from ...models.passkey_answer import PasskeyAnswer
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: PasskeyAnswer,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/auth/passkey/finish",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> LoginResponse | Problem | None:
    if response.status_code == 200:
        response_200 = LoginResponse.from_dict(response.json())

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

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[LoginResponse | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: PasskeyAnswer,
) -> Response[LoginResponse | Problem]:
    """Finishes a sign-in with a passkey: the same answer as a login with a password and a second
    factor (tokens in the body, `X-Auth-Token`, cookies), with `amr` `["webauthn"]` and `aal`
    2. An unknown or used challenge, a passkey of no account (or of one that may not sign in)
    and a refused answer are the same 401 `invalid_credentials`.

    Args:
        body (PasskeyAnswer): The browser's answer to a passkey ceremony.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LoginResponse | Problem]
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
    client: AuthenticatedClient | Client,
    body: PasskeyAnswer,
) -> LoginResponse | Problem | None:
    """Finishes a sign-in with a passkey: the same answer as a login with a password and a second
    factor (tokens in the body, `X-Auth-Token`, cookies), with `amr` `["webauthn"]` and `aal`
    2. An unknown or used challenge, a passkey of no account (or of one that may not sign in)
    and a refused answer are the same 401 `invalid_credentials`.

    Args:
        body (PasskeyAnswer): The browser's answer to a passkey ceremony.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LoginResponse | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: PasskeyAnswer,
) -> Response[LoginResponse | Problem]:
    """Finishes a sign-in with a passkey: the same answer as a login with a password and a second
    factor (tokens in the body, `X-Auth-Token`, cookies), with `amr` `["webauthn"]` and `aal`
    2. An unknown or used challenge, a passkey of no account (or of one that may not sign in)
    and a refused answer are the same 401 `invalid_credentials`.

    Args:
        body (PasskeyAnswer): The browser's answer to a passkey ceremony.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LoginResponse | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: PasskeyAnswer,
) -> LoginResponse | Problem | None:
    """Finishes a sign-in with a passkey: the same answer as a login with a password and a second
    factor (tokens in the body, `X-Auth-Token`, cookies), with `amr` `["webauthn"]` and `aal`
    2. An unknown or used challenge, a passkey of no account (or of one that may not sign in)
    and a refused answer are the same 401 `invalid_credentials`.

    Args:
        body (PasskeyAnswer): The browser's answer to a passkey ceremony.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LoginResponse | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
