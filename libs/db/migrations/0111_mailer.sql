-- Up Migration
-- Messages the mailer has handed to the SMTP server (services/mailer), each inserted in the transaction that also
-- advances the consumer's offset past it: a notification seen again (an outbox resend, a replay) is not sent again.
CREATE TABLE mailer_sent (
  message_id  text        PRIMARY KEY,
  header_id   text        NOT NULL,
  template    text        NOT NULL,
  recipient   text        NOT NULL,
  smtp_response text,
  sent_at     timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE mailer_sent;
