//! One-time tokens on PostgreSQL: `password_resets` and `email_verifications`.

use async_trait::async_trait;
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use identity_core::ports::{OneTimeTokenWrites, RepoError};
use identity_core::{OneTimePurpose, OneTimeToken, TokenDigest, UserId};

use super::{PgTransaction, Prepare};
use crate::errors::repo_error;
use crate::models::{CiText, OneTimeRow};
use crate::schema::{email_verifications, password_resets};

#[async_trait]
impl OneTimeTokenWrites for PgTransaction {
    async fn insert_one_time_token(&mut self, token: &OneTimeToken) -> Result<(), RepoError> {
        let conn = self.conn()?;
        let email = token
            .email
            .as_ref()
            .map(|e| CiText(e.as_str().to_owned()))
            .ok_or_else(|| RepoError::Unknown(anyhow::anyhow!("a one-time token needs its address")))?;
        let hash = token.digest.0.to_vec();
        match token.purpose {
            OneTimePurpose::ResetPassword => {
                diesel::insert_into(password_resets::table)
                    .values((
                        password_resets::id.eq(token.id),
                        password_resets::user_id.eq(token.user_id.as_uuid()),
                        password_resets::email.eq(email),
                        password_resets::token_hash.eq(hash),
                        password_resets::created_at.eq(token.created_at),
                        password_resets::expires_at.eq(token.expires_at),
                        password_resets::consumed_at.eq(token.consumed_at),
                    ))
                    .prepared()
                    .execute(conn)
                    .await
            }
            OneTimePurpose::VerifyEmail => {
                diesel::insert_into(email_verifications::table)
                    .values((
                        email_verifications::id.eq(token.id),
                        email_verifications::user_id.eq(token.user_id.as_uuid()),
                        email_verifications::email.eq(email),
                        email_verifications::token_hash.eq(hash),
                        email_verifications::created_at.eq(token.created_at),
                        email_verifications::expires_at.eq(token.expires_at),
                        email_verifications::consumed_at.eq(token.consumed_at),
                    ))
                    .prepared()
                    .execute(conn)
                    .await
            }
        }
        .map_err(repo_error)?;
        Ok(())
    }

    async fn lock_one_time_token(
        &mut self,
        purpose: OneTimePurpose,
        digest: &TokenDigest,
    ) -> Result<Option<OneTimeToken>, RepoError> {
        let conn = self.conn()?;
        let hash = digest.0.as_slice();
        let row: Option<OneTimeRow> = match purpose {
            OneTimePurpose::ResetPassword => {
                password_resets::table
                    .filter(password_resets::token_hash.eq(hash))
                    .select((
                        password_resets::id,
                        password_resets::user_id,
                        password_resets::email,
                        password_resets::token_hash,
                        password_resets::created_at,
                        password_resets::expires_at,
                        password_resets::consumed_at,
                    ))
                    .for_update()
                    .first(conn)
                    .await
            }
            OneTimePurpose::VerifyEmail => {
                email_verifications::table
                    .filter(email_verifications::token_hash.eq(hash))
                    .select((
                        email_verifications::id,
                        email_verifications::user_id,
                        email_verifications::email,
                        email_verifications::token_hash,
                        email_verifications::created_at,
                        email_verifications::expires_at,
                        email_verifications::consumed_at,
                    ))
                    .for_update()
                    .first(conn)
                    .await
            }
        }
        .optional()
        .map_err(repo_error)?;
        row.map(|r| r.into_domain(purpose)).transpose().map_err(RepoError::Unknown)
    }

    async fn consume_one_time_tokens(
        &mut self,
        user: UserId,
        purpose: OneTimePurpose,
        at: chrono::DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let conn = self.conn()?;
        match purpose {
            OneTimePurpose::ResetPassword => {
                diesel::update(
                    password_resets::table
                        .filter(password_resets::user_id.eq(user.as_uuid()))
                        .filter(password_resets::consumed_at.is_null()),
                )
                .set(password_resets::consumed_at.eq(at))
                .prepared()
                .execute(conn)
                .await
            }
            OneTimePurpose::VerifyEmail => {
                diesel::update(
                    email_verifications::table
                        .filter(email_verifications::user_id.eq(user.as_uuid()))
                        .filter(email_verifications::consumed_at.is_null()),
                )
                .set(email_verifications::consumed_at.eq(at))
                .prepared()
                .execute(conn)
                .await
            }
        }
        .map_err(repo_error)?;
        Ok(())
    }
}
