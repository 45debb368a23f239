from django.db import models


class Upload(models.Model):
    """A file field on the default storage, so that where that storage keeps files matters."""

    file = models.FileField()

    def __str__(self):
        return self.file.name
