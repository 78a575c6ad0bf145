-- A buyer's or operator's refund in flight (stars/service.ts refundCharge): written with the debit, before
-- Telegram is asked, and cleared once Telegram's answer is known. A row still marked long after (the proxy
-- stopped between the two) is finished by the reconcile pass: refunded if Telegram shows the refund, else
-- asked again. The attempt and what the debit took let the credit be given back exactly as it was taken.
ALTER TABLE stars_purchases
  ADD COLUMN refund_attempt text,
  ADD COLUMN refund_started_at timestamptz,
  ADD COLUMN refund_from_credit numeric(39,0),
  ADD COLUMN refund_shortfall numeric(39,0);
CREATE INDEX stars_purchases_refund_unfinished ON stars_purchases (refund_started_at)
  WHERE refund_started_at IS NOT NULL;
-- The reconcile pass looks for pending invoices of the last day or two.
CREATE INDEX stars_purchases_pending ON stars_purchases (expires_at) WHERE state = 'pending';
