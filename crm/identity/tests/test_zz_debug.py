import pytest
from django.db import connections

@pytest.mark.django_db
def test_unit():
    print("UNIT", id(connections["default"]), hasattr(connections["default"], "_test_serialized_contents"))
