from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from api.tokens import token_revoke_all


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def tokens_end_when_deactivated(sender, instance, **kwargs):
    """A deactivated account's tokens stay refused when it is activated again. Saved through the model
    (the admin, a form, user.save()); a queryset's update() sends no signal."""
    if not instance.is_active:
        token_revoke_all(user=instance)
