// A monospace value with a copy button: rig tokens, worker commands, API keys (shown once).
import { useState } from 'react';
import { haptic } from '../telegram/ui';

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function CopyBlock({ value, testId, label }: { value: string; testId: string; label: string }) {
  const [copied, setCopied] = useState<null | boolean>(null);
  return (
    <div className="mt-2">
      <div className="mb-1 flex items-center justify-between">
        <span className="text-[13px] text-hint">{label}</span>
        <button
          type="button"
          className="text-[13px] font-medium text-link"
          aria-label={`Copy ${label.toLowerCase()}`}
          onClick={async () => {
            const ok = await copyText(value);
            setCopied(ok);
            haptic(ok ? 'success' : 'error');
          }}
        >
          {copied === null ? 'Copy' : copied ? 'Copied' : 'Select and copy'}
        </button>
      </div>
      <code
        data-testid={testId}
        className="block select-all break-all rounded-lg bg-bg2 px-3 py-2 font-mono text-[13px] leading-snug"
      >
        {value}
      </code>
    </div>
  );
}
