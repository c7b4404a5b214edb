"""Messages to residents and staff: the outbox, its senders (SMTP, SES, Web Push) and the
wording of each message."""
