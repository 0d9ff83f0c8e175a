"""How much of each record `crm demo --scale N` makes: per-customer ratios and the totals they give.

At the default ratios a million customers come with 2,000,000 contacts, 10,000,000 follow-ups,
1,000,000 leads, 500,000 deals (100,000 of them open in the default pipeline) and 1,000,000
instalments on 200,000 signed contracts: the data set the benchmark suite measures.
"""

from __future__ import annotations

from dataclasses import dataclass

# From this many customers on, leads, deals and contracts are topped up to their ratios with bulk SQL;
# below it the demo makes only the few hundred the services write one by one (the screens' showcase).
BULK_FROM = 10_000

# One customer with a long history, for the detail-page benchmark: found by this exact name.
BIG_CUSTOMER_NAME = "上海远洋重工集团有限公司"
BIG_CUSTOMER_FOLLOW_UPS = 5000
BIG_CUSTOMER_FROM = 10_000

CONTACTS_PER_CUSTOMER = 2.0
FOLLOW_UPS_PER_CUSTOMER = 10.0
LEADS_PER_CUSTOMER = 1.0
DEALS_PER_CUSTOMER = 0.5
INSTALMENTS_PER_CUSTOMER = 1.0
# Shares of the deals: open ones (all in the default pipeline), then the closed ones half won.
OPEN_DEAL_SHARE = 0.2
WON_SHARE_OF_CLOSED = 0.5
INSTALMENTS_PER_CONTRACT = 5


@dataclass(frozen=True)
class Composition:
    customers: int
    contacts_per_customer: float = CONTACTS_PER_CUSTOMER
    follow_ups_per_customer: float = FOLLOW_UPS_PER_CUSTOMER
    leads_per_customer: float = LEADS_PER_CUSTOMER
    deals_per_customer: float = DEALS_PER_CUSTOMER
    instalments_per_customer: float = INSTALMENTS_PER_CUSTOMER
    bulk_from: int = BULK_FROM
    # None: only from BIG_CUSTOMER_FROM customers on.
    big_customer: bool | None = None

    @property
    def contacts(self) -> int:
        return int(self.customers * self.contacts_per_customer)

    @property
    def follow_ups(self) -> int:
        return int(self.customers * self.follow_ups_per_customer)

    @property
    def bulk(self) -> bool:
        """Whether leads, deals and the ledger are topped up to their ratios."""
        return self.customers >= self.bulk_from

    @property
    def leads(self) -> int:
        return int(self.customers * self.leads_per_customer) if self.bulk else 0

    @property
    def deals(self) -> int:
        return int(self.customers * self.deals_per_customer) if self.bulk else 0

    @property
    def open_deals(self) -> int:
        return round(self.deals * OPEN_DEAL_SHARE)

    @property
    def won_deals(self) -> int:
        return round((self.deals - self.open_deals) * WON_SHARE_OF_CLOSED)

    @property
    def instalments(self) -> int:
        return int(self.customers * self.instalments_per_customer) if self.bulk else 0

    @property
    def contracts(self) -> int:
        return -(-self.instalments // INSTALMENTS_PER_CONTRACT)

    @property
    def has_big_customer(self) -> bool:
        wanted = self.customers >= BIG_CUSTOMER_FROM if self.big_customer is None else self.big_customer
        # It takes its follow-ups from the total; the other customers share the rest.
        return wanted and self.customers >= 2 and self.follow_ups >= BIG_CUSTOMER_FOLLOW_UPS

    @property
    def big_customer_follow_ups(self) -> int:
        return BIG_CUSTOMER_FOLLOW_UPS if self.has_big_customer else 0
