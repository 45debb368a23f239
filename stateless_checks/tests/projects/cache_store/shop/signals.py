from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.dispatch import receiver


@receiver(user_logged_in)
def last_login_remembered(sender, request, user, **kwargs):
    cache.set(f"last-login:{user.pk}", request.META.get("REMOTE_ADDR"), None)
