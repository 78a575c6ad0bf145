-- Bonds (audits/bonds.ts): the money is the ledger account bond:<rig id>; these are its rules' state.

-- Probation counts jobs from here: 0 for a new rig, its jobs_done when it comes back from a quarantine.
ALTER TABLE rigs ADD COLUMN probation_from integer NOT NULL DEFAULT 0;
-- When the owner asked for the bond back; it is paid out after the cooling-off, with no open audit.
ALTER TABLE rigs ADD COLUMN bond_withdraw_requested_at timestamptz;

-- Set when audits proved the rig's results wrong (not when it was outvoted as an auditor): a job of it that
-- settles afterwards (it was already running) is refunded at once. Cleared when the owner releases it.
ALTER TABLE rigs ADD COLUMN proven_wrong_at timestamptz;

-- Uptime, for a rig's standing: time online before the current connection, and when that one began.
ALTER TABLE rigs ADD COLUMN online_ms bigint NOT NULL DEFAULT 0;
ALTER TABLE rigs ADD COLUMN connected_since timestamptz;
