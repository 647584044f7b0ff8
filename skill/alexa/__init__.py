"""Alexa's protocol: the /alexa endpoint, request verification, the envelope serializer,
request accessors, spoken replies, and Alexa's APIs (the device's time zone)."""
