"""Guided exercise sets: the script of an exercise, its spoken chunks and streamed tracks, stream
tokens, the AudioPlayer's directives, and the service that runs a set's life."""
