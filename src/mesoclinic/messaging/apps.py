from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "mesoclinic.messaging"
    label = "messaging"
    verbose_name = "Messaging"
