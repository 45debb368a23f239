import uuid

from django.conf import settings
from django.db import models


class TokenFamily(models.Model):
    """One login through the API: the refresh tokens rotated from it and the access tokens they gave
    carry its id. Revoked, every one of them is refused, on every replica, by the query that loads the
    user anyway (api/tokens.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="token_families")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "token families"

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}" + (" (revoked)" if self.revoked_at else "")
