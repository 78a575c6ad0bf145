-- Audits a Sybil can't turn (audits/trust.ts): an auditor outvoted by the operator's rig loses its bond and,
-- from then on, its place among auditors. Kept when the rig is released from a quarantine: a released rig may
-- run jobs again (in a new probation), but its word as an auditor was shown to be worth nothing.
ALTER TABLE rigs ADD COLUMN audit_banned_at timestamptz;

-- Passed audits by trusted auditors since the rig's probation began (reset when a quarantine is lifted): a
-- rig audits others only once strangers have vouched for it (audits/trust.ts). Existing rigs start from their
-- passed audits so far.
ALTER TABLE rigs ADD COLUMN probation_passes integer NOT NULL DEFAULT 0;
UPDATE rigs SET probation_passes = audits_passed;
