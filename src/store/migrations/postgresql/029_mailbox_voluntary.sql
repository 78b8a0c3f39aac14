-- 029_mailbox_voluntary (PostgreSQL): mirrors sqlite/029_mailbox_voluntary.sql.
-- 029_mailbox_voluntary: how a REGISTERED mailbox came to be registered, for NgDP 1.68's
-- MailboxSubscription.registrationStatus (issue 9): 0 = automatically (AUTOMATIC_REGISTRATION,
-- every mailbox before this migration), 1 = by its owner's voluntary registration through
-- PUT /apis/v1/contacts/{id} (VOLUNTARY_REGISTRATION; kv_mailbox_register).
ALTER TABLE mailboxes ADD COLUMN voluntary BIGINT NOT NULL DEFAULT 0;
