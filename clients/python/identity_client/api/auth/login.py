from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.login_request import LoginRequest
from ...models.login_response import LoginResponse
from ...models.mfa_required_response import MfaRequiredResponse
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: LoginRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/auth/login",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> LoginResponse | MfaRequiredResponse | Problem | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> LoginResponse | MfaRequiredResponse:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_login_answer_type_0 = LoginResponse.from_dict(data)

                return componentsschemas_login_answer_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_login_answer_type_1 = MfaRequiredResponse.from_dict(data)

            return componentsschemas_login_answer_type_1

        response_200 = _parse_response_200(response.json())

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
) -> Response[LoginResponse | MfaRequiredResponse | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: LoginRequest,
) -> Response[LoginResponse | MfaRequiredResponse | Problem]:
    """Signs in: answers the tokens in the body, the access token as `X-Auth-Token`, and both as
    `HttpOnly` cookies. Unknown accounts and wrong passwords get the same 401
    `invalid_credentials`. An account with a second factor answers `mfa_required: true` with an
    `mfa_token` instead (no token, no cookie): `POST /v1/auth/login/mfa` completes the sign-in.

    Args:
        body (LoginRequest): Password login with an email address or a username.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LoginResponse | MfaRequiredResponse | Problem]
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
    body: LoginRequest,
) -> LoginResponse | MfaRequiredResponse | Problem | None:
    """Signs in: answers the tokens in the body, the access token as `X-Auth-Token`, and both as
    `HttpOnly` cookies. Unknown accounts and wrong passwords get the same 401
    `invalid_credentials`. An account with a second factor answers `mfa_required: true` with an
    `mfa_token` instead (no token, no cookie): `POST /v1/auth/login/mfa` completes the sign-in.

    Args:
        body (LoginRequest): Password login with an email address or a username.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LoginResponse | MfaRequiredResponse | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: LoginRequest,
) -> Response[LoginResponse | MfaRequiredResponse | Problem]:
    """Signs in: answers the tokens in the body, the access token as `X-Auth-Token`, and both as
    `HttpOnly` cookies. Unknown accounts and wrong passwords get the same 401
    `invalid_credentials`. An account with a second factor answers `mfa_required: true` with an
    `mfa_token` instead (no token, no cookie): `POST /v1/auth/login/mfa` completes the sign-in.

    Args:
        body (LoginRequest): Password login with an email address or a username.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LoginResponse | MfaRequiredResponse | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: LoginRequest,
) -> LoginResponse | MfaRequiredResponse | Problem | None:
    """Signs in: answers the tokens in the body, the access token as `X-Auth-Token`, and both as
    `HttpOnly` cookies. Unknown accounts and wrong passwords get the same 401
    `invalid_credentials`. An account with a second factor answers `mfa_required: true` with an
    `mfa_token` instead (no token, no cookie): `POST /v1/auth/login/mfa` completes the sign-in.

    Args:
        body (LoginRequest): Password login with an email address or a username.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LoginResponse | MfaRequiredResponse | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
