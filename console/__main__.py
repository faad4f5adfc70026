"""python -m console serve | staff-account EMAIL [--remove] | review-export [--out FILE]"""
import sys


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command == "serve":
        from console import app

        return app.main(rest)
    if command == "staff-account":
        from console import accounts

        return accounts.main(rest)
    if command == "review-export":
        from console import review_export

        return review_export.main(rest)
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
