"""Web input parsing for sign-in, passwords and org administration (no side effects)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.identity.models import Role, Team, TeamKind, User, Visibility


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username or email"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput)
    new_password = forms.CharField(label=_("New password"), widget=forms.PasswordInput)
    confirm_password = forms.CharField(label=_("Repeat the new password"), widget=forms.PasswordInput)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", _("The two passwords do not match."))
        return data


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)


class UserForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=100, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=32, required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.order_by("path"), required=False)
    is_team_manager = forms.BooleanField(label=_("Manages this team"), required=False)
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.order_by("id"))
    language = forms.ChoiceField(label=_("Language"), choices=User.Language.choices)
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput,
        required=False,
        help_text=_("Required for a new user; leave empty to keep the current password."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["team"].label_from_instance = lambda team: f"{'— ' * team.depth}{team.name}"  # type: ignore[attr-defined]


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=TeamKind.choices)
    parent = forms.ModelChoiceField(label=_("Parent"), queryset=Team.objects.order_by("path"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["parent"].label_from_instance = lambda team: f"{'— ' * team.depth}{team.name}"  # type: ignore[attr-defined]


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    visibility = forms.ChoiceField(label=_("Record visibility"), choices=Visibility.choices)
    masks_contact_info = forms.BooleanField(label=_("Mask phone and email of records they do not own"), required=False)
    can_export = forms.BooleanField(label=_("May export lists"), required=False)
    can_edit_visible = forms.BooleanField(label=_("May edit every record they can see"), required=False)
    can_manage_org = forms.BooleanField(label=_("May administer users, teams and roles"), required=False)
    can_view_audit = forms.BooleanField(label=_("May browse the audit log"), required=False)


class RoleCreateForm(RoleForm):
    code = forms.SlugField(
        label=_("Code"), max_length=50, help_text=_("A short identifier of lower-case letters, digits and underscores.")
    )

    field_order = ["code", "name"]
