"""The outbox for staff, and the wording of messages."""
