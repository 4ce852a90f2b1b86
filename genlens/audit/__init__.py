"""The audit: every method applied to one classifier, each answer set beside the world's ground truth."""

from genlens.audit.run import audit
from genlens.audit.settings import AuditSettings

__all__ = ["AuditSettings", "audit"]
