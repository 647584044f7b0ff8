"""Reminders through Alexa: set up, listed, cancelled, kept in step with the plan."""
