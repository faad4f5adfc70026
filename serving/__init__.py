"""How this project runs Rasa's server: `python -m serving run ...` (see __main__.py)."""
