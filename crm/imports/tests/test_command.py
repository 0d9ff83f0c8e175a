from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from conftest import Org
from crm.customers.models import Contact
from crm.customers.tests.factories import a_customer
from crm.imports.tests.files import xlsx_bytes


def test_crm_import_contacts_maps_headers_and_resolves_the_customer(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a workbook with Chinese headers and a customer column
    customer = a_customer(org.rep_a1, name="上海华信科技有限公司", external_id="C-1")
    path = tmp_path / "联系人.xlsx"
    path.write_bytes(xlsx_bytes([["姓名", "所属客户", "手机", "外部编号"], ["张伟", "C-1", 13812345678, "P-1"]]))

    # when imported from the command line as the rep
    call_command("import", "contacts", str(path), "--as", "rep_a1")

    # then the contact exists at the customer and the summary was printed
    contact = Contact.objects.get(external_id="P-1")
    assert (contact.customer_id, contact.owner_id, contact.mobile) == (customer.pk, org.rep_a1.pk, "+8613812345678")
    assert "1 rows: created 1, updated 0" in capsys.readouterr().out


def test_rejected_rows_exit_non_zero_and_name_the_file(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("name,mobile\n张伟,123\n", encoding="utf-8")

    with pytest.raises(SystemExit) as exited:
        call_command("import", "leads", str(path), "--mode", "create", "--as", "rep_a1")

    assert exited.value.code == 1
    out = capsys.readouterr().out
    rejected = Path(out.split("Rejected rows: ")[1].strip())
    assert "123" in rejected.read_text(encoding="utf-8-sig")


def test_a_dry_run_writes_nothing(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("name,mobile\n张伟,13812345678\n", encoding="utf-8")

    call_command("import", "contacts", str(path), "--mode", "create", "--dry-run", "--as", "rep_a1")

    assert Contact.objects.count() == 0


def test_an_unreadable_file_is_an_error(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"0" * 100)

    with pytest.raises(CommandError, match="xls"):
        call_command("import", "leads", str(path), "--as", "rep_a1")
