import threading
import pytest
from django.db import connections
from crm.identity.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

@pytest.mark.parametrize("n", [1, 2])
def test_debug_ls(n, live_server, request):
    print("LS-before", threading.get_ident(), id(connections["default"]), hasattr(connections["default"], "_test_serialized_contents"), Role.objects.count())
    request.getfixturevalue("page")
    print("LS-after", threading.get_ident(), id(connections["default"]), hasattr(connections["default"], "_test_serialized_contents"), Role.objects.count())
