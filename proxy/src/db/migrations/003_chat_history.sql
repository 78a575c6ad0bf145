-- Chat history the bot keeps for /summarize. The bot seals every message (author and text) with its own
-- key before storing it, so this table holds ciphertext only. Retention: per chat by count and by age.

CREATE TABLE chat_history (
  chat_id text NOT NULL,                     -- Telegram chat id, decimal (negative for groups)
  message_id bigint NOT NULL,
  sender_id text,                            -- Telegram user id of the author, decimal
  sealed text NOT NULL,                      -- base64 of nonce || XChaCha20-Poly1305 ciphertext (bot's key)
  sent_at timestamptz NOT NULL,              -- the message's Telegram date
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX chat_history_sent_at ON chat_history (sent_at);
