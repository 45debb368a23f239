from common import *

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework", "rest_framework_simplejwt.token_blacklist"]
# No AUDIENCE or ISSUER: hardening advice (stateless_hardening), not state a replica keeps.
SIMPLE_JWT = {"SIGNING_KEY": "a-key-of-its-own-the-same-on-every-replica"}
