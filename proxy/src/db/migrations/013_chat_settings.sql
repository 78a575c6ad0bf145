-- A chat's settings as the bot keeps them on the proxy (service key only), so they outlive a bot restart:
-- its trust tier (/trust: open or tdx). One row per chat that set something.
CREATE TABLE chat_settings (
  chat_id text PRIMARY KEY,
  min_trust text NOT NULL DEFAULT 'open' CHECK (min_trust IN ('open', 'tdx')),
  updated_at timestamptz NOT NULL DEFAULT now()
);
