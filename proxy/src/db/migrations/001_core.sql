-- Users, the double-entry ledger, rigs, asks, jobs and API keys. Money is numeric(39,0) nanoTON.

CREATE TABLE users (
  id text PRIMARY KEY,                       -- Telegram user id, decimal
  name text NOT NULL DEFAULT '',
  deposit_memo text NOT NULL UNIQUE,
  wallet_address text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Every account has one balance row. User accounts can't go below zero; system accounts can.
CREATE TABLE accounts (
  id text PRIMARY KEY,                       -- user:<id>, hold:<job id>, system:<name>
  balance numeric(39,0) NOT NULL DEFAULT 0,
  may_go_negative boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT balance_not_negative CHECK (may_go_negative OR balance >= 0)
);

CREATE TABLE ledger_tx (
  id uuid PRIMARY KEY,
  kind text NOT NULL,                        -- trial, deposit, hold, settle, release, withdrawal, ...
  ref text,                                  -- job id, chain tx key, withdrawal id
  unique_key text UNIQUE,                    -- makes a transfer idempotent (deposit tx hash, job settlement)
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_entries (
  id bigserial PRIMARY KEY,
  tx_id uuid NOT NULL REFERENCES ledger_tx(id),
  account_id text NOT NULL REFERENCES accounts(id),
  amount numeric(39,0) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id);
CREATE INDEX ledger_entries_tx ON ledger_entries (tx_id);

CREATE TABLE rigs (
  id uuid PRIMARY KEY,
  owner_id text NOT NULL REFERENCES users(id),
  name text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  paused boolean NOT NULL DEFAULT false,
  revoked_at timestamptz,
  x25519_public_key text,
  ed25519_public_key text,
  device text,
  slots integer NOT NULL DEFAULT 1,
  connected_to text,                         -- the proxy instance holding its socket, null when offline
  last_seen_at timestamptz,
  jobs_done integer NOT NULL DEFAULT 0,
  jobs_failed integer NOT NULL DEFAULT 0,
  total_job_ms bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rigs_owner ON rigs (owner_id);

-- Models a rig serves (from its hello) and its ask for each, in nanoTON per 1,000 tokens.
CREATE TABLE rig_models (
  rig_id uuid NOT NULL REFERENCES rigs(id),
  model text NOT NULL,
  kinds text[] NOT NULL DEFAULT '{}',
  context_length integer NOT NULL DEFAULT 0,
  demo_grade boolean NOT NULL DEFAULT false,
  served boolean NOT NULL DEFAULT false,
  price_nano_per_1k numeric(39,0) NOT NULL,
  PRIMARY KEY (rig_id, model)
);

CREATE TABLE jobs (
  id uuid PRIMARY KEY,
  user_id text NOT NULL REFERENCES users(id),
  api_key_id uuid,
  model text NOT NULL,
  kind text NOT NULL,
  state text NOT NULL,                       -- quoted, queued, running, done, failed, expired
  input_tokens integer NOT NULL,
  max_tokens integer NOT NULL,
  hold_nano numeric(39,0) NOT NULL,
  fee_bps integer NOT NULL,
  candidates jsonb NOT NULL,                 -- [{rigId, priceNanoPer1k}] cheapest first
  attempt integer NOT NULL DEFAULT 0,        -- index into candidates of the rig running it
  rig_id uuid,
  lease_until timestamptz,
  envelope jsonb,                            -- sealed; the proxy can't read it
  envelope_bytes integer,
  idempotency_key text,
  result jsonb,                              -- sealed result
  prompt_tokens integer,
  completion_tokens integer,
  price_nano_per_1k numeric(39,0),          -- the ask of the rig that ran it
  cost_nano numeric(39,0),
  rig_nano numeric(39,0),
  fee_nano numeric(39,0),
  fail_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  started_at timestamptz,
  finished_at timestamptz,
  UNIQUE (user_id, idempotency_key)
);
CREATE INDEX jobs_user ON jobs (user_id, created_at DESC);
CREATE INDEX jobs_state ON jobs (state);
CREATE INDEX jobs_rig ON jobs (rig_id, state);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  user_id text NOT NULL REFERENCES users(id),
  name text NOT NULL,
  prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
