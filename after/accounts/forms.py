import unicodedata

from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError

# Alphabets with letters that look alike: a name mixing them can pass for another (Cyrillic "а" in "admin").
LOOK_ALIKE_SCRIPTS = {"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"}


def username_scripts(username: str) -> set[str]:
    """The alphabets of a name's letters, by the first word of each letter's Unicode name."""
    return {unicodedata.name(char, "").split(" ")[0] for char in username if char.isalpha()}


class SignupForm(UserCreationForm):
    def clean_username(self):
        username = super().clean_username()
        if len(username_scripts(username) & LOOK_ALIKE_SCRIPTS) > 1:
            raise ValidationError("Use the letters of one alphabet: a name that mixes them can pass for another.")
        return username
