"""Notifications: each user's in-app inbox (the bell with the unread count).

Owns Notification. Sits just above identity so that every domain service can notify a user
in the same transaction as the write that caused it. May import crm.core and crm.identity.
"""
