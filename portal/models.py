"""Imports every model module so the metadata knows every table (Alembic, create_all)."""

from portal.accounts.models import StaffSession, User
from portal.api.models import ApiKey, IdempotentResponse
from portal.booking.models import Adjustment, BookingOffer, BookingRequest, InterviewerHold
from portal.branding.models import Brand
from portal.decisions.models import (
    Decision,
    ExperienceAnswer,
    ExperienceAsked,
    MessageTemplate,
    OutcomeMessage,
    RejectionReason,
)
from portal.feedback.models import (
    InterviewKit,
    KitCompetency,
    Scorecard,
    ScorecardAmendment,
    ScorecardRating,
)
from portal.hiring.conversation import CandidateMessage, StaffNote
from portal.hiring.models import Application, Candidate, Interview, Opening, Stage
from portal.links.models import CandidateSession, MagicLink
from portal.messaging.models import OutboxMessage, WorkerHeartbeat
from portal.pool.models import PoolInvite, RetentionHold, SavedSearch, TalentProfile
from portal.privacy.models import AuditEvent, TalentConsent
from portal.process.models import StageChange
from portal.references.models import Referee, ReferencePrompt, ReferenceRequest
from portal.scheduling.models import (
    BusyBlock,
    CalendarConnection,
    CalendarEventCopy,
    CalendarFeed,
    CalendarSyncJob,
    DayOff,
    InterviewerSchedule,
    WorkingHours,
)
from portal.techcheck.models import TechCheckResult
from portal.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "Adjustment", "BookingOffer", "BookingRequest", "InterviewerHold", "Brand",
    "AuditEvent", "TalentConsent", "StageChange",
    "PoolInvite", "RetentionHold", "SavedSearch", "TalentProfile",
    "ReferencePrompt", "ReferenceRequest", "Referee",
    "Decision", "ExperienceAnswer", "ExperienceAsked", "MessageTemplate", "OutcomeMessage",
    "RejectionReason",
    "InterviewKit", "KitCompetency", "Scorecard", "ScorecardAmendment", "ScorecardRating",
    "CandidateMessage", "StaffNote",
    "Application", "Candidate", "CandidateSession", "Interview", "MagicLink", "Opening",
    "OutboxMessage",
    "StaffSession", "Stage", "TechCheckResult", "User", "WorkerHeartbeat",
    "BusyBlock", "CalendarConnection", "CalendarEventCopy", "CalendarFeed", "CalendarSyncJob",
    "DayOff", "InterviewerSchedule", "WorkingHours",
    "ApiKey", "IdempotentResponse", "WebhookDelivery", "WebhookEndpoint",
]
