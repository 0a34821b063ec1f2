"""Strong sign-in: passkeys (WebAuthn), an authenticator app (TOTP), recovery codes, the
second step at sign-in, and the recent sign-in that security changes ask for."""
