from django.contrib import admin

from marketplace.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "subject", "backend", "status")
    list_filter = ("status", "backend", "topic")
    search_fields = ("user__username", "subject")
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
