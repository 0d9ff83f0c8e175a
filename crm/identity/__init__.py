"""Who people are: users, the team tree, roles and personal API tokens.

Owns User, Team, Role, ApiToken, LoginAttempt. May import crm.core only.
"""
