// Labelled TON amounts, one Row each: the balances on Wallet and the on-chain account's.
import { tonText } from '../format';
import { Row } from './ui';

/** Each row: its label, the amount in nanoTON (a digit string or bigint), and optionally a test id. */
export type TonRow = readonly [label: string, nano: string | bigint | null | undefined, testId?: string];

export function TonRows({ rows }: { rows: readonly TonRow[] }) {
  return (
    <>
      {rows.map(([label, nano, testId]) => (
        <Row key={label} label={label} testId={testId}>
          {tonText(nano)}
        </Row>
      ))}
    </>
  );
}
