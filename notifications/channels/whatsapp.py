"""WhatsApp through the WhatsApp Cloud API, with pywa (pinned exactly in pyproject.toml).

A business may start a conversation only with an approved **template**, so each kind of message is a template
registered with Meta whose body is the neutral text of notifications.texts.CHANNEL_TEXTS ("Ada tugas mendesak
di Pulih. Buka aplikasi."), without parameters: the request carries the template's name and language code
and the recipient's number, nothing else. Names and language codes are settings (WHATSAPP_TEMPLATE_*).

Where requests go. pywa sends every request through the `httpx.Client` passed as `session` (its documented
way to configure the HTTP layer: "Use a custom client to configure proxies, timeouts, etc."), addressed to
`https://graph.facebook.com/v<api_version>/...`; it sets the client's `base_url` itself and offers no setting
for the host. So when WHATSAPP_API_BASE_URL names another place (a regional proxy, or the local fake in the
tests), the client gets an httpx transport mounted for graph.facebook.com (httpx's documented custom
transport API, `httpx.BaseTransport.handle_request`) that sends the same request, same path, to that base
URL. pywa's own code runs unchanged; nothing of it is patched.

Each send builds its own client (pywa refuses to share one between WhatsApp instances) with a 10 s timeout
and no retries: retries belong to the outbox.
"""

from __future__ import annotations

import logging

import httpx
from django.conf import settings
from pywa import WhatsApp
from pywa import errors as wa_errors
from pywa.types.templates import TemplateLanguage

from notifications.channels.base import Channel, DeliveryResult, OutgoingMessage, retry_after

logger = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Cloud API error codes that mean "later": API unknown / service (1, 2) and the ones pywa names below.
_TRANSIENT_CODES = {1, 2}
_TRANSIENT_ERRORS = (
    wa_errors.ThrottlingError,  # 4, 80007, 130429, 131048, 131056, ...
    wa_errors.UnknownError,  # 131000
    wa_errors.ServiceUnavailable,  # 131016
    wa_errors.AccountInMaintenanceMode,  # 131057
)
_LANGUAGES = {member.value for member in TemplateLanguage}


class _ToBaseUrl(httpx.BaseTransport):
    """Sends a request addressed to graph.facebook.com to `base_url` instead, with the same path and query."""

    def __init__(self, base_url: str) -> None:
        self._base = httpx.URL(base_url.rstrip("/"))
        self._inner = httpx.HTTPTransport(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url.copy_with(
            scheme=self._base.scheme,
            host=self._base.host,
            port=self._base.port,
            raw_path=self._base.raw_path.rstrip(b"/") + request.url.raw_path,
        )
        headers = httpx.Headers(request.headers)
        headers["Host"] = url.netloc.decode("ascii")
        moved = httpx.Request(
            request.method, url, headers=headers, stream=request.stream, extensions=request.extensions
        )
        return self._inner.handle_request(moved)

    def close(self) -> None:
        self._inner.close()


def http_client() -> httpx.Client:
    """The session pywa sends through: to WHATSAPP_API_BASE_URL (default graph.facebook.com itself)."""
    base = settings.WHATSAPP_API_BASE_URL.rstrip("/")
    mounts = {} if base == GRAPH_URL else {"all://graph.facebook.com": _ToBaseUrl(base)}
    return httpx.Client(timeout=TIMEOUT, mounts=mounts, transport=httpx.HTTPTransport(retries=0))


def classify_error(exc: BaseException) -> DeliveryResult:
    """What a failed send means for the outbox. Codes only: the Cloud API's message may quote the number."""
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):  # WHATSAPP_API_BASE_URL is wrong
        return DeliveryResult.permanent(f"WA_{type(exc).__name__}")
    if isinstance(exc, httpx.TransportError):  # refused, reset, timed out: nothing (or nothing known) sent
        return DeliveryResult.transient(type(exc).__name__)
    if isinstance(exc, wa_errors.WhatsAppError):
        code = f"WA_{exc.code}"
        status = exc.status_code or 0
        if status == 429 or isinstance(exc, _TRANSIENT_ERRORS) or exc.code in _TRANSIENT_CODES:
            return DeliveryResult.transient(code, retry_after(exc.raw_response))
        if exc.is_transient or status >= 500:
            return DeliveryResult.transient(code, retry_after(exc.raw_response))
        return DeliveryResult.permanent(code)  # the message, the number, the template or our token
    if isinstance(
        exc, ValueError | KeyError | TypeError
    ):  # pywa refused to build it, or a reply we cannot read
        return DeliveryResult.permanent(f"WA_{type(exc).__name__}")
    return DeliveryResult.transient(type(exc).__name__)


class WhatsAppChannel(Channel):
    name = "whatsapp"

    @property
    def configured(self) -> bool:
        return bool(settings.WHATSAPP_PHONE_ID and settings.WHATSAPP_TOKEN)

    def template_for(self, kind: str, language: str) -> tuple[str, str]:
        """(template name, language code) of a kind of message, from settings. Unknown kind: KeyError."""
        name = {
            "urgent_offer_unanswered": settings.WHATSAPP_TEMPLATE_URGENT,
            "daily_digest": settings.WHATSAPP_TEMPLATE_DIGEST,
        }[kind]
        languages = settings.WHATSAPP_TEMPLATE_LANGUAGES
        return name, languages.get(language) or languages["id"]

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        try:
            name, code = self.template_for(message.kind, message.language)
        except KeyError:
            return DeliveryResult.permanent("WA_NO_TEMPLATE")
        if code not in _LANGUAGES:
            return DeliveryResult.permanent("WA_TEMPLATE_LANGUAGE")
        to = message.to[0].lstrip("+")  # the Cloud API takes the number as digits, country code first
        kwargs = {"api_version": settings.WHATSAPP_API_VERSION} if settings.WHATSAPP_API_VERSION else {}
        try:
            with http_client() as session:
                client = WhatsApp(
                    phone_id=settings.WHATSAPP_PHONE_ID,
                    token=settings.WHATSAPP_TOKEN,
                    session=session,
                    **kwargs,
                )
                sent = client.send_template(to=to, name=name, language=TemplateLanguage(code))
        except Exception as exc:  # sorted by classify_error; a send never raises into the outbox
            result = classify_error(exc)
            logger.info("whatsapp message %s not sent: %s", message.reference, result.error_code)
            return result
        return DeliveryResult.ok(sent.id)
