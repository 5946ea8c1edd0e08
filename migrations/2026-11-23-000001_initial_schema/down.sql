DROP TABLE IF EXISTS instances, agents, outbox, audit_logs, settings, app_permissions,
  group_memberships, groups, user_roles, roles, email_verifications, password_resets,
  login_attempts, recovery_codes, mfa_methods, refresh_tokens, sessions, devices,
  user_profiles, users CASCADE;
DROP FUNCTION IF EXISTS audit_logs_append_only();
DROP FUNCTION IF EXISTS uuid_generate_v7();
