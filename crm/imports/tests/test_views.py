from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from conftest import Org
from crm.identity.models import User
from crm.imports.models import ImportJob, JobStatus, MappingTemplate
from crm.imports.tests.running import run_import
from crm.leads.models import Lead

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
FILE = (
    "姓名,公司名称,手机号码,外部编号\n"
    "王建国,杭州云栖智能制造有限公司,13912345678,A-1\n"
    "李娜,上海华信科技有限公司,12345,A-2\n"
)


def signed_in(user: User) -> Client:
    user.language = "en"
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, content: str = FILE, name: str = "线索.csv") -> ImportJob:
    response = client.post(
        "/imports/new/", {"object_type": "leads", "file": SimpleUploadedFile(name, content.encode("gbk"))}
    )
    assert response.status_code == 302, response.content.decode()
    return ImportJob.objects.latest("id")


def test_the_wizard_uploads_maps_previews_runs_and_shows_the_result(
    org: Org, settings: object, django_capture_on_commit_callbacks: object
) -> None:
    # given the background worker runs jobs at once
    settings.TASKS = IMMEDIATE  # type: ignore[attr-defined]
    client = signed_in(org.rep_a1)

    # when a GBK CSV is uploaded, its guessed mapping saved as a template, and previewed
    job = upload(client)
    mapping = client.get(f"/imports/{job.pk}/mapping/")
    assert 'value="mobile" selected' in mapping.content.decode()
    response = client.post(
        f"/imports/{job.pk}/mapping/",
        {"column_0": "name", "column_1": "company_name", "column_2": "mobile", "column_3": "external_id",
         "mode": "upsert", "match_key": "external_id", "save_as": "展会名单"},
    )  # fmt: skip
    assert response["Location"] == f"/imports/{job.pk}/preview/"
    preview = client.get(response["Location"]).content.decode()
    assert "“12345” is not a valid phone number." in preview

    # and run
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(f"/imports/{job.pk}/preview/")

    # then the job ran, one lead was created and the bad row is listed with its reason
    assert response["Location"] == f"/imports/{job.pk}/"
    job.refresh_from_db()
    assert (job.status, job.created_count, job.rejected_count) == (JobStatus.DONE, 1, 1)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="rejected-count">1<' in page
    assert Lead.objects.get().name == "王建国"
    assert MappingTemplate.objects.get(created_by=org.rep_a1).mapping == {
        "姓名": "name", "公司名称": "company_name", "手机号码": "mobile", "外部编号": "external_id",
    }  # fmt: skip


def test_the_rejected_rows_download_quotes_formulas(org: Org) -> None:
    job = run_import(org.rep_a1, "leads", [["name", "mobile"], ["=1+2", "123"]], mode="create")
    client = signed_in(org.rep_a1)

    response = client.get(f"/imports/{job.pk}/rejected.csv")

    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").splitlines()[1].startswith("2,")
    assert ",'=1+2,123" in response.content.decode("utf-8-sig")
    assert client.get(f"/imports/{job.pk}/rejected.xlsx").status_code == 200


def test_an_unreadable_upload_is_shown_beside_the_file_field(org: Org) -> None:
    client = signed_in(org.rep_a1)

    response = client.post(
        "/imports/new/", {"object_type": "leads", "file": SimpleUploadedFile("x.xls", b"\xd0\xcf\x11\xe0" + b"0" * 50)}
    )

    assert response.status_code == 200
    assert 'data-field-error="file"' in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_the_progress_partial_polls_while_running(org: Org) -> None:
    job = run_import(org.rep_a1, "leads", [["name"], ["甲"]], mode="create")
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, processed_rows=0)
    client = signed_in(org.rep_a1)

    response = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true")

    assert 'hx-trigger="every 1s"' in response.content.decode()
    assert 'data-testid="progress"' in response.content.decode()


def test_revert_from_the_result_page(org: Org) -> None:
    job = run_import(org.rep_a1, "leads", [["name"], ["甲"]], mode="create")
    client = signed_in(org.rep_a1)

    response = client.post(f"/imports/{job.pk}/revert/")

    assert response.status_code == 302
    assert Lead.objects.count() == 0
    assert "The import was reverted." in client.get(response["Location"]).content.decode()


def test_someone_elses_import_is_404(org: Org) -> None:
    job = run_import(org.rep_a1, "leads", [["name"], ["甲"]], mode="create")

    assert signed_in(org.rep_a2).get(f"/imports/{job.pk}/").status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_the_import_list_costs_the_same_queries_for_any_number_of_jobs(org: Org, count: int) -> None:
    # given `count` finished imports
    for number in range(count):
        run_import(org.rep_a1, "leads", [["name", "external_id"], ["甲", f"Q-{number}"]])
    client = signed_in(org.rep_a1)
    client.get("/imports/")

    # when the list is shown
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/imports/")

    # then within a fixed budget (session, user, role, page), never per row
    assert response.status_code == 200
    assert len(captured) <= 6, [query["sql"] for query in captured]
    assert response.content.decode().count("/rejected") == 0


def test_an_imported_formula_is_exported_back_as_text(org: Org) -> None:
    # given a customer imported with a formula as its name
    run_import(
        org.admin,
        "customers",
        [["名称", "电话"], ['=HYPERLINK("http://evil.example","点我")', "+1 415 555 0100"]],
        mode="create",
    )
    client = signed_in(org.admin)

    # when the customer list is exported as CSV and as Excel
    csv_text = b"".join(client.get("/customers/export.csv").streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    xlsx = client.get("/customers/export.xlsx")

    # then the cell starts with a quote, so a spreadsheet shows it as text
    assert '\'=HYPERLINK(""http://evil.example"",""点我"")' in csv_text
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active  # type: ignore[attr-defined]
    assert sheet is not None
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert '\'=HYPERLINK("http://evil.example","点我")' in values
