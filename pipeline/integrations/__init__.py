"""Talking to the outside world on an owner's behalf: the cameras' CGI, webhooks, MQTT, mail.

Used by the pipeline daemon (notifications on new recordings and fair-use notices) and by the
web UI's REST API (camera control, live view); it imports neither of them.
"""
