-- On-chain accounts (proxy/src/onchain, docs/on-chain-accounts.md): a wallet holder's money sits in a
-- UserAccount contract of their own; the ledger mirrors it in onchain:<user> and each job's cash cost must be
-- signed for by the user's spend key (a cumulative voucher) before their next job.
CREATE TABLE onchain_accounts (
  user_id text PRIMARY KEY REFERENCES users(id),
  wallet text NOT NULL,
  address text NOT NULL UNIQUE,
  spend_key text NOT NULL,
  -- What the contract said when last read: the ledger is brought level with these.
  deposited numeric(39,0) NOT NULL DEFAULT 0,
  withdrawn numeric(39,0) NOT NULL DEFAULT 0,
  claimed numeric(39,0) NOT NULL DEFAULT 0,
  close_requested_at timestamptz,
  -- The latest voucher the spend key signed (cumulative), and its sequence number.
  vouchered numeric(39,0) NOT NULL DEFAULT 0,
  voucher_seq bigint NOT NULL DEFAULT 0,
  voucher_signature text,
  -- The claim sent on chain and not seen landed yet (its seq), so one claim is in flight at a time.
  claiming_seq bigint,
  claiming_at timestamptz,
  synced_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A job paid from an on-chain account, and the cash part of its cost the spend key must sign for.
ALTER TABLE jobs ADD COLUMN pays_onchain boolean NOT NULL DEFAULT false;
ALTER TABLE jobs ADD COLUMN voucher_due numeric(39,0);
ALTER TABLE jobs ADD COLUMN vouchered_at timestamptz;
CREATE INDEX jobs_voucher_due ON jobs (user_id) WHERE voucher_due IS NOT NULL AND vouchered_at IS NULL;

-- Rig owners' earnings paid through their RigAccount: the operator's cumulative voucher per owner.
CREATE TABLE onchain_payouts (
  owner_id text PRIMARY KEY REFERENCES users(id),
  wallet text NOT NULL,
  amount numeric(39,0) NOT NULL DEFAULT 0,
  seq bigint NOT NULL DEFAULT 0,
  signature text,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The ledger's hashes as committed to the vault: a database restored from an older backup has fewer commits
-- than the vault has seen, and the proxy refuses to start on it (onchain/service.ts checkNotRolledBack).
CREATE TABLE ledger_commits (
  seq bigint PRIMARY KEY,
  hash text NOT NULL,
  entries bigint NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT now()
);

-- Refunds owed to users who paid from their on-chain account (an audit proved the rig wrong): paid back as a
-- deposit into their account contract by the proxy's sweep. The ledger already moved the amount from the
-- fees to system:onchain_deposits; the mirror is credited when the chain shows the deposit.
CREATE TABLE onchain_refunds (
  job_id uuid PRIMARY KEY REFERENCES jobs(id),
  user_id text NOT NULL REFERENCES users(id),
  amount numeric(39,0) NOT NULL,
  sent_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
