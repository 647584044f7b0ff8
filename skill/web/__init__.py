"""The web pages around the skill: the caregiver's page and dashboard, the coach audio files,
and request logging."""
