"""The audit log: who read or changed whose record, when and why."""
