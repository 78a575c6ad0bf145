-- TON payments: deposits seen on chain, the watcher's cursor, withdrawals, ton_proof payloads.

-- One row per inbound transfer to the service wallet; tx_key (hash:lt) makes crediting exactly-once.
-- user_id null: no user matched the memo, the amount sits in system:unclaimed.
CREATE TABLE ton_deposits (
  tx_key text PRIMARY KEY,
  memo text,
  comment text,
  amount_nano numeric(39,0) NOT NULL,
  from_address text NOT NULL,
  user_id text REFERENCES users(id),
  utime bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ton_deposits_user ON ton_deposits (user_id, created_at DESC);
CREATE INDEX ton_deposits_unclaimed ON ton_deposits (created_at DESC) WHERE user_id IS NULL;

-- The deposit watcher's position in the service wallet's history (saves work, never correctness).
CREATE TABLE ton_watcher_cursor (
  id text PRIMARY KEY,
  cursor jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ton_withdrawals (
  id uuid PRIMARY KEY,
  user_id text NOT NULL REFERENCES users(id),
  to_address text NOT NULL,
  amount_nano numeric(39,0) NOT NULL,
  fee_nano numeric(39,0) NOT NULL,
  status text NOT NULL DEFAULT 'pending',    -- pending, sent, confirmed, failed
  idempotency_key text NOT NULL,
  external_hash text,                        -- the signed message's normalized hash, set when sent
  seqno integer,
  valid_until bigint,
  boc text,
  tx_hash text,
  fees_paid_nano numeric(39,0),              -- what the chain actually charged (confirmed only)
  reason text,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  finished_at timestamptz,
  UNIQUE (user_id, idempotency_key),
  CONSTRAINT ton_withdrawals_status CHECK (status IN ('pending', 'sent', 'confirmed', 'failed'))
);
CREATE INDEX ton_withdrawals_status ON ton_withdrawals (status, created_at);
CREATE INDEX ton_withdrawals_user ON ton_withdrawals (user_id, created_at DESC);

-- ton_proof payloads: issued with a short expiry, consumed once.
CREATE TABLE ton_proof_payloads (
  payload text PRIMARY KEY,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX ton_proof_payloads_expiry ON ton_proof_payloads (expires_at);
