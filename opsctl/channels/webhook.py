"""`webhook`: any URL gets the notify_user JSON, HMAC-signed (PagerDuty-style relays, SMS gateways).

    channels:
      sms:
        type: webhook
        url_env: SMS_RELAY_URL        # or url: https://...
        secret_env: SMS_RELAY_SECRET  # default OPSCTL_WEBHOOK_SECRET
        purposes: [escalation]
"""

from __future__ import annotations

from .base import Channel, Outgoing, Sent, Setting
from .http import post_json


class WebhookChannel(Channel):
    name = "webhook"
    description = "POST the notification JSON to a URL (signed with X-Opsctl-Signature)"
    settings = {
        "url": Setting(None, secret=True),
        "secret": Setting("OPSCTL_WEBHOOK_SECRET", secret=True),
    }
    requires = (("url",),)

    def send(self, out: Outgoing, *, timeout: float) -> Sent:
        return post_json(self.values["url"], out.payload(), what=f"webhook {self.channel} ({self.var('url')})",
                         secret=self.values.get("secret"), timeout=timeout, delivery_id=out.delivery_id,
                         event=out.purpose)
