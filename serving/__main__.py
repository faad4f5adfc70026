"""`python -m serving run ...`: Rasa's own command line, with serving/speedups.py applied.

Every argument is Rasa's (`python -m serving run --model ... --port ...` is
`rasa run --model ... --port ...`); only the measured fix in speedups.py is added.
"""
import sys


def main() -> None:
    from serving import speedups

    speedups.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
