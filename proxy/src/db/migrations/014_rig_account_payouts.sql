-- Earnings payouts are counted per RigAccount, as the contract counts them (issue 26). The running total was
-- kept per rig owner while each voucher named the owner's current wallet's RigAccount, whose `paid` starts at
-- zero: after a wallet switch the vault paid the whole total again. Now one row per wallet (the RigAccount's
-- address derives from the vault and the wallet): a voucher for a wallet covers what was moved to that wallet,
-- whichever account moved it, and a wallet released and bound by another account continues its total.
CREATE TABLE rig_account_payouts (
  wallet text PRIMARY KEY,
  -- Cumulative amount and sequence of the latest earnings voucher signed for this wallet's RigAccount.
  amount numeric(39,0) NOT NULL DEFAULT 0,
  seq bigint NOT NULL DEFAULT 0,
  signature text,
  -- The account that moved money to it last (whose view shows the voucher).
  owner_id text NOT NULL REFERENCES users(id),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Seeded from the per-owner totals: each owner's latest voucher was signed for the wallet it names, so that
-- wallet's total starts at it (never below a voucher already signed for it). Two owners who used one wallet:
-- the larger amount and the larger sequence (the signature kept only when it is for both; else the next
-- payout signs anew).
INSERT INTO rig_account_payouts (wallet, amount, seq, signature, owner_id, updated_at)
SELECT DISTINCT ON (p.wallet) p.wallet, p.amount, m.seq,
  CASE WHEN p.seq = m.seq THEN p.signature END, p.owner_id, p.updated_at
FROM onchain_payouts p
JOIN (SELECT wallet, max(seq) AS seq FROM onchain_payouts GROUP BY wallet) m ON m.wallet = p.wallet
ORDER BY p.wallet, p.amount DESC, p.seq DESC;

DROP TABLE onchain_payouts;
