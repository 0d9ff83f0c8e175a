"""Past-tense events the payments app publishes after commit (performance actuals will read them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PaymentRecorded:
    payment_id: int
    contract_id: int


@dataclass(frozen=True)
class PaymentReversed:
    payment_id: int
    reversal_id: int
    contract_id: int


@dataclass(frozen=True)
class InvoiceIssued:
    invoice_id: int
    contract_id: int
