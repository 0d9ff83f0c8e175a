import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.core.prepared_statements import prepared_cursor
from crm.identity.models import User

STATEMENT = "SELECT id, username FROM identity_user WHERE username = %s AND id <> %s"


@pytest.mark.django_db
def test_a_prepared_statement_takes_each_calls_values_and_is_counted_like_any_query() -> None:
    # given two users
    first = User.objects.create(username="prepared_a")
    second = User.objects.create(username="prepared_b")

    # when one statement is run three times through the prepared cursor with different values
    with CaptureQueriesContext(connection) as captured, prepared_cursor() as cursor:
        found = []
        for username, excluded in (("prepared_a", 0), ("prepared_b", 0), ("prepared_a", first.pk)):
            cursor.execute(STATEMENT, [username, excluded])
            found.append(cursor.fetchall())

    # then each call found the rows for its own values, and each was logged as a query
    assert found == [[(first.pk, "prepared_a")], [(second.pk, "prepared_b")], []]
    assert len(captured) == 3
    assert all("SELECT id, username FROM identity_user" in query["sql"] for query in captured)


@pytest.mark.django_db
def test_the_statement_is_prepared_on_the_server_where_the_database_prepares() -> None:
    # given a statement run through the prepared cursor
    with prepared_cursor() as cursor:
        cursor.execute(STATEMENT, ["nobody", 0])

    # then PostgreSQL keeps it prepared for this connection (SQLite's driver caches compiled statements itself)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"{STATEMENT[:30]}%"]
            )
            assert cursor.fetchone() == (1,)
        else:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
