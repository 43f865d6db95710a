from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "marketplace.tasks"
    label = "tasks"
    verbose_name = "Background tasks"
