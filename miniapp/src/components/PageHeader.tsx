// Page title; on inner pages Telegram's BackButton (or an in-page back link outside Telegram).
import { goBack } from '../router/hash-router';
import { hasNativeControls, useBackButton } from '../telegram/ui';

function BackControl({ parent }: { parent: string }) {
  useBackButton(() => goBack(parent));
  if (hasNativeControls()) return null;
  return (
    <button type="button" className="-ml-1 pr-2 text-[17px] text-link" onClick={() => goBack(parent)}>
      ‹ Back
    </button>
  );
}

export function PageHeader({ title, parent }: { title: string; parent?: string }) {
  return (
    <header className="flex min-h-12 items-center gap-1 px-4 pt-2 pb-1">
      {parent !== undefined && <BackControl parent={parent} />}
      <h1 className="truncate text-[22px] font-bold">{title}</h1>
    </header>
  );
}
