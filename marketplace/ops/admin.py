from django.contrib import admin

from marketplace.ops.models import ReloadRequest, WorkerReloadResult


class WorkerReloadResultInline(admin.TabularInline):
    model = WorkerReloadResult
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in WorkerReloadResult._meta.fields]


@admin.register(ReloadRequest)
class ReloadRequestAdmin(admin.ModelAdmin):
    list_display = ("requested_at", "kind", "target", "requested_by", "via", "broadcast", "expected_workers")
    list_filter = ("kind", "via", "broadcast")
    search_fields = ("target", "requested_by")
    readonly_fields = [f.name for f in ReloadRequest._meta.fields]
    inlines = [WorkerReloadResultInline]

    def has_add_permission(self, request):
        return False  # the journal is written by reloads, not by hand
