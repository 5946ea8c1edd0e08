"""Contains all the data models used in inputs/outputs"""

from .admin_create_user import AdminCreateUser
from .admin_user_patch import AdminUserPatch
from .ai_provider import AiProvider
from .ai_settings import AiSettings
from .app_grant_list import AppGrantList
from .app_grant_view import AppGrantView
from .audit_page import AuditPage
from .audit_view import AuditView
from .audit_view_metadata import AuditViewMetadata
from .change_password_request import ChangePasswordRequest
from .confirm_registration_request import ConfirmRegistrationRequest
from .delete_account_request import DeleteAccountRequest
from .dependency_status import DependencyStatus
from .device_page import DevicePage
from .device_request import DeviceRequest
from .device_view import DeviceView
from .documents_settings import DocumentsSettings
from .email_request import EmailRequest
from .group_list import GroupList
from .group_page import GroupPage
from .group_patch import GroupPatch
from .group_ref import GroupRef
from .group_view import GroupView
from .health import Health
from .login_request import LoginRequest
from .login_response import LoginResponse
from .me_response import MeResponse
from .member_page import MemberPage
from .member_view import MemberView
from .namespace_list import NamespaceList
from .namespace_view import NamespaceView
from .new_group import NewGroup
from .o_auth_error import OAuthError
from .outbox_status import OutboxStatus
from .problem import Problem
from .problem_field import ProblemField
from .profile_patch import ProfilePatch
from .profile_patch_currency import ProfilePatchCurrency
from .profile_patch_preferences_type_0 import ProfilePatchPreferencesType0
from .profile_patch_region import ProfilePatchRegion
from .profile_view import ProfileView
from .profile_view_currency import ProfileViewCurrency
from .profile_view_preferences import ProfileViewPreferences
from .profile_view_region import ProfileViewRegion
from .public_key import PublicKey
from .public_keys import PublicKeys
from .readiness import Readiness
from .refresh_request import RefreshRequest
from .register_request import RegisterRequest
from .registration_pending import RegistrationPending
from .rename_device_request import RenameDeviceRequest
from .reset_password_request import ResetPasswordRequest
from .session_list_item import SessionListItem
from .session_page import SessionPage
from .session_view import SessionView
from .setting_field_view import SettingFieldView
from .setting_field_view_default import SettingFieldViewDefault
from .settings_document import SettingsDocument
from .settings_namespace import SettingsNamespace
from .settings_test_result import SettingsTestResult
from .token_form import TokenForm
from .token_response import TokenResponse
from .user_app_list import UserAppList
from .user_app_view import UserAppView
from .user_page import UserPage
from .user_view import UserView
from .verify_email_request import VerifyEmailRequest

__all__ = (
    "AdminCreateUser",
    "AdminUserPatch",
    "AiProvider",
    "AiSettings",
    "AppGrantList",
    "AppGrantView",
    "AuditPage",
    "AuditView",
    "AuditViewMetadata",
    "ChangePasswordRequest",
    "ConfirmRegistrationRequest",
    "DeleteAccountRequest",
    "DependencyStatus",
    "DevicePage",
    "DeviceRequest",
    "DeviceView",
    "DocumentsSettings",
    "EmailRequest",
    "GroupList",
    "GroupPage",
    "GroupPatch",
    "GroupRef",
    "GroupView",
    "Health",
    "LoginRequest",
    "LoginResponse",
    "MeResponse",
    "MemberPage",
    "MemberView",
    "NamespaceList",
    "NamespaceView",
    "NewGroup",
    "OAuthError",
    "OutboxStatus",
    "Problem",
    "ProblemField",
    "ProfilePatch",
    "ProfilePatchCurrency",
    "ProfilePatchPreferencesType0",
    "ProfilePatchRegion",
    "ProfileView",
    "ProfileViewCurrency",
    "ProfileViewPreferences",
    "ProfileViewRegion",
    "PublicKey",
    "PublicKeys",
    "Readiness",
    "RefreshRequest",
    "RegisterRequest",
    "RegistrationPending",
    "RenameDeviceRequest",
    "ResetPasswordRequest",
    "SessionListItem",
    "SessionPage",
    "SessionView",
    "SettingFieldView",
    "SettingFieldViewDefault",
    "SettingsDocument",
    "SettingsNamespace",
    "SettingsTestResult",
    "TokenForm",
    "TokenResponse",
    "UserAppList",
    "UserAppView",
    "UserPage",
    "UserView",
    "VerifyEmailRequest",
)
