"""Settings read once from the environment (12-factor); the defaults are the embedded mode."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

EMBEDDED_SECRET = "embedded-mode-not-secret"


# Settings read by one domain each, kept in Settings.extra under these keys.
EXTRA_FROM_ENV = {
    "SSK_PROXY_HOPS": "proxy_hops",  # trusted reverse proxies in front (X-Forwarded-For)
    "SSK_VERIFIER_WARN_HOURS": "verifier_warn_after_hours",  # trust list older than this: warn
    "SSK_VERIFIER_MAX_HOURS": "verifier_refuse_after_hours",  # older than this: never 'valid'
    "SSK_VAPID_PRIVATE_KEY": "vapid_private_key",
    "SSK_VAPID_SUBJECT": "vapid_subject",
    "SSK_PUSH_HOSTS": "push_hosts",
}


class ConfigError(RuntimeError):
    """The settings cannot run in the chosen environment."""


@dataclass(frozen=True)
class Settings:
    environment: str = "embedded"  # embedded | test | production
    instance_path: Path = Path("instance")
    database_url: str = ""  # empty: SQLite file under instance_path
    mongo_url: str = ""
    secret_key: str = EMBEDDED_SECRET
    # WebAuthn relying party: the id is a registrable domain (never an IP address)
    rp_id: str = "localhost"
    rp_name: str = "Sổ Sức Khỏe"
    origins: tuple[str, ...] = ("http://localhost:8000",)
    sms_provider: str = "console"  # console | http
    sms_gateway_url: str = ""
    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    otp_per_phone_per_hour: int = 5
    otp_per_ip_per_hour: int = 30
    session_days: int = 30
    demo_data: bool = True
    pwa_dist: Path = Path("pwa/dist")
    extra: dict = field(default_factory=dict)

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.instance_path / 'ssk.sqlite3').resolve()}"

    @property
    def secure_cookies(self) -> bool:
        return all(o.startswith("https://") for o in self.origins)

    @classmethod
    def from_env(cls, env: os._Environ | dict | None = None) -> "Settings":
        env = os.environ if env is None else env
        base = cls()
        origins = env.get("SSK_ORIGINS")
        settings = replace(
            base,
            environment=env.get("SSK_ENV", base.environment),
            instance_path=Path(env.get("SSK_INSTANCE_PATH", str(base.instance_path))),
            database_url=_normalise_db_url(env.get("DATABASE_URL", "")),
            mongo_url=env.get("MONGO_URL", ""),
            secret_key=env.get("SSK_SECRET_KEY", base.secret_key),
            rp_id=env.get("SSK_RP_ID", base.rp_id),
            origins=tuple(o.strip() for o in origins.split(",")) if origins else base.origins,
            sms_provider=env.get("SSK_SMS_PROVIDER", base.sms_provider),
            sms_gateway_url=env.get("SSK_SMS_GATEWAY_URL", ""),
            demo_data=env.get("SSK_DEMO_DATA", "1") not in ("0", "false", "no"),
            pwa_dist=Path(env.get("SSK_PWA_DIST", str(base.pwa_dist))),
            extra={key: env[name] for name, key in EXTRA_FROM_ENV.items() if env.get(name)},
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Production refuses the embedded defaults rather than run insecurely."""
        if self.environment != "production":
            return
        problems = []
        if self.secret_key == EMBEDDED_SECRET or len(self.secret_key) < 32:
            problems.append("SSK_SECRET_KEY must be set to a random value of 32+ characters")
        if not self.database_url.startswith("postgresql"):
            problems.append("DATABASE_URL must point at PostgreSQL in production")
        if not self.secure_cookies:
            problems.append("SSK_ORIGINS must all be https:// in production")
        if problems:
            raise ConfigError("; ".join(problems))


def _normalise_db_url(url: str) -> str:
    # Heroku-style postgres:// and plain postgresql:// both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def random_secret() -> str:
    return secrets.token_urlsafe(48)
