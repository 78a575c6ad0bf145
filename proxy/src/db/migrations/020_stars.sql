-- Telegram Stars (proxy/src/stars/): purchases of compute credit paid in Stars, the Stars part of each job's
-- hold, and rig earnings from Stars-paid jobs held until Telegram's own hold on Stars revenue is over.

-- One invoice and its payment. The payload (random, sent to Telegram with the invoice) binds it to the user
-- and the pack; the charge id is credited once (its unique constraint). The rate is the one shown when the
-- invoice was made.
CREATE TABLE stars_purchases (
  id uuid PRIMARY KEY,
  user_id text NOT NULL REFERENCES users(id),
  payload text NOT NULL UNIQUE,
  stars integer NOT NULL CHECK (stars > 0),
  rate_nano_per_star numeric(39,0) NOT NULL CHECK (rate_nano_per_star > 0),
  nano numeric(39,0) NOT NULL CHECK (nano > 0),
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'paid', 'refunded', 'reversed')),
  telegram_payment_charge_id text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  paid_at timestamptz,
  ended_at timestamptz
);
CREATE INDEX stars_purchases_user ON stars_purchases (user_id, created_at DESC);
-- The daily cap sums a user's payments of the day.
CREATE INDEX stars_purchases_user_paid ON stars_purchases (user_id, paid_at) WHERE paid_at IS NOT NULL;

-- How much of a job's hold came from Stars credit (after trial credit, before the payer's own money).
ALTER TABLE jobs ADD COLUMN hold_stars_nano numeric(39,0) NOT NULL DEFAULT 0;

-- A rig owner's earnings paid from Stars credit, held in stars-held:<owner> until release_at, then moved to
-- the owner's withdrawable balance (the sweeper). `key` names what earned it (a settlement, an audit's pay):
-- each once. amount_nano is what is still held of it (an audit refund may take some back before release).
CREATE TABLE stars_earnings_holds (
  key text PRIMARY KEY,
  owner_id text NOT NULL REFERENCES users(id),
  rig_id uuid,
  job_id uuid,
  amount_nano numeric(39,0) NOT NULL CHECK (amount_nano >= 0),
  release_at timestamptz NOT NULL,
  released_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stars_earnings_holds_due ON stars_earnings_holds (release_at) WHERE released_at IS NULL;
CREATE INDEX stars_earnings_holds_rig ON stars_earnings_holds (rig_id) WHERE released_at IS NULL;
CREATE INDEX stars_earnings_holds_job ON stars_earnings_holds (job_id);
