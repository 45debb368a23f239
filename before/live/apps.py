from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_out


def close_sockets_at_logout(sender, request, user, **kwargs):
    from live.broadcast import user_sockets_close

    if user is not None:
        user_sockets_close(user_id=user.pk)


class LiveConfig(AppConfig):
    name = "live"

    def ready(self):
        user_logged_out.connect(close_sockets_at_logout, dispatch_uid="live.close_sockets_at_logout")
