"""Pointing a model's file field at a new file, through whatever storage the field uses."""

from django.db import transaction


def file_replace(*, instance, field: str, name: str, content, also_update: tuple[str, ...] = ()) -> str:
    """Store `content` under `name`, point `instance.<field>` at it, and delete the file it named before.

    The new file is written first and the old one deleted only once the row naming the new one is
    committed, so the row never names a missing file; if the row cannot be saved, the new file goes.
    `also_update` names other fields the save writes (an `auto_now` timestamp). Returns the stored name.
    """
    storage = getattr(instance, field).storage
    old_name = getattr(instance, field).name
    new_name = storage.save(name, content)
    try:
        with transaction.atomic():
            setattr(instance, field, new_name)
            instance.save(update_fields=[field, *also_update])
            if old_name:
                transaction.on_commit(lambda: storage.delete(old_name))
    except BaseException:
        setattr(instance, field, old_name)
        storage.delete(new_name)
        raise
    return new_name
