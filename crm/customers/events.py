"""Events the customers app publishes (after commit) for other apps to react to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CustomersHandedOver:
    """Customers got a new owner; open work about them (tasks, …) follows in the apps that own it."""

    customer_ids: tuple[int, ...]
    owner_id: int


@dataclass(frozen=True)
class CustomerFollowUpsMoved:
    """Follow-ups moved between customers (a merge or its undo); their last follow-up time is recomputed."""

    customer_ids: tuple[int, ...]
