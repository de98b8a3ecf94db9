"""The form webhook's per-form rate limit: at most N signed posts per period per form, else 429 + Retry-After.

Counted with the `limits` library (moving window). Only posts with a valid signature count, so a stranger
without the form's secret cannot use up a form's allowance and shut its real visitors out.

Where the count lives, `LEADPIPE_FORM_RATE_LIMIT_STORAGE`:
- `memory://` (default): each API-server worker process counts for itself, so with W workers a form can get
  up to W times the limit;
- a Redis URL (`redis://host:6379/2`, e.g. the Redis that already serves as Celery broker): one count shared
  by every worker on every host.
When Redis cannot be reached the post is let through uncounted and a warning logged: losing leads because the
limiter is down would be worse than letting a burst in.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse, storage, strategies

log = logging.getLogger("leadpipe.forms")

DEFAULT_RATE = "600/minute"
DEFAULT_STORAGE = "memory://"
NAMESPACE = "leadpipe-form"


class RateLimitSettingError(ValueError):
    """The rate or storage setting cannot be used; the message says which and how to write it."""


@dataclass(frozen=True)
class FormRateLimit:
    item: RateLimitItem
    limiter: strategies.RateLimiter
    storage_uri: str

    @classmethod
    def from_settings(cls, rate: str, storage_uri: str) -> FormRateLimit:
        try:
            item = parse(rate)
        except ValueError:
            raise RateLimitSettingError(
                f"LEADPIPE_FORM_RATE_LIMIT: {rate!r} is not a rate; write it like {DEFAULT_RATE} or 20/second"
            ) from None
        try:
            store = storage.storage_from_string(storage_uri)
        except Exception as exc:  # noqa: BLE001 - an unknown scheme or a missing client library, both config errors
            raise RateLimitSettingError(
                f"LEADPIPE_FORM_RATE_LIMIT_STORAGE: cannot use it ({type(exc).__name__}); "
                "use memory:// or redis://host:6379/N"
            ) from None
        return cls(item, strategies.MovingWindowRateLimiter(store), storage_uri)

    @property
    def shared(self) -> bool:
        """True when every worker process counts in one place (Redis), False for per-process counting."""
        return not self.storage_uri.startswith("memory://")

    def retry_after(self, form_id: str) -> int | None:
        """Count one post for `form_id`: None when it is within the limit, else whole seconds to wait (>= 1)."""
        try:
            if self.limiter.hit(self.item, NAMESPACE, form_id):
                return None
            reset_at = self.limiter.get_window_stats(self.item, NAMESPACE, form_id).reset_time
        except Exception as exc:  # noqa: BLE001 - the storage is down (Redis raises its own types): let the post in
            log.warning("form %s: rate limit storage unavailable (%s); post let through uncounted", form_id,
                        type(exc).__name__)
            return None
        return max(1, math.ceil(reset_at - time.time()))
