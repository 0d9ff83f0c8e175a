"""Approval flows (审批): admin-defined multi-step sign-offs that any record kind can register for.

Owns flows, their steps, running approvals (with the flow snapshotted at submission) and delegations.
Sits below the apps whose records are approved (customers and above); they register an adapter at start-up.
"""
