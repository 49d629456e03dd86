"""Page URLs. External ids in URLs, never primary keys; names are relied on by mails, the API docs and bench/."""

from django.urls import path

from xiaoguan.web.views import accounts, activities, auth, exports, home, leads, manage, opportunities, search, team

app_name = "web"
urlpatterns = [
    path("auth/login/", auth.login_view, name="login"),
    path("auth/logout/", auth.logout_view, name="logout"),
    path("auth/reset/", auth.password_reset, name="password_reset"),
    path("auth/set-password/<str:uidb64>/<str:token>/", auth.set_password, name="set_password"),
    path("", home.home, name="home"),
    path("tasks/<str:external_id>/done/", home.task_done, name="task_done"),
    path("tasks/<str:external_id>/undo/", home.task_undo, name="task_undo"),
    path("leads/", leads.lead_list, name="lead_list"),
    path("leads/new/", leads.lead_new, name="lead_new"),
    path("leads/<str:external_id>/", leads.lead_detail, name="lead_detail"),
    path("leads/<str:external_id>/edit/", leads.lead_edit, name="lead_edit"),
    path("leads/<str:external_id>/convert/", leads.lead_convert, name="lead_convert"),
    path("leads/<str:external_id>/disqualify/", leads.lead_disqualify, name="lead_disqualify"),
    path("customers/", accounts.account_list, name="account_list"),
    path("customers/<str:external_id>/", accounts.account_detail, name="account_detail"),
    path("customers/<str:external_id>/edit/", accounts.account_edit, name="account_edit"),
    path("customers/<str:external_id>/timeline/", accounts.account_timeline, name="account_timeline"),
    path("customers/<str:external_id>/contacts/new/", accounts.contact_new, name="contact_new"),
    path("customers/<str:external_id>/contacts/<str:contact_id>/edit/", accounts.contact_edit, name="contact_edit"),
    path("deals/", opportunities.opportunity_board, name="opportunity_board"),
    path("deals/<str:external_id>/", opportunities.opportunity_detail, name="opportunity_detail"),
    path("deals/<str:external_id>/edit/", opportunities.opportunity_edit, name="opportunity_edit"),
    path("deals/<str:external_id>/move/", opportunities.opportunity_move, name="opportunity_move"),
    path("deals/<str:external_id>/won/", opportunities.opportunity_won, name="opportunity_won"),
    path("deals/<str:external_id>/lost/", opportunities.opportunity_lost, name="opportunity_lost"),
    path("deals/<str:external_id>/reopen/", opportunities.opportunity_reopen, name="opportunity_reopen"),
    path("activities/new/", activities.activity_new, name="activity_new"),
    path("activities/subjects/", activities.activity_subjects, name="activity_subjects"),
    path("team/", team.team, name="team"),
    path("manage/handover/", manage.handover, name="handover"),
    path("manage/invite/", manage.invite, name="invite"),
    path("search/", search.search, name="search"),
    path("export/<str:kind>.xlsx", exports.export, name="export"),
]

# Imports (xiaoguan.interchange): the admin's bulk upload and a rep's own leads spreadsheet.
from xiaoguan.web.views import imports  # noqa: E402

urlpatterns += [
    path("imports/", imports.import_home, name="import_home"),
    path("imports/<uuid:token>/", imports.import_detail, name="import_detail"),
    path("imports/<uuid:token>/confirm/", imports.import_confirm, name="import_confirm"),
    path("imports/<uuid:token>/cancel/", imports.import_cancel, name="import_cancel"),
    path("imports/<uuid:token>/report.json", imports.import_report, name="import_report"),
    path("imports/leads/", imports.leads_import, name="leads_import"),
    path("imports/leads/<uuid:token>/", imports.leads_import_map, name="leads_import_map"),
    path("imports/leads/<uuid:token>/confirm/", imports.leads_import_confirm, name="leads_import_confirm"),
]

# The bell, the lead pool (公海) and the managers' SLA board.
from xiaoguan.web.views import leadclock, notifications  # noqa: E402

urlpatterns += [
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/badge/", notifications.notification_badge, name="notification_badge"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
    path("notifications/read-all/", notifications.notification_read_all, name="notification_read_all"),
    path("leads-pool/", leadclock.lead_pool, name="lead_pool"),
    path("leads-pool/<str:external_id>/claim/", leadclock.lead_pool_claim, name="lead_pool_claim"),
    path("leads-sla/", leadclock.sla_board, name="sla_board"),
    path("settings/leads/", leadclock.lead_settings, name="lead_settings"),
]

# The lead engine (issue 4): one URL module per area, so each area's routes live beside its views.
from xiaoguan.web import urls_automation, urls_capture, urls_routing, urls_worktime  # noqa: E402

urlpatterns += urls_automation.urlpatterns + urls_capture.urlpatterns + urls_routing.urlpatterns + urls_worktime.urlpatterns

# Tracked links and engagement (issue 5).
from xiaoguan.web import urls_tracking  # noqa: E402

urlpatterns += urls_tracking.urlpatterns

# Insights (issue 5): record authenticity, three-layer verification.
from xiaoguan.web import urls_insights  # noqa: E402

urlpatterns += urls_insights.urlpatterns

# Evidence-gated stages, documents and keyword evidence (issue 5).
from xiaoguan.web import urls_evidence  # noqa: E402

urlpatterns += urls_evidence.urlpatterns

# The managers' cockpit (issue 6): dashboards with one filter bar and drill-downs.
from xiaoguan.web import urls_cockpit  # noqa: E402

urlpatterns += urls_cockpit.urlpatterns

# The cockpit's diagnostics (issue 6): behaviour vs conversion, process health, customer health, efficiency.
from xiaoguan.web import urls_diagnostics  # noqa: E402

urlpatterns += urls_diagnostics.urlpatterns
