"""The meeting classifier: modality, provider, one-on-one and is-meeting, with reasons.

Pure: no I/O. `classify` never raises; `PROVIDERS` is the table of online meeting services
(`display_name` says how each is written); tenants add their own `ProviderPattern`s.
"""

from service.domain.classify.classifier import classify
from service.domain.classify.providers import (
    PROVIDERS,
    ProviderPattern,
    display_name,
    provider_for_url,
)

__all__ = ["PROVIDERS", "ProviderPattern", "classify", "display_name", "provider_for_url"]
