"""The web pages around the skill: the caregiver's page and dashboard, the coach audio files,
the pages' language (gettext catalogues, Babel formats), and request logging."""
