from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "qorgau.demo"
    label = "demo"
