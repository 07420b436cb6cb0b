"""Channels: where notifications go. One module per channel, one registry for all of them.

`base.py` says what a channel is; `registry.py` finds the built-in and third-party types and the
channels configured in the environment and opsctl.yaml.
"""

from .base import Channel, DeliveryError, Outgoing, Permanent, Sent, Setting, Transient

__all__ = ["Channel", "DeliveryError", "Outgoing", "Permanent", "Sent", "Setting", "Transient"]
