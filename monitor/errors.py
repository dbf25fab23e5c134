"""The exceptions monitor reports to its user.

MonitorError
 +-- ConfigError        bad settings or files: exit 2 at start-up
 |    +-- RuleError     a rules/*.yaml problem (file, line, fix)
 +-- FetchError         one feed or page failed; the cycle goes on
 |    +-- BlockedAddressError   the URL resolves to a non-public address
 |    +-- ResponseTooLargeError the body exceeds its byte cap
 +-- ExtractionError    a page gave no usable text
 +-- DeliveryError      Slack refused or timed out
"""


class MonitorError(Exception):
    """Base for errors monitor reports to its user."""


class ConfigError(MonitorError):
    """Invalid settings or configuration files; the command cannot start."""


class RuleError(ConfigError):
    """A rules/*.yaml file is invalid; the message names file, line and fix."""


class FetchError(MonitorError):
    """A feed or page could not be fetched; only that feed or page is affected."""


class TransientFetchError(FetchError):
    """A failure worth another try later: a timeout, a refused or broken connection,
    HTTP 408, 429 or 5xx."""


class BlockedAddressError(FetchError):
    """The URL resolves to a loopback, private or otherwise non-public address."""


class ResponseTooLargeError(FetchError):
    """The response body (after decompression) exceeds the configured cap."""


class ExtractionError(MonitorError):
    """A page was fetched but yielded no article text."""


class DeliveryError(MonitorError):
    """An alert could not be delivered to Slack."""
