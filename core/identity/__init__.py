"""Users, roles, memberships, sign-in sessions and API tokens."""
