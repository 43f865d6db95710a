from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from marketplace.accounts.models import User


@admin.register(User)
class MarketplaceUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("Profile", {"fields": ("display_name", "bio")}),)
    list_display = ("username", "email", "display_name", "is_staff", "is_active", "date_joined")
