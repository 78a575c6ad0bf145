// Small presentational building blocks in Telegram's look (sections on a secondary background).
import type { ButtonHTMLAttributes, InputHTMLAttributes, ReactNode } from 'react';

export function Section({
  title,
  children,
  footer,
  testId,
  aside,
}: {
  title?: string;
  children: ReactNode;
  footer?: ReactNode;
  testId?: string;
  aside?: ReactNode;
}) {
  return (
    <section className="mb-4" data-testid={testId}>
      {title && (
        <div className="flex items-end justify-between px-4 pb-1.5">
          <h2 className="text-[13px] font-medium uppercase tracking-wide text-section-header">{title}</h2>
          {aside}
        </div>
      )}
      <div className="bg-section px-4 py-3 sm:rounded-xl">{children}</div>
      {footer && <p className="px-4 pt-1.5 text-[13px] text-hint">{footer}</p>}
    </section>
  );
}

type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'ghost';

const VARIANTS: Record<ButtonVariant, string> = {
  primary: 'bg-button text-button-text',
  secondary: 'bg-bg2 text-link',
  danger: 'bg-bg2 text-destructive',
  ghost: 'text-link',
};

export function Button({
  variant = 'primary',
  busy = false,
  className = '',
  children,
  disabled,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: ButtonVariant; busy?: boolean }) {
  return (
    <button
      type="button"
      {...rest}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      className={`inline-flex min-h-10 items-center justify-center gap-2 rounded-lg px-4 text-[15px] font-medium transition-opacity active:opacity-70 disabled:opacity-50 ${VARIANTS[variant]} ${className}`}
    >
      {busy && <Spinner />}
      {children}
    </button>
  );
}

export function Spinner({ label }: { label?: string }) {
  const cls = 'inline-block size-4 animate-spin rounded-full border-2 border-current border-r-transparent';
  return label ? (
    <span role="status" aria-label={label} className={cls} />
  ) : (
    <span aria-hidden="true" className={cls} />
  );
}

export function Skeleton({ className = 'h-5 w-full' }: { className?: string }) {
  return <span aria-hidden="true" className={`block animate-pulse rounded-md bg-bg2 ${className}`} />;
}

export function Badge({ tone, children }: { tone: 'ok' | 'off' | 'warn' | 'info'; children: ReactNode }) {
  const cls = {
    ok: 'bg-ok/15 text-ok',
    off: 'bg-hint/15 text-hint',
    warn: 'bg-destructive/15 text-destructive',
    info: 'bg-button/15 text-link',
  }[tone];
  return (
    <span className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ${cls}`}>{children}</span>
  );
}

export function TextInput({
  label,
  hint,
  className = '',
  ...rest
}: InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: ReactNode }) {
  return (
    <label className={`block ${className}`}>
      <span className="mb-1 block text-[13px] text-hint">{label}</span>
      <input
        {...rest}
        className="w-full min-w-0 rounded-lg border border-separator bg-bg px-3 py-2 text-text outline-none focus:border-button"
      />
      {hint && <span className="mt-1 block text-xs text-hint">{hint}</span>}
    </label>
  );
}

/** A label/value row, the list idiom of Telegram's settings screens. */
export function Row({ label, children, testId }: { label: ReactNode; children: ReactNode; testId?: string }) {
  return (
    <div className="flex min-h-9 items-center justify-between gap-3 border-b border-separator py-1.5 last:border-0">
      <span className="shrink-0 text-[15px] text-hint">{label}</span>
      <span className="min-w-0 truncate text-right text-[15px] tabular" data-testid={testId}>
        {children}
      </span>
    </div>
  );
}
