// An amount and the button that acts on it, on one line: a rig's asks and bond, withdrawals, payouts.
import type { ReactNode } from 'react';
import { parseTonInput } from '../format';
import { Button, TextInput } from './ui';

export function AmountField({
  label,
  value,
  onChange,
  inputTestId,
  hint,
  invalid,
  action,
  actionTestId,
  onAction,
  enabled,
  busy,
  variant = 'primary',
  children,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  inputTestId: string;
  hint?: ReactNode;
  invalid?: boolean;
  action: ReactNode;
  actionTestId: string;
  /** Without it the button submits the form around the field. */
  onAction?: () => void;
  enabled: boolean;
  busy?: boolean;
  variant?: 'primary' | 'secondary';
  /** More buttons after the action. */
  children?: ReactNode;
}) {
  return (
    <div className="flex items-end gap-2">
      <TextInput
        className="min-w-0 flex-1"
        label={label}
        inputMode="decimal"
        value={value}
        aria-invalid={invalid}
        data-testid={inputTestId}
        onChange={(e) => onChange(e.target.value)}
        hint={hint}
      />
      <Button
        type={onAction ? 'button' : 'submit'}
        variant={variant}
        disabled={!enabled}
        busy={busy}
        data-testid={actionTestId}
        onClick={onAction}
      >
        {action}
      </Button>
      {children}
    </div>
  );
}

/** An amount in TON on a line of its own, marked invalid while it isn't a positive amount. */
export function TonAmountInput({
  value,
  onChange,
  testId,
}: {
  value: string;
  onChange: (value: string) => void;
  testId: string;
}) {
  return (
    <TextInput
      label="Amount, TON"
      inputMode="decimal"
      data-testid={testId}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      aria-invalid={value !== '' && !parseTonInput(value)}
    />
  );
}
