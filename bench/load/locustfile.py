"""The load test's people: sales reps, sales managers and finance clerks using the CRM at once.

Each simulated person signs in through the real login form (CSRF token and session cookie), then,
with one to four seconds of thought between actions, does what a working day is made of: pages
through lists, searches, opens a customer (the page and the panels htmx loads into it), logs a
follow-up, drags a deal to another column of the board (or moves it through the API), and records
a payment against a contract instalment. Requests are the ones a browser sends, to the same URLs.

Every write is logged to LOAD_WRITES_DIR (one JSON-lines file per locust process): a "sent" line
before the request leaves and a "done" line with its outcome once the answer is read. Follow-ups
and payments carry a marker (`lt<run id>-<n>`) in a field they store (the follow-up's text, the
payment's reference), so the runner can count their rows exactly; deal moves are logged with the
deal, the version they were made from and the two stages.

Outcomes: `ok` (the answer shows the write), `conflict` (the deal changed since it was read:
an expected answer under concurrency, not an error), `refused` (a rule said no, e.g. a stage's
requirements), `failed` (an error status or an unexpected page) and `unknown` (no answer).

Environment: LOAD_SCENARIO (the runner's JSON: run id, accounts and search terms per account),
LOAD_WRITES_DIR, LOAD_PASSWORD (default: the demo accounts' password), LOAD_THINK_SECONDS ("1,4").
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, TextIO
from urllib.parse import urlencode

from locust import FastHttpUser, TaskSet, between, events
from locust.contrib.fasthttp import ResponseContextManager

PASSWORD = os.environ.get("LOAD_PASSWORD", "demo1234")  # the demo accounts' published password

_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_CUSTOMER_LINK = re.compile(r'href="/customers/(\d+)/"')
_CONTRACT_LINK = re.compile(r'href="/contracts/(\d+)/"')
_CURSOR = re.compile(r"[?&;]cursor=([A-Za-z0-9_\-]+)")
_CARD = re.compile(r'data-deal="(\d+)" data-version="(\d+)"')
_RECEIVED_ON = re.compile(r'name="received_on" required value="(\d{4}-\d{2}-\d{2})"')
_ALLOCATE = re.compile(r'name="allocate_(\d+)"')


# The scenario: who signs in and what they look for -------------------------------------------


def _scenario() -> dict[str, Any]:
    path = os.environ.get("LOAD_SCENARIO")
    if path:
        loaded: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        return loaded
    # Without the runner: the demo accounts and a few terms that match demo names.
    return {
        "run_id": f"{int(time.time()) % 100000:05d}",
        "accounts": {
            "rep": [f"rep{n}" for n in range(1, 19)],
            "manager": [f"manager{n}" for n in range(1, 7)],
            "finance": ["finance"],
        },
        "terms": {
            "*": {"names": ["华信", "恒达科技", "北京"], "phones": ["1380", "1391"], "initials": ["hdkj", "bjhx"]}
        },
    }


SCENARIO = _scenario()
# Seconds of thought between two actions, "low,high" (the test runs the mix at a brisker pace).
_THINK = [float(part) for part in os.environ.get("LOAD_THINK_SECONDS", "1,4").split(",")]
_THINK_SECONDS = (_THINK[0], _THINK[-1])
RUN_ID = str(SCENARIO["run_id"])
_turns: dict[str, itertools.count[int]] = {}


def _next_account(role: str) -> str:
    """Accounts are handed out in turn, so 40 reps over 18 accounts share them two or three to one."""
    accounts: list[str] = SCENARIO["accounts"][role]
    turn = next(_turns.setdefault(role, itertools.count()))
    return accounts[turn % len(accounts)]


def _terms_for(account: str) -> dict[str, list[str]]:
    terms: dict[str, dict[str, list[str]]] = SCENARIO["terms"]
    return terms.get(account) or terms["*"]


# The write log --------------------------------------------------------------------------------


class WriteLog:
    """Append-only JSON lines, one file per process (locust may fork), flushed line by line."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self._pid = 0
        self._serial = itertools.count(1)

    def marker(self) -> str:
        # The pid keeps markers unique across forked locust processes.
        return f"lt{RUN_ID}-{os.getpid()}-{next(self._serial)}"

    def record(self, **fields: Any) -> None:
        folder = os.environ.get("LOAD_WRITES_DIR")
        if not folder:
            return
        with self._lock:
            if self._file is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._file = (Path(folder) / f"writes-{self._pid}.jsonl").open("a", encoding="utf-8", buffering=1)
            self._file.write(json.dumps({**fields, "at": round(time.time(), 3)}, ensure_ascii=False) + "\n")


WRITES = WriteLog()


class RequestLog:
    """Every request's start, name and exact duration, one CSV file per process, for the runner's
    percentiles (whole run and steady state) without locust's rounding."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self._pid = 0

    def __call__(
        self,
        request_type: str,
        name: str,
        response_time: float,
        response_length: int,
        exception: BaseException | None = None,
        start_time: float | None = None,
        **_kwargs: Any,
    ) -> None:
        folder = os.environ.get("LOAD_WRITES_DIR")
        if not folder:
            return
        with self._lock:
            if self._file is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._file = (Path(folder) / f"requests-{self._pid}.csv").open("a", encoding="utf-8", buffering=1)
            failed = 1 if exception is not None else 0
            started = start_time or time.time()
            self._file.write(f"{started:.3f}\t{request_type}\t{name}\t{response_time:.2f}\t{failed}\n")


events.request.add_listener(RequestLog())  # type: ignore[no-untyped-call]  # locust leaves it unannotated


def _fail(answer: ResponseContextManager, reason: str) -> None:
    answer.failure(reason)  # type: ignore[no-untyped-call]  # locust leaves it unannotated


def _accept(answer: ResponseContextManager) -> None:
    answer.success()  # type: ignore[no-untyped-call]  # locust leaves it unannotated


def _outcome_of_status(status: int) -> str:
    return "unknown" if status == 0 else "failed"


def _why(answer: ResponseContextManager) -> str:
    """HTTP status, or for no answer at all the client's error (status 0)."""
    if answer.status_code:
        return f"HTTP {answer.status_code}"
    return f"no answer: {getattr(answer, 'error', None)!r}"


# The people -----------------------------------------------------------------------------------


class CrmUser(FastHttpUser):
    """Someone at a browser: signed in, keeps the pages they saw, thinks between actions."""

    abstract = True
    role: ClassVar[str] = ""
    wait_time = between(*_THINK_SECONDS)
    # Never retry: a retried POST whose first attempt reached the server would write twice.
    max_retries = 0
    network_timeout = 60.0
    connection_timeout = 10.0

    account = ""

    def on_start(self) -> None:
        self.account = _next_account(self.role)
        self.terms: dict[str, list[str]] = _terms_for(self.account)
        self.customers: list[int] = []
        self.contracts: list[int] = []
        self.board: list[tuple[int, list[tuple[int, int]]]] = []  # (stage id, [(deal id, version)])
        self.board_read_at = 0.0
        self.stages: list[int] = []  # open stages of the default pipeline, in board order
        self.sign_in()

    # Requests ---------------------------------------------------------------------------------

    def csrf_token(self) -> str:
        for cookie in self.client.cookiejar:
            if cookie.name == "csrftoken" and cookie.value:
                return cookie.value
        return ""

    def page(self, url: str, name: str, expect: str = "", *, htmx: bool = False) -> str | None:
        """GET a page (or an htmx partial); a failure unless it is a 200 holding `expect`."""
        headers = {"HX-Request": "true"} if htmx else {}
        answer: ResponseContextManager
        with self.client.get(url, name=name, headers=headers, catch_response=True) as answer:
            text = answer.text or ""
            if answer.status_code != 200:
                _fail(answer, _why(answer))
                return None
            if expect and expect not in text:
                _fail(answer, f"the answer lacks {expect}")
                return None
            return text

    def api(self, url: str, name: str) -> Any:
        """GET a list from the API with the session cookie, as the web UI's own scripts would."""
        answer: ResponseContextManager
        with self.client.get(url, name=name, headers={"Accept": "application/json"}, catch_response=True) as answer:
            if answer.status_code != 200:
                _fail(answer, _why(answer))
                return None
            try:
                data = json.loads(answer.text or "")
            except ValueError:
                _fail(answer, "not JSON")
                return None
            return data

    def post_form(self, url: str, name: str, fields: dict[str, str]) -> ResponseContextManager:
        """POST a form the way htmx submits it: urlencoded, with the CSRF token and HX-Request."""
        token = self.csrf_token()
        body = urlencode({"csrfmiddlewaretoken": token, **fields})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "HX-Request": "true",
            "X-CSRFToken": token,
        }
        return self.client.post(url, name=name, data=body, headers=headers, catch_response=True)

    def sign_in(self) -> None:
        form = self.page("/login/", "sign in: form", "csrfmiddlewaretoken")
        found = _CSRF_FIELD.search(form or "")
        if found is None:
            return
        body = urlencode({"username": self.account, "password": PASSWORD, "csrfmiddlewaretoken": found.group(1)})
        answer: ResponseContextManager
        with self.client.post(
            "/login/",
            name="sign in: submit",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                _fail(answer, f"signing in as {self.account} answered HTTP {answer.status_code}")
                return
            _accept(answer)
        self.page("/", "home", 'data-testid="recent-customers"')

    # What people do ---------------------------------------------------------------------------

    def remember_customers(self, text: str | None) -> None:
        found = [int(pk) for pk in _CUSTOMER_LINK.findall(text or "")]
        if found:
            self.customers = list(dict.fromkeys(found))[:50]

    def customer_list(self) -> None:
        sort = random.choice(["-created_at", "-created_at", "-updated_at", "name"])
        text = self.page(f"/customers/?sort={sort}", "customers: list", 'data-testid="customer-table"')
        self.remember_customers(text)
        # One in three goes on to the next page ("Load more", an htmx partial).
        cursor = _CURSOR.search(text or "")
        if cursor is not None and random.random() < 0.35:
            self.page(f"/customers/?sort={sort}&cursor={cursor.group(1)}", "customers: next page", htmx=True)

    def other_list(self) -> None:
        url, name, expect = random.choice(
            [
                ("/leads/", "leads: list", 'data-testid="lead-table"'),
                ("/deals/list/", "deals: list", 'data-testid="deal-table"'),
                ("/contracts/", "contracts: list", 'data-testid="contract-table"'),
                ("/payments/", "payments: list", 'data-testid="payment-list"'),
                ("/payments/instalments/", "payments: instalments", 'data-testid="instalment-list"'),
                ("/tasks/", "tasks: list", 'data-testid="tasks"'),
            ]
        )
        self.page(url, name, expect)

    def api_list(self) -> None:
        path = random.choice(
            [
                "/api/v1/customers",
                "/api/v1/contacts",
                "/api/v1/leads",
                "/api/v1/deals",
                "/api/v1/contracts",
                "/api/v1/payments",
                "/api/v1/instalments",
                "/api/v1/tasks",
            ]
        )
        data = self.api(f"{path}?limit=25", f"api: {path.removeprefix('/api/v1/')}")
        if path == "/api/v1/customers" and data:
            self.customers = [item["id"] for item in data.get("items", [])] or self.customers

    def search(self) -> None:
        kind = random.choice(["names", "names", "phones", "initials"])
        term = random.choice(self.terms.get(kind) or ["华信"])
        label = {"names": "name", "phones": "phone", "initials": "pinyin initials"}[kind]
        if random.random() < 0.25:
            self.api(f"/api/v1/customers?{urlencode({'q': term})}", f"api: customers search by {label}")
            return
        text = self.page(f"/customers/?{urlencode({'q': term})}", f"customers: search by {label}", "customer-table")
        self.remember_customers(text)

    def open_customer(self) -> int | None:
        if not self.customers:
            self.customer_list()
        if not self.customers:
            return None
        customer = random.choice(self.customers)
        if self.page(f"/customers/{customer}/", "customer: detail", 'id="activity-panel"') is None:
            return None
        # The panels the page loads with htmx as soon as it is shown.
        for url, name in (
            (f"/activities/customer/{customer}/", "customer: follow-up panel"),
            (f"/deals/customer/{customer}/", "customer: deals panel"),
            (f"/contracts/customer/{customer}/", "customer: contracts panel"),
            (f"/payments/customer/{customer}/", "customer: payments panel"),
            (f"/leads/for-customer/{customer}/", "customer: source leads panel"),
        ):
            self.page(url, name, htmx=True)
        return customer

    def log_follow_up(self) -> None:
        """Open a customer and log a call on it with the panel's form."""
        customer = self.open_customer()
        if customer is None:
            return
        marker = WRITES.marker()
        content = random.choice(
            ["电话沟通了报价细节，客户希望下周演示", "客户反馈试用顺利，准备内部评审", "约了采购负责人周四拜访"]
        )
        fields = {
            "kind": random.choice(["call", "call", "wechat", "visit", "meeting", "note"]),
            "contact_id": "",
            "content": f"{content} [{marker}]",
            "next_step": "发送方案",
            "next_contact_on": "",
        }
        WRITES.record(event="sent", kind="follow_up", id=marker, customer=customer, account=self.account)
        answer: ResponseContextManager
        with self.post_form(f"/activities/customer/{customer}/", "follow-up: log", fields) as answer:
            # The refreshed timeline shows the text; a refused form would echo it in its textarea instead.
            if answer.status_code == 200 and f"[{marker}]</p>" in (answer.text or ""):
                outcome = "ok"
            elif answer.status_code == 200:
                outcome = "refused"  # the form came back with its errors
                _fail(answer, "the follow-up form was refused")
            else:
                outcome = _outcome_of_status(answer.status_code)
                _fail(answer, _why(answer))
        WRITES.record(event="done", kind="follow_up", id=marker, outcome=outcome)

    # The board: read it, then drag cards on what was read, as a browser tab does

    def read_board(self) -> None:
        text = self.page("/deals/", "deals: board", 'data-testid="board"')
        if text is None:
            return
        columns = []
        for chunk in text.split('data-stage="')[1:]:
            stage, _quote, rest = chunk.partition('"')
            columns.append((int(stage), [(int(d), int(v)) for d, v in _CARD.findall(rest)]))
        self.board = columns
        self.stages = [stage for stage, _cards in columns]
        self.board_read_at = time.monotonic()

    def pick_move(self) -> tuple[int, int, int, int] | None:
        """(deal, version, from stage, to stage): back and forth between the first two open stages and
        between the last two, the moves whose entry requirements the runner has met beforehand."""
        pairs = {0: 1, 1: 0, 2: 3, 3: 2}
        choices = [
            (deal, version, stage, self.stages[pairs[index]])
            for index, (stage, cards) in enumerate(self.board)
            if index in pairs and pairs[index] < len(self.stages)
            for deal, version in cards
        ]
        return random.choice(choices) if choices else None

    def note_move(self, deal: int, to_stage: int, version: int) -> None:
        """Do what the board's script does after a move: the card sits in its new column."""
        for stage, cards in self.board:
            cards[:] = [(d, v) for d, v in cards if d != deal]
            if stage == to_stage:
                cards.append((deal, version))

    def move_on_board(self) -> None:
        # A tab stays open a while: the board is read again only now and then, so cards can be stale.
        if not self.board or time.monotonic() - self.board_read_at > random.uniform(10, 60):
            self.read_board()
        move = self.pick_move()
        if move is None:
            return
        deal, version, from_stage, to_stage = move
        marker = WRITES.marker()
        WRITES.record(
            event="sent",
            kind="deal_move",
            id=marker,
            channel="board",
            deal=deal,
            version=version,
            from_stage=from_stage,
            to_stage=to_stage,
            account=self.account,
        )
        fields = {"deal_id": str(deal), "version": str(version), "stage_id": str(to_stage)}
        answer: ResponseContextManager
        with self.post_form("/deals/move/", "deal: move on board", fields) as answer:
            text = answer.text or ""
            trigger = str(answer.headers.get("HX-Trigger") or "") if answer.headers else ""
            new_version = None
            if answer.status_code == 200 and 'data-testid="move-done"' in text and "deal-moved" in trigger:
                outcome = "ok"
                new_version = int(json.loads(trigger)["deal-moved"]["version"])
            elif answer.status_code == 200 and 'data-testid="move-refused"' in text:
                # A refusal that lists no missing items is the version check: someone moved it first.
                outcome = "refused" if 'data-testid="missing-items"' in text else "conflict"
            else:
                outcome = _outcome_of_status(answer.status_code)
                _fail(answer, _why(answer))
        WRITES.record(event="done", kind="deal_move", id=marker, outcome=outcome, new_version=new_version)
        if new_version is not None:
            self.note_move(deal, to_stage, new_version)
        elif outcome in ("conflict", "refused"):
            self.board = []  # the person reloads the board

    def move_by_api(self) -> None:
        """An integration moving a deal: list open deals, move one, 409 if it changed meanwhile."""
        if not self.stages:
            self.read_board()
        data = self.api("/api/v1/deals?status=open&limit=50", "api: deals (open)")
        if not data or not self.stages:
            return
        pairs = {0: 1, 1: 0, 2: 3, 3: 2}
        position = {stage: index for index, stage in enumerate(self.stages)}
        movable = [item for item in data.get("items", []) if position.get(item["stage"]["id"]) in pairs]
        if not movable:
            return
        item = random.choice(movable)
        from_stage = item["stage"]["id"]
        to_stage = self.stages[pairs[position[from_stage]]]
        marker = WRITES.marker()
        WRITES.record(
            event="sent",
            kind="deal_move",
            id=marker,
            channel="api",
            deal=item["id"],
            version=item["version"],
            from_stage=from_stage,
            to_stage=to_stage,
            account=self.account,
        )
        token = self.csrf_token()
        answer: ResponseContextManager
        with self.client.post(
            f"/api/v1/deals/{item['id']}/move",
            name="api: move deal",
            json={"version": item["version"], "stage_id": to_stage},
            headers={"X-CSRFToken": token},
            catch_response=True,
        ) as answer:
            new_version = None
            if answer.status_code == 200:
                outcome = "ok"
                new_version = int(json.loads(answer.text or "{}")["version"])
            elif answer.status_code == 409:
                outcome = "conflict"
                _accept(answer)  # an expected answer when two people move the same deal
            elif answer.status_code == 422:
                outcome = "refused"
                _accept(answer)
            else:
                outcome = _outcome_of_status(answer.status_code)
                _fail(answer, _why(answer))
        WRITES.record(event="done", kind="deal_move", id=marker, outcome=outcome, new_version=new_version)

    # Contracts and payments

    def contract_list(self) -> None:
        text = self.page("/contracts/?status=active", "contracts: active", 'data-testid="contract-table"')
        found = [int(pk) for pk in _CONTRACT_LINK.findall(text or "")]
        if found:
            self.contracts = list(dict.fromkeys(found))

    def open_contract(self) -> str | None:
        if not self.contracts:
            self.contract_list()
        if not self.contracts:
            return None
        contract = random.choice(self.contracts)
        if self.page(f"/contracts/{contract}/", "contract: detail", 'data-testid="contract-summary"') is None:
            return None
        return self.payments_panel(contract)

    def payments_panel(self, contract: int) -> str | None:
        url = f"/payments/contract/{contract}/panel/"
        return self.page(url, "contract: payments panel", 'data-testid="payments-panel"', htmx=True)

    def record_payment(self) -> None:
        """Record money received against one open instalment, with the panel's form."""
        if not self.contracts:
            self.contract_list()
        if not self.contracts:
            return
        contract = random.choice(self.contracts)
        panel = self.payments_panel(contract)
        received_on = _RECEIVED_ON.search(panel or "")
        instalments = _ALLOCATE.findall(panel or "")
        if received_on is None or not instalments:
            return
        instalment = random.choice(instalments)
        amount = Decimal(random.randrange(100, 50000)) / 100  # 1.00 to 499.99: never more than is open
        marker = WRITES.marker()
        fields = {
            "amount": str(amount),
            "received_on": received_on.group(1),
            "method": random.choice(["bank_transfer", "bank_transfer", "online", "cheque"]),
            "reference": f"回单 {marker}",
            "note": "",
            "allocation_mode": "explicit",
            f"allocate_{instalment}": str(amount),
        }
        WRITES.record(
            event="sent",
            kind="payment",
            id=marker,
            contract=contract,
            instalment=int(instalment),
            amount=str(amount),
            account=self.account,
        )
        answer: ResponseContextManager
        with self.post_form(f"/payments/contract/{contract}/payments/", "payment: record", fields) as answer:
            text = answer.text or ""
            # The refreshed panel lists the payment with its reference; a refused form echoes it in an input.
            if answer.status_code == 200 and f"{marker}</td>" in text and 'data-testid="panel-error"' not in text:
                outcome = "ok"
            elif answer.status_code == 200 and 'data-testid="panel-error"' in text:
                outcome = "refused"
                _fail(answer, "the payment was refused")
            else:
                outcome = _outcome_of_status(answer.status_code)
                _fail(answer, _why(answer))
        WRITES.record(event="done", kind="payment", id=marker, outcome=outcome)


def weighted(mix: dict[Callable[..., Any], int]) -> list[TaskSet | Callable[..., Any]]:
    """What a kind of person does, by weight, as locust's task list: each action as often as its weight."""
    return [action for action, weight in mix.items() for _ in range(weight)]


class SalesRep(CrmUser):
    """Works their own customers: lists, searches, calls, logs what happened, moves deals on."""

    role = "rep"
    weight = 8
    tasks = weighted(
        {
            CrmUser.customer_list: 10,
            CrmUser.other_list: 6,
            CrmUser.api_list: 5,
            CrmUser.search: 8,
            CrmUser.open_customer: 8,
            CrmUser.log_follow_up: 5,
            CrmUser.move_on_board: 4,
            CrmUser.move_by_api: 1,
        }
    )


class SalesManager(CrmUser):
    """Watches the team: lists and the board for everyone below them, some follow-ups and moves."""

    role = "manager"
    weight = 1
    tasks = weighted(
        {
            CrmUser.customer_list: 8,
            CrmUser.other_list: 6,
            CrmUser.api_list: 4,
            CrmUser.search: 6,
            CrmUser.open_customer: 6,
            CrmUser.read_board: 4,
            CrmUser.log_follow_up: 2,
            CrmUser.move_on_board: 3,
        }
    )


class FinanceClerk(CrmUser):
    """Books what came into the bank: contracts, instalments, payments, receivables."""

    role = "finance"
    weight = 1

    def browse_payments(self) -> None:
        self.page("/payments/", "payments: list", 'data-testid="payment-list"')

    def browse_instalments(self) -> None:
        self.page("/payments/instalments/?overdue=1", "payments: overdue instalments", 'data-testid="instalment-list"')

    def view_receivables(self) -> None:
        self.page("/payments/receivables/", "payments: receivables", 'data-testid="receivables-table"')

    def browse_api(self) -> None:
        path = random.choice(["/api/v1/payments", "/api/v1/instalments", "/api/v1/contracts"])
        self.api(f"{path}?limit=25", f"api: {path.removeprefix('/api/v1/')}")

    tasks = weighted(
        {
            CrmUser.contract_list: 4,
            browse_payments: 4,
            browse_instalments: 3,
            view_receivables: 1,
            browse_api: 3,
            CrmUser.open_contract: 4,
            CrmUser.record_payment: 5,
        }
    )
