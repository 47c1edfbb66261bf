"""A CA's settings as one whole: the URLs it writes into what it signs (CRL distribution points,
AIA caIssuers and OCSP), when its renewal is due, and its CRL period and overlap; read together
and saved in one transaction, each part with its audit entry (`ca.settings`, `crl.settings`)."""

from __future__ import annotations

from dataclasses import dataclass

from pkiadmin.core.issuance import intermediate
from pkiadmin.core.revocation import crl
from pkiadmin.core.workspace.folder import Workspace

DEFAULT_RENEW_AT = 0.33


@dataclass(frozen=True)
class CaSettings:
    crl_urls: tuple[str, ...]
    ca_issuers_urls: tuple[str, ...]
    ocsp_urls: tuple[str, ...]
    renew_at: float
    crl_period_days: int
    crl_overlap_days: int


def read(ws: Workspace, ca_id: int) -> CaSettings:
    urls = intermediate.ca_settings(ws.db, ca_id)
    periods = crl.settings(ws.db, ca_id)
    renew = urls.get("renew_at", [])
    return CaSettings(
        tuple(urls.get("crl_urls", [])),
        tuple(urls.get("ca_issuers_urls", [])),
        tuple(urls.get("ocsp_urls", [])),
        float(renew[0]) if renew else DEFAULT_RENEW_AT,
        periods.period_days,
        periods.overlap_days,
    )


def save(ws: Workspace, ca_id: int, settings: CaSettings) -> None:
    """Both settings or neither, each with its audit entry, in one transaction."""
    with ws.db.atomic():
        intermediate.set_ca_settings(
            ws,
            ca_id,
            {
                "crl_urls": settings.crl_urls,
                "ca_issuers_urls": settings.ca_issuers_urls,
                "ocsp_urls": settings.ocsp_urls,
                "renew_at": [f"{settings.renew_at:g}"],
            },
        )
        crl.set_settings(ws, ca_id, settings.crl_period_days, settings.crl_overlap_days)
