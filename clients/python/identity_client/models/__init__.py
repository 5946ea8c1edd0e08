"""Contains all the data models used in inputs/outputs"""

from .account_status import AccountStatus
from .admin_create_user import AdminCreateUser
from .admin_create_user_roles_type_0_item import AdminCreateUserRolesType0Item
from .admin_list_users_status import AdminListUsersStatus
from .admin_user_detail import AdminUserDetail
from .admin_user_patch import AdminUserPatch
from .admin_user_patch_roles_type_0_item import AdminUserPatchRolesType0Item
from .agent_page import AgentPage
from .agent_patch import AgentPatch
from .agent_view import AgentView
from .ai_preferences_patch import AiPreferencesPatch
from .ai_provider import AiProvider
from .ai_settings import AiSettings
from .ai_settings_document import AiSettingsDocument
from .ai_settings_document_namespace import AiSettingsDocumentNamespace
from .ai_settings_document_secrets_set_item import AiSettingsDocumentSecretsSetItem
from .ai_settings_patch import AiSettingsPatch
from .app_grant_list import AppGrantList
from .app_grant_view import AppGrantView
from .audit_page import AuditPage
from .audit_view import AuditView
from .audit_view_metadata import AuditViewMetadata
from .change_password_request import ChangePasswordRequest
from .client_secret_view import ClientSecretView
from .confirm_email_change_request import ConfirmEmailChangeRequest
from .confirm_registration_request import ConfirmRegistrationRequest
from .confirm_totp_request import ConfirmTotpRequest
from .confirmed_totp import ConfirmedTotp
from .create_service_client import CreateServiceClient
from .create_service_client_scopes_item import CreateServiceClientScopesItem
from .currency import Currency
from .delete_account_request import DeleteAccountRequest
from .dependency_status import DependencyStatus
from .device_page import DevicePage
from .device_presence_view import DevicePresenceView
from .device_request import DeviceRequest
from .device_view import DeviceView
from .documents_settings import DocumentsSettings
from .documents_settings_document import DocumentsSettingsDocument
from .documents_settings_document_namespace import DocumentsSettingsDocumentNamespace
from .documents_settings_patch import DocumentsSettingsPatch
from .email_change_request import EmailChangeRequest
from .email_request import EmailRequest
from .enroll_totp_request import EnrollTotpRequest
from .focus_preferences_patch import FocusPreferencesPatch
from .grant_type import GrantType
from .group_list import GroupList
from .group_page import GroupPage
from .group_patch import GroupPatch
from .group_ref import GroupRef
from .group_view import GroupView
from .health import Health
from .instance_input import InstanceInput
from .instance_input_config_type_0 import InstanceInputConfigType0
from .instance_page import InstancePage
from .instance_patch import InstancePatch
from .instance_patch_config_type_0 import InstancePatchConfigType0
from .instance_view import InstanceView
from .instance_view_config import InstanceViewConfig
from .introspection_answer import IntrospectionAnswer
from .introspection_form import IntrospectionForm
from .issued_client_secret import IssuedClientSecret
from .job_page import JobPage
from .job_view import JobView
from .login_request import LoginRequest
from .login_response import LoginResponse
from .me_response import MeResponse
from .member_page import MemberPage
from .member_view import MemberView
from .member_view_status import MemberViewStatus
from .mfa_login_request import MfaLoginRequest
from .mfa_login_request_credential_type_0 import MfaLoginRequestCredentialType0
from .mfa_method_name import MfaMethodName
from .mfa_method_type import MfaMethodType
from .mfa_method_view import MfaMethodView
from .mfa_methods import MfaMethods
from .mfa_required_response import MfaRequiredResponse
from .mfa_required_response_webauthn_type_0 import MfaRequiredResponseWebauthnType0
from .namespace_list import NamespaceList
from .namespace_view import NamespaceView
from .new_agent import NewAgent
from .new_group import NewGroup
from .notifications_preferences_patch import NotificationsPreferencesPatch
from .notifications_preferences_patch_digest_type_0 import (
    NotificationsPreferencesPatchDigestType0,
)
from .o_auth_error import OAuthError
from .o_auth_error_code import OAuthErrorCode
from .outbox_status import OutboxStatus
from .passkey_answer import PasskeyAnswer
from .passkey_answer_credential import PasskeyAnswerCredential
from .passkey_challenge_response import PasskeyChallengeResponse
from .passkey_challenge_response_public_key import PasskeyChallengeResponsePublicKey
from .preferences import Preferences
from .preferences_ai import PreferencesAi
from .preferences_focus import PreferencesFocus
from .preferences_notifications import PreferencesNotifications
from .preferences_notifications_digest import PreferencesNotificationsDigest
from .preferences_patch import PreferencesPatch
from .presence_summary import PresenceSummary
from .presence_view import PresenceView
from .problem import Problem
from .problem_code import ProblemCode
from .problem_field import ProblemField
from .profile_patch import ProfilePatch
from .profile_view import ProfileView
from .profile_view_currency import ProfileViewCurrency
from .profile_view_region import ProfileViewRegion
from .public_key import PublicKey
from .public_keys import PublicKeys
from .readiness import Readiness
from .reauthenticate_request import ReauthenticateRequest
from .reauthenticate_request_credential_type_0 import (
    ReauthenticateRequestCredentialType0,
)
from .reauthenticate_response import ReauthenticateResponse
from .recovery_codes import RecoveryCodes
from .refresh_request import RefreshRequest
from .region import Region
from .register_passkey_request import RegisterPasskeyRequest
from .register_passkey_request_credential import RegisterPasskeyRequestCredential
from .register_request import RegisterRequest
from .registered_passkey import RegisteredPasskey
from .registration_pending import RegistrationPending
from .rename_device_request import RenameDeviceRequest
from .rename_mfa_method import RenameMfaMethod
from .reset_password_request import ResetPasswordRequest
from .rotate_secret import RotateSecret
from .service_client_page import ServiceClientPage
from .service_client_view import ServiceClientView
from .service_settings import ServiceSettings
from .service_settings_values import ServiceSettingsValues
from .session_list_item import SessionListItem
from .session_page import SessionPage
from .session_view import SessionView
from .setting_field_view import SettingFieldView
from .settings_test_result import SettingsTestResult
from .time_zone import TimeZone
from .token_form import TokenForm
from .token_response import TokenResponse
from .token_type import TokenType
from .totp_enrollment import TotpEnrollment
from .update_service_client import UpdateServiceClient
from .update_service_client_scopes_type_0_item import UpdateServiceClientScopesType0Item
from .user_app_list import UserAppList
from .user_app_view import UserAppView
from .user_page import UserPage
from .user_view import UserView
from .user_view_roles_item import UserViewRolesItem
from .user_view_status import UserViewStatus
from .verify_email_request import VerifyEmailRequest
from .ws_ticket_view import WsTicketView

__all__ = (
    "AccountStatus",
    "AdminCreateUser",
    "AdminCreateUserRolesType0Item",
    "AdminListUsersStatus",
    "AdminUserDetail",
    "AdminUserPatch",
    "AdminUserPatchRolesType0Item",
    "AgentPage",
    "AgentPatch",
    "AgentView",
    "AiPreferencesPatch",
    "AiProvider",
    "AiSettings",
    "AiSettingsDocument",
    "AiSettingsDocumentNamespace",
    "AiSettingsDocumentSecretsSetItem",
    "AiSettingsPatch",
    "AppGrantList",
    "AppGrantView",
    "AuditPage",
    "AuditView",
    "AuditViewMetadata",
    "ChangePasswordRequest",
    "ClientSecretView",
    "ConfirmEmailChangeRequest",
    "ConfirmRegistrationRequest",
    "ConfirmTotpRequest",
    "ConfirmedTotp",
    "CreateServiceClient",
    "CreateServiceClientScopesItem",
    "Currency",
    "DeleteAccountRequest",
    "DependencyStatus",
    "DevicePage",
    "DevicePresenceView",
    "DeviceRequest",
    "DeviceView",
    "DocumentsSettings",
    "DocumentsSettingsDocument",
    "DocumentsSettingsDocumentNamespace",
    "DocumentsSettingsPatch",
    "EmailChangeRequest",
    "EmailRequest",
    "EnrollTotpRequest",
    "FocusPreferencesPatch",
    "GrantType",
    "GroupList",
    "GroupPage",
    "GroupPatch",
    "GroupRef",
    "GroupView",
    "Health",
    "InstanceInput",
    "InstanceInputConfigType0",
    "InstancePage",
    "InstancePatch",
    "InstancePatchConfigType0",
    "InstanceView",
    "InstanceViewConfig",
    "IntrospectionAnswer",
    "IntrospectionForm",
    "IssuedClientSecret",
    "JobPage",
    "JobView",
    "LoginRequest",
    "LoginResponse",
    "MeResponse",
    "MemberPage",
    "MemberView",
    "MemberViewStatus",
    "MfaLoginRequest",
    "MfaLoginRequestCredentialType0",
    "MfaMethodName",
    "MfaMethodType",
    "MfaMethodView",
    "MfaMethods",
    "MfaRequiredResponse",
    "MfaRequiredResponseWebauthnType0",
    "NamespaceList",
    "NamespaceView",
    "NewAgent",
    "NewGroup",
    "NotificationsPreferencesPatch",
    "NotificationsPreferencesPatchDigestType0",
    "OAuthError",
    "OAuthErrorCode",
    "OutboxStatus",
    "PasskeyAnswer",
    "PasskeyAnswerCredential",
    "PasskeyChallengeResponse",
    "PasskeyChallengeResponsePublicKey",
    "Preferences",
    "PreferencesAi",
    "PreferencesFocus",
    "PreferencesNotifications",
    "PreferencesNotificationsDigest",
    "PreferencesPatch",
    "PresenceSummary",
    "PresenceView",
    "Problem",
    "ProblemCode",
    "ProblemField",
    "ProfilePatch",
    "ProfileView",
    "ProfileViewCurrency",
    "ProfileViewRegion",
    "PublicKey",
    "PublicKeys",
    "Readiness",
    "ReauthenticateRequest",
    "ReauthenticateRequestCredentialType0",
    "ReauthenticateResponse",
    "RecoveryCodes",
    "RefreshRequest",
    "Region",
    "RegisterPasskeyRequest",
    "RegisterPasskeyRequestCredential",
    "RegisterRequest",
    "RegisteredPasskey",
    "RegistrationPending",
    "RenameDeviceRequest",
    "RenameMfaMethod",
    "ResetPasswordRequest",
    "RotateSecret",
    "ServiceClientPage",
    "ServiceClientView",
    "ServiceSettings",
    "ServiceSettingsValues",
    "SessionListItem",
    "SessionPage",
    "SessionView",
    "SettingFieldView",
    "SettingsTestResult",
    "TimeZone",
    "TokenForm",
    "TokenResponse",
    "TokenType",
    "TotpEnrollment",
    "UpdateServiceClient",
    "UpdateServiceClientScopesType0Item",
    "UserAppList",
    "UserAppView",
    "UserPage",
    "UserView",
    "UserViewRolesItem",
    "UserViewStatus",
    "VerifyEmailRequest",
    "WsTicketView",
)
