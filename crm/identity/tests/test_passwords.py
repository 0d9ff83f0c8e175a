from django.contrib.auth.hashers import identify_hasher, make_password

from config import settings as project_settings


def test_the_configuration_hashes_passwords_with_argon2() -> None:
    # given the project's own settings module (tests swap in a fast hasher)
    # then Argon2 is the hasher used for new passwords
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_hashes_verify(settings: object) -> None:
    # given the project's hashers
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS  # type: ignore[attr-defined]
    # when a password is hashed
    encoded = make_password("长城-horse-42")
    # then it is an Argon2 hash
    assert encoded.startswith("argon2$")
    assert identify_hasher(encoded).algorithm == "argon2"
