"""Every table, imported once so that metadata, alembic and create_all see them all."""
from api.audit.models import AuditEvent  # noqa: F401
from api.auth.models import (Account, IdempotencyRecord, OtpChallenge, Passkey,  # noqa: F401
                             RoleAssignment, UserSession, WebauthnChallenge)
from api.catalog.models import OrgUnit  # noqa: F401
from api.people.models import Guardianship, Person, PersonalQr, ProfileClaim  # noqa: F401
from api.docstore import Document  # noqa: F401  (the SQL adapter of the document store)
