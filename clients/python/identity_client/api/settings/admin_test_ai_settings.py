from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.ai_settings_patch import AiSettingsPatch
from ...models.problem import Problem
from ...models.settings_test_result import SettingsTestResult
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: AiSettingsPatch | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/admin/settings/ai/test",
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | SettingsTestResult | None:
    if response.status_code == 200:
        response_200 = SettingsTestResult.from_dict(response.json())

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

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | SettingsTestResult]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: AiSettingsPatch | Unset = UNSET,
) -> Response[Problem | SettingsTestResult]:
    """Runs the namespace's connection check (admins only): for `ai`, `GET {base_url}/models`
    with the API key; `documents` has nothing to connect to. An optional body (same shape as
    a PATCH) is tried over the stored settings without saving it. A failed check is a 200
    with `ok: false`.

     The `ai` namespace: The AI provider that AI features call.


    Args:
        body (AiSettingsPatch | Unset): A merge patch of the `ai` namespace: listed fields change,
            `null` resets one to its default (or removes a secret), a left-out secret is kept, and so
            is a secret sent back as its own hint.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SettingsTestResult]
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
    body: AiSettingsPatch | Unset = UNSET,
) -> Problem | SettingsTestResult | None:
    """Runs the namespace's connection check (admins only): for `ai`, `GET {base_url}/models`
    with the API key; `documents` has nothing to connect to. An optional body (same shape as
    a PATCH) is tried over the stored settings without saving it. A failed check is a 200
    with `ok: false`.

     The `ai` namespace: The AI provider that AI features call.


    Args:
        body (AiSettingsPatch | Unset): A merge patch of the `ai` namespace: listed fields change,
            `null` resets one to its default (or removes a secret), a left-out secret is kept, and so
            is a secret sent back as its own hint.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SettingsTestResult
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: AiSettingsPatch | Unset = UNSET,
) -> Response[Problem | SettingsTestResult]:
    """Runs the namespace's connection check (admins only): for `ai`, `GET {base_url}/models`
    with the API key; `documents` has nothing to connect to. An optional body (same shape as
    a PATCH) is tried over the stored settings without saving it. A failed check is a 200
    with `ok: false`.

     The `ai` namespace: The AI provider that AI features call.


    Args:
        body (AiSettingsPatch | Unset): A merge patch of the `ai` namespace: listed fields change,
            `null` resets one to its default (or removes a secret), a left-out secret is kept, and so
            is a secret sent back as its own hint.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SettingsTestResult]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: AiSettingsPatch | Unset = UNSET,
) -> Problem | SettingsTestResult | None:
    """Runs the namespace's connection check (admins only): for `ai`, `GET {base_url}/models`
    with the API key; `documents` has nothing to connect to. An optional body (same shape as
    a PATCH) is tried over the stored settings without saving it. A failed check is a 200
    with `ok: false`.

     The `ai` namespace: The AI provider that AI features call.


    Args:
        body (AiSettingsPatch | Unset): A merge patch of the `ai` namespace: listed fields change,
            `null` resets one to its default (or removes a secret), a left-out secret is kept, and so
            is a secret sent back as its own hint.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SettingsTestResult
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
