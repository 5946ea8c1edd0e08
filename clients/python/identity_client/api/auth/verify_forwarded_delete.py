from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    role: str | Unset = UNSET,
    app: str | Unset = UNSET,
    x_forwarded_uri: None | str | Unset = UNSET,
    x_original_uri: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_forwarded_uri, Unset):
        headers["X-Forwarded-Uri"] = x_forwarded_uri

    if not isinstance(x_original_uri, Unset):
        headers["X-Original-URI"] = x_original_uri

    params: dict[str, Any] = {}

    params["role"] = role

    params["app"] = app

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/v1/auth/verify",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Problem | None:
    if response.status_code == 200:
        response_200 = cast(Any, None)
        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

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
) -> Response[Any | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    role: str | Unset = UNSET,
    app: str | Unset = UNSET,
    x_forwarded_uri: None | str | Unset = UNSET,
    x_original_uri: None | str | Unset = UNSET,
) -> Response[Any | Problem]:
    """Forward-auth as Envoy's `ext_authz` asks it for a `DELETE`: the same answer as `GET`.

    Args:
        role (str | Unset):
        app (str | Unset):
        x_forwarded_uri (None | str | Unset):
        x_original_uri (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        role=role,
        app=app,
        x_forwarded_uri=x_forwarded_uri,
        x_original_uri=x_original_uri,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    role: str | Unset = UNSET,
    app: str | Unset = UNSET,
    x_forwarded_uri: None | str | Unset = UNSET,
    x_original_uri: None | str | Unset = UNSET,
) -> Any | Problem | None:
    """Forward-auth as Envoy's `ext_authz` asks it for a `DELETE`: the same answer as `GET`.

    Args:
        role (str | Unset):
        app (str | Unset):
        x_forwarded_uri (None | str | Unset):
        x_original_uri (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return sync_detailed(
        client=client,
        role=role,
        app=app,
        x_forwarded_uri=x_forwarded_uri,
        x_original_uri=x_original_uri,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    role: str | Unset = UNSET,
    app: str | Unset = UNSET,
    x_forwarded_uri: None | str | Unset = UNSET,
    x_original_uri: None | str | Unset = UNSET,
) -> Response[Any | Problem]:
    """Forward-auth as Envoy's `ext_authz` asks it for a `DELETE`: the same answer as `GET`.

    Args:
        role (str | Unset):
        app (str | Unset):
        x_forwarded_uri (None | str | Unset):
        x_original_uri (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        role=role,
        app=app,
        x_forwarded_uri=x_forwarded_uri,
        x_original_uri=x_original_uri,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    role: str | Unset = UNSET,
    app: str | Unset = UNSET,
    x_forwarded_uri: None | str | Unset = UNSET,
    x_original_uri: None | str | Unset = UNSET,
) -> Any | Problem | None:
    """Forward-auth as Envoy's `ext_authz` asks it for a `DELETE`: the same answer as `GET`.

    Args:
        role (str | Unset):
        app (str | Unset):
        x_forwarded_uri (None | str | Unset):
        x_original_uri (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            role=role,
            app=app,
            x_forwarded_uri=x_forwarded_uri,
            x_original_uri=x_original_uri,
        )
    ).parsed
