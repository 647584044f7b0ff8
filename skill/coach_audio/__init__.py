"""Coach audio: the coach's phrases and guided sets rendered as Alexa-ready MP3 files.

`build.build_audio` (the `spine-coach build-audio` command) writes them with a manifest through
a `synthesis` engine; `manifest` reads it back for the skill. Nothing is imported here, so the
skill loads only the manifest reader, not the build's encoders and synthesis clients.
"""
