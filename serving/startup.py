"""What `python -m serving run|shell` does to Rasa before Rasa starts (bench/breakdown.py does
the same to measure a message as it is served)."""


def prepare_rasa() -> None:
    """Keeps TensorFlow off the serving path, then installs serving/patches.py's changes, each
    checked against the installed Rasa first. Raises RasaChanged (or ValueError for a wrong
    setting) and installs nothing more when one does not fit.

    The deferral goes first: importing serving/patches.py imports Rasa's agent, which would
    import TensorFlow (serving/lean_imports.py)."""
    from serving import lean_imports

    lean_imports.install()
    from serving import patches

    patches.apply()
