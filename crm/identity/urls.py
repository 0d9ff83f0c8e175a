from django.urls import path

from crm.identity import views

app_name = "identity"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.language_view, name="language"),
    path("settings/password/", views.password_view, name="password"),
    path("settings/tokens/", views.tokens_view, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("org/users/", views.users_view, name="users"),
    path("org/users/new/", views.user_edit_view, name="user_create"),
    path("org/users/<int:user_id>/", views.user_edit_view, name="user_edit"),
    path("org/users/<int:user_id>/active/", views.user_active_view, name="user_active"),
    path("org/teams/", views.teams_view, name="teams"),
    path("org/teams/<int:team_id>/", views.team_edit_view, name="team_edit"),
    path("org/roles/", views.roles_view, name="roles"),
    path("org/roles/<int:role_id>/", views.role_edit_view, name="role_edit"),
]
