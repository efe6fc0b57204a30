"""Staff and contact accounts: roles, login with throttling, password reset, sessions."""
