-- When an invoice last passed pre-checkout (stars/service.ts): until its payment is reported, its Stars count
-- toward the buyer's daily cap, so invoices checked out together can't all pass it.
ALTER TABLE stars_purchases ADD COLUMN checked_out_at timestamptz;
