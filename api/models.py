"""Every table, imported once so that metadata, alembic and create_all see them all."""
from api.audit.models import AuditEvent  # noqa: F401
from api.auth.models import (Account, IdempotencyRecord, OtpChallenge, Passkey,  # noqa: F401
                             RoleAssignment, UserSession, WebauthnChallenge)
from api.catalog.models import OrgUnit  # noqa: F401
from api.people.models import Guardianship, Person, PersonalQr, ProfileClaim  # noqa: F401
from api.docstore import Document  # noqa: F401  (the SQL adapter of the document store)
from api.certificates.models import RevokedCertificate, TrustedSigner  # noqa: F401
from api.catalog.models import DoseRule, VaccineProduct  # noqa: F401,E402
from api.booking.models import (Booking, Registration, RegistrationEvent, Slot,  # noqa: F401,E402
                                VaccinationSession)
from api.notify.models import (Campaign, FcmToken, NotificationPreference,  # noqa: F401,E402
                               PushSubscription)
from api.vaccination.models import (CorrectionRequest, DoseImport, DoseRecord,  # noqa: F401,E402
                                    DoseRecordHistory, Lot, Screening, StockAdjustment, StockBalance,
                                    StockMovement, StockTransfer, Visit)
from api.certificates.models import IssuedCertificate  # noqa: F401,E402
from api.stats.models import (StatCoverage, StatDoseDaily, StatDoseSeen, StatPerson,  # noqa: F401,E402
                              StatRefresh, StatUnitDaily)
