"""Run the checks on a project without editing it:

    python -m stateless_checks --settings=config.settings [--json] [--fail-level WARNING] [--tag ...]

The package adds itself to INSTALLED_APPS for this run only. Exit status: 0 when nothing at or above
the fail level was found, 1 when something was, 2 when the settings cannot be loaded.
"""

import argparse
import json
import os
import sys

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
APP = "stateless_checks"


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m stateless_checks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--settings", help="the settings module, e.g. config.settings (else DJANGO_SETTINGS_MODULE)")
    parser.add_argument("--pythonpath", help="a directory to add to sys.path, e.g. the project's root")
    parser.add_argument("--json", action="store_true", help="print the findings as a JSON list")
    parser.add_argument("--fail-level", choices=list(LEVELS), default="WARNING", help="exit 1 at this level")
    parser.add_argument(
        "--tag",
        action="append",
        help="check tags to run (repeatable); default: stateless. stateless_hardening adds the advice",
    )
    return parser.parse_args(argv)


def _setup(arguments):
    if arguments.settings:
        os.environ["DJANGO_SETTINGS_MODULE"] = arguments.settings
    sys.path.insert(0, arguments.pythonpath or os.getcwd())
    import django
    from django.conf import settings

    apps = list(settings.INSTALLED_APPS)
    if not any(app == APP or app.startswith(f"{APP}.") for app in apps):
        settings.INSTALLED_APPS = [*apps, APP]
    django.setup()


def _finding(message) -> dict:
    return {
        "id": message.id,
        "level": next((name for name, value in LEVELS.items() if value == message.level), str(message.level)),
        "obj": str(message.obj) if message.obj is not None else None,
        "msg": message.msg,
        "hint": message.hint,
    }


def main(argv=None) -> int:
    arguments = _arguments(argv)
    try:
        _setup(arguments)
    except Exception as error:
        print(f"stateless_checks: cannot load the settings: {error!r}", file=sys.stderr)
        return 2
    from django.core.checks import run_checks

    messages = [m for m in run_checks(tags=arguments.tag or ["stateless"]) if not m.is_silenced()]
    messages.sort(key=lambda m: (m.id or "", str(m.obj)))
    if arguments.json:
        print(json.dumps([_finding(m) for m in messages], indent=2))
    else:
        for message in messages:
            print(message)
        print(f"stateless_checks: {len(messages)} finding{'' if len(messages) == 1 else 's'}.")
    return int(any(m.level >= LEVELS[arguments.fail_level] for m in messages))


if __name__ == "__main__":
    sys.exit(main())
