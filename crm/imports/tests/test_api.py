from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Org
from crm.core.actors import api_actor
from crm.identity.models import User
from crm.identity.services import token_create
from crm.imports.tests.running import run_import
from crm.leads.models import Lead

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
FILE = "name,mobile,external_id\n王建国,13912345678,A-1\n李娜,12345,A-2\n".encode()


def api_client(user: User) -> Client:
    _token, secret = token_create(actor=api_actor(user), name="tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.cookies["crm_language"] = "en"
    return client


def test_an_upload_runs_in_the_background_and_reports_rejected_rows(
    org: Org, settings: object, django_capture_on_commit_callbacks: object
) -> None:
    # given a token and a worker that runs jobs at once
    settings.TASKS = IMMEDIATE  # type: ignore[attr-defined]
    client = api_client(org.rep_a1)

    # when a file is posted with an explicit mapping
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(
            "/api/v1/imports",
            {
                "file": SimpleUploadedFile("leads.csv", FILE),
                "object_type": "leads",
                "mapping": json.dumps(["name", "mobile", "external_id"]),
            },
        )

    # then it is accepted, and its status shows the result
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    body = client.get(f"/api/v1/imports/{job_id}").json()
    assert (body["status"], body["created_count"], body["rejected_count"]) == ("done", 1, 1)
    assert body["rejected"][0]["row"] == 3
    assert [item["id"] for item in client.get("/api/v1/imports").json()["items"]] == [job_id]

    # and reverting it bins the lead
    reverted = client.post(f"/api/v1/imports/{job_id}/revert")
    assert (reverted.status_code, reverted.json()["status"]) == (200, "reverted")
    assert Lead.objects.count() == 0


def test_a_bad_file_gets_the_one_error_shape(org: Org) -> None:
    client = api_client(org.rep_a1)

    response = client.post(
        "/api/v1/imports", {"file": SimpleUploadedFile("x.csv", b"name\n\xff\xfe\xfa\x80"), "object_type": "leads"}
    )

    assert response.status_code == 422, response.content.decode()
    assert response.json()["errors"][0]["field"] == "file"


def test_another_users_import_is_404(org: Org, settings: object) -> None:
    response = api_client(org.rep_a1).post(
        "/api/v1/imports", {"file": SimpleUploadedFile("leads.csv", FILE), "object_type": "leads"}
    )
    job_id = response.json()["id"]

    assert api_client(org.rep_a2).get(f"/api/v1/imports/{job_id}").status_code == 404


def test_an_xlsx_upload_with_binary_content_is_accepted(org: Org) -> None:
    # an .xlsx is a zip full of NUL bytes: the request guard must let the file part through
    from crm.imports.tests.files import xlsx_bytes

    data = xlsx_bytes([["name", "external_id"], ["王建国", "A-1"]])

    response = api_client(org.rep_a1).post(
        "/api/v1/imports", {"file": SimpleUploadedFile("leads.xlsx", data), "object_type": "leads"}
    )

    assert response.status_code == 202, response.content.decode()
    assert response.json()["total_rows"] == 1


@pytest.mark.parametrize("count", [3, 30])
def test_the_import_list_api_costs_the_same_queries_for_any_number_of_jobs(org: Org, count: int) -> None:
    # given `count` finished imports
    for number in range(count):
        run_import(org.rep_a1, "leads", [["name", "external_id"], ["甲", f"Q-{number}"]])
    client = api_client(org.rep_a1)
    client.get("/api/v1/imports")

    # when the list is read
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/imports")

    # then in a fixed budget (token, user, role, page), never per row
    assert response.status_code == 200
    assert len(response.json()["items"]) == min(count, 25)
    assert len(captured) <= 5, [query["sql"] for query in captured]
