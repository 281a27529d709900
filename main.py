"""What Alfred runs: put the workflow's package and libraries on the path, then hand over.

Only the standard library is used before the hand-over, so that a Python
without the workflow's libraries still gets a plain message to Alfred
instead of a traceback.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _add_paths() -> None:
    lib = os.path.join(HERE, "lib")
    if os.path.isdir(lib):
        sys.path.insert(0, lib)
    sys.path.insert(0, HERE)


def _report_missing(error: ImportError) -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "filter"
    title = f"The workflow's libraries are missing for Python {sys.version.split()[0]}"
    fix = (
        f"({error.name or error}) Reinstall the workflow, or set 'Python' in its "
        "configuration to an interpreter that has them."
    )
    if command == "probe":
        return 1
    if command == "filter":
        item = {
            "title": title,
            "subtitle": fix,
            "valid": False,
            "icon": {"path": "icons/error.png"},
        }
        print(json.dumps({"items": [item]}))
    elif command == "login":
        variables = {"outcome": "error", "notification_title": title, "notification_text": fix}
        print(json.dumps({"alfredworkflow": {"arg": "", "variables": variables}}))
    return 0


def main() -> int:
    _add_paths()
    try:
        from afwf_mfa.cli import main as cli_main

        return cli_main(sys.argv[1:])
    except ImportError as error:
        # The package imports its libraries lazily, so this also catches a
        # library that is missing for this interpreter.
        return _report_missing(error)


if __name__ == "__main__":
    sys.exit(main())
