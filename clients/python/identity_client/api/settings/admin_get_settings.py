from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.ai_settings_document import AiSettingsDocument
from ...models.documents_settings_document import DocumentsSettingsDocument
from ...models.problem import Problem
from ...models.settings_namespace import SettingsNamespace
from ...types import Response


def _get_kwargs(
    namespace: SettingsNamespace,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/admin/settings/{namespace}".format(
            namespace=quote(str(namespace), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AiSettingsDocument | DocumentsSettingsDocument | Problem | None:
    if response.status_code == 200:

        def _parse_response_200(
            data: object,
        ) -> AiSettingsDocument | DocumentsSettingsDocument:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_settings_document_type_0 = (
                    AiSettingsDocument.from_dict(data)
                )

                return componentsschemas_settings_document_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_settings_document_type_1 = (
                DocumentsSettingsDocument.from_dict(data)
            )

            return componentsschemas_settings_document_type_1

        response_200 = _parse_response_200(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[AiSettingsDocument | DocumentsSettingsDocument | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    namespace: SettingsNamespace,
    *,
    client: AuthenticatedClient,
) -> Response[AiSettingsDocument | DocumentsSettingsDocument | Problem]:
    """One namespace's settings (admins only). Secrets are never returned, only hinted.

    Args:
        namespace (SettingsNamespace): A settings namespace.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AiSettingsDocument | DocumentsSettingsDocument | Problem]
    """

    kwargs = _get_kwargs(
        namespace=namespace,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    namespace: SettingsNamespace,
    *,
    client: AuthenticatedClient,
) -> AiSettingsDocument | DocumentsSettingsDocument | Problem | None:
    """One namespace's settings (admins only). Secrets are never returned, only hinted.

    Args:
        namespace (SettingsNamespace): A settings namespace.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AiSettingsDocument | DocumentsSettingsDocument | Problem
    """

    return sync_detailed(
        namespace=namespace,
        client=client,
    ).parsed


async def asyncio_detailed(
    namespace: SettingsNamespace,
    *,
    client: AuthenticatedClient,
) -> Response[AiSettingsDocument | DocumentsSettingsDocument | Problem]:
    """One namespace's settings (admins only). Secrets are never returned, only hinted.

    Args:
        namespace (SettingsNamespace): A settings namespace.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AiSettingsDocument | DocumentsSettingsDocument | Problem]
    """

    kwargs = _get_kwargs(
        namespace=namespace,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    namespace: SettingsNamespace,
    *,
    client: AuthenticatedClient,
) -> AiSettingsDocument | DocumentsSettingsDocument | Problem | None:
    """One namespace's settings (admins only). Secrets are never returned, only hinted.

    Args:
        namespace (SettingsNamespace): A settings namespace.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AiSettingsDocument | DocumentsSettingsDocument | Problem
    """

    return (
        await asyncio_detailed(
            namespace=namespace,
            client=client,
        )
    ).parsed
