from django.core.files.storage import FileSystemStorage
from django.db import models


class Invoice(models.Model):
    pdf = models.FileField(storage=FileSystemStorage(location="/srv/invoices"))

    def __str__(self):
        return self.pdf.name
