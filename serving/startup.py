"""What `python -m serving run|shell` does to Rasa before Rasa starts (bench/breakdown.py does
the same to measure a message as it is served)."""


def prepare_rasa() -> None:
    """Installs serving/patches.py's changes, each checked against the installed Rasa first
    (raises RasaChanged, or ValueError for a wrong setting, and installs nothing)."""
    from serving import patches

    patches.apply()
